import { freshCluster } from '../../src/store/pglite-database.js';

let template: Promise<Blob> | undefined;

/**
 * A fresh PGlite cluster for the in-memory databases of this worker's tests, made once: each
 * database loads it instead of running initdb (~1 s to open instead of ~2.7 s; the suites open
 * hundreds). Workers keep their modules from file to file (vitest.config.ts), so it is made once
 * per worker.
 */
export function pgliteTemplate(): Promise<Blob> {
  // A failure is not kept: the next database asks again.
  template ??= freshCluster().catch((error: unknown) => {
    template = undefined;
    throw error;
  });
  return template;
}
