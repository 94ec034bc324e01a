import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { Database, SqlExecutor } from './database.js';

/**
 * Embedded PostgreSQL (WASM). One connection: PGlite runs statements one at a time and
 * serialises transactions itself, so no pool is needed.
 * @param dataDir folder of the database files, or undefined for an in-memory database.
 */
export async function openPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const executor = (target: Pick<PGlite, 'query' | 'exec'>): SqlExecutor => ({
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const result = await target.query<Row>(text, params as unknown[]);
      return result.rows;
    },
    async script(text: string) {
      await target.exec(text);
    },
  });
  return {
    kind: 'pglite',
    ...executor(pglite),
    transaction: (work) => pglite.transaction((tx) => work(executor(tx))),
    async ping() {
      await pglite.query('SELECT 1');
    },
    close: () => pglite.close(),
  };
}
