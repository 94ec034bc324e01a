import { mkdir } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
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

/**
 * Has V8 compile PGlite's WebAssembly (PostgreSQL itself) with its optimising compiler when the
 * database is opened, instead of running it as baseline code until hot functions are re-compiled.
 * For a long-running server: the baseline code left stalls of about 10 ms in queries that reached
 * code not yet re-compiled, well after start (history pages at new depths: p99 ~10 ms where the
 * steady state is ~2 ms; docs/performance.md, session 7). The price is about one second more on
 * the first open, and less memory (one tier of code, not two). Tests and tools that open many
 * short-lived databases do without it.
 *
 * Must run before the first PGlite is created; it applies to every WebAssembly module the process
 * compiles afterwards (PGlite's is the only one in Parley).
 */
export function compilePgliteAheadOfTime(): void {
  setFlagsFromString('--no-liftoff');
}
