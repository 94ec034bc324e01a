import { mkdir } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { ConnectionTurns } from './connection-turns.js';
import type { Database, SqlExecutor } from './database.js';

/**
 * Embedded PostgreSQL (WASM). One connection: PGlite runs statements one at a time and
 * serialises transactions itself, so no pool is needed; who goes next is decided here
 * (ConnectionTurns: writes before big reads). A transaction's statements run within its turn.
 * @param dataDir folder of the database files, or undefined for an in-memory database.
 * @param template for an in-memory database: a fresh cluster's data directory (freshCluster) to
 *   load instead of running initdb, which takes most of the time to open one (~2.6 of ~2.8 s here);
 *   a database in a folder has its own files and ignores it.
 */
export async function openPgliteDatabase(dataDir: string | undefined, template?: Blob): Promise<Database> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const pglite =
    dataDir === undefined && template !== undefined
      ? await PGlite.create({ loadDataDir: template })
      : await PGlite.create(dataDir);
  const executor = (target: Pick<PGlite, 'query' | 'exec'>): SqlExecutor => ({
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const result = await target.query<Row>(text, params as unknown[]);
      return result.rows;
    },
    async script(text: string) {
      await target.exec(text);
    },
  });
  const direct = executor(pglite);
  const turns = new ConnectionTurns();
  return {
    kind: 'pglite',
    query: (text, params) => turns.run(() => direct.query(text, params), 'other'),
    read: (text, params) => turns.run(() => direct.query(text, params), 'read'),
    script: (text) => turns.run(() => direct.script(text), 'other'),
    transaction: (work) => turns.run(() => pglite.transaction((tx) => work(executor(tx))), 'other'),
    async ping() {
      await turns.run(() => pglite.query('SELECT 1'), 'other');
    },
    close: () => pglite.close(),
  };
}

/**
 * Has V8 compile WebAssembly with its optimising compiler only: each of PGlite's (PostgreSQL's)
 * functions is compiled optimised on its first call, instead of starting as baseline (Liftoff)
 * code that hot functions later leave. For a long-running server: with the baseline code, queries
 * stall for about 10 ms now and then well after start (history pages at new depths measured a p99
 * of ~10 ms where the steady state is ~2 ms; docs/perf-runs/history.md). The price is a slower
 * first call of each function (about a second more to open the database), which tests and tools
 * that open many short-lived databases do without.
 *
 * Must run before the first PGlite is created. It applies to every WebAssembly module the process
 * compiles afterwards: PGlite's, and undici's HTTP parser if JWKS keys are fetched.
 */
export function skipWasmBaselineCompiler(): void {
  setFlagsFromString('--no-liftoff');
}

/**
 * The data directory of a fresh in-memory cluster, as initdb leaves it: a template for
 * openPgliteDatabase, for a process that opens many in-memory databases (the test suites).
 */
export async function freshCluster(): Promise<Blob> {
  const pglite = await PGlite.create();
  try {
    return await pglite.dumpDataDir('none');
  } finally {
    await pglite.close();
  }
}
