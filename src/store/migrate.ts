import type { Database } from './database.js';
import { MIGRATIONS, type Migration } from './migrations.js';

// Any constant works; it only has to be the same on every node of one deployment.
const MIGRATION_LOCK_KEY = 7_244_519_001;

/**
 * Applies the migrations not applied yet, in one transaction under a transaction-level advisory
 * lock, so that nodes starting together apply each migration exactly once. Idempotent.
 * Hand-written (40 lines) because no migration library drives both PGlite and node-postgres.
 * @returns the versions applied by this call.
 */
export async function migrate(database: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return database.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    const newlyApplied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await tx.script(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      newlyApplied.push(migration.version);
    }
    return newlyApplied;
  });
}
