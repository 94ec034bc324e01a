import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts its own server(s) and database; two cores run two files at a time.
    fileParallelism: true,
    // A worker keeps its modules from one file to the next instead of importing them anew (PGlite's
    // WebAssembly, Fastify, Socket.IO): 144 s of a CI run's imports became 14 s, and the run 874 s →
    // 704 s. So a test file must leave no global state behind (servers and sockets closed in its
    // hooks, spies restored, no process.env changes).
    isolate: false,
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    sequence: { sequencer: LongestFirstSequencer },
  },
});
