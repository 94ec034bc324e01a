import path from 'node:path';
import type { Config } from '../config.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { openPgliteDatabase } from './pglite-database.js';
import { openPostgresDatabase } from './postgres-database.js';

/**
 * Opens the configured database and (unless told not to) brings its schema up to date. An
 * in-memory one starts from `pgliteTemplate` when given (openPgliteDatabase).
 */
export async function openDatabase(
  database: Config['database'],
  { migrate: migrates = true, pgliteTemplate }: { migrate?: boolean; pgliteTemplate?: Blob } = {},
): Promise<Database> {
  const db =
    database.kind === 'postgres'
      ? await openPostgresDatabase(database.url)
      : await openPgliteDatabase(
          database.kind === 'pglite' ? path.join(database.dataDir, 'pgdata') : undefined,
          pgliteTemplate,
        );
  if (!migrates) return db;
  try {
    await migrate(db);
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  return db;
}

/** Human description for the start-up line; never includes a password. */
export function describeDatabase(database: Config['database']): string {
  if (database.kind === 'memory') return 'in-memory PGlite';
  if (database.kind === 'pglite') return `embedded PGlite in ${path.resolve(database.dataDir, 'pgdata')}`;
  const url = new URL(database.url);
  return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`;
}
