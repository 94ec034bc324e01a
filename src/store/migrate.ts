import { createHash } from 'node:crypto';
import type { Database, SqlExecutor } from './database.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { ROUTINES, type Routine } from './routines.js';

// Any constant works; it only has to be the same on every node of one deployment.
const MIGRATION_LOCK_KEY = 7_244_519_001;

/** migrate's own records: the migrations applied, and a hash of the text each routine was last created from. */
const BOOKKEEPING = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE IF NOT EXISTS schema_routines (
    signature  text PRIMARY KEY,
    sha256     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

/**
 * Applies the migrations not applied yet, then recreates every routine whose text changed, in one
 * transaction under a transaction-level advisory lock, so that nodes starting together apply each
 * migration exactly once. Idempotent.
 * Hand-written because no migration library drives both PGlite and node-postgres.
 * @returns the versions applied by this call.
 */
export async function migrate(
  database: Database,
  migrations: readonly Migration[] = MIGRATIONS,
  routines: readonly Routine[] = ROUTINES,
): Promise<number[]> {
  return database.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.script(BOOKKEEPING);
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
    const schemaVersion = Math.max(0, ...applied, ...newlyApplied);
    await applyRoutines(
      tx,
      routines.filter((routine) => routine.since <= schemaVersion),
    );
    return newlyApplied;
  });
}

/** Recreates each routine whose text is not the one last applied (schema_routines keeps a hash). */
async function applyRoutines(tx: SqlExecutor, routines: readonly Routine[]): Promise<void> {
  const rows = await tx.query<{ signature: string; sha256: string }>('SELECT signature, sha256 FROM schema_routines');
  const appliedHash = new Map(rows.map((row) => [row.signature, row.sha256]));
  for (const routine of routines) {
    const sha256 = createHash('sha256').update(routine.sql).digest('hex');
    if (appliedHash.get(routine.signature) === sha256) continue;
    // Dropped rather than replaced, as CREATE OR REPLACE cannot change a function's result type;
    // but a trigger function cannot be dropped under its triggers, and its type never changes.
    await tx.script(routine.trigger ? routine.sql : `DROP FUNCTION IF EXISTS ${routine.signature}; ${routine.sql}`);
    await tx.query(
      `INSERT INTO schema_routines (signature, sha256) VALUES ($1, $2)
       ON CONFLICT (signature) DO UPDATE SET sha256 = EXCLUDED.sha256, applied_at = now()`,
      [routine.signature, sha256],
    );
  }
}
