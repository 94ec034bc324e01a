import { syncBuiltinESMExports } from 'node:module';
import v8 from 'node:v8';

/**
 * Preload (`node --import`) for entry-point tests: writes to stderr, in the order they happen,
 * each V8 flag the process sets at run time ("v8 flags: …") and each large WebAssembly module it
 * compiles ("webassembly: large module compiled", over 1 MB: PGlite's PostgreSQL, not the small
 * modules of Node's and tsx's own parsers). syncBuiltinESMExports makes `import {
 * setFlagsFromString } from 'node:v8'` in the code under test see the wrapper too.
 */
const LARGE_MODULE_BYTES = 1_000_000;

const setFlags = v8.setFlagsFromString;
v8.setFlagsFromString = (flags: string) => {
  process.stderr.write(`v8 flags: ${flags}\n`);
  setFlags(flags);
};
syncBuiltinESMExports();

// The WebAssembly global is not in this project's type libraries (no DOM), hence the cast.
type Instantiate = (source: unknown, imports?: unknown) => Promise<unknown>;
const webAssembly = (globalThis as unknown as { WebAssembly: { instantiate: Instantiate } }).WebAssembly;
const instantiate = webAssembly.instantiate;
webAssembly.instantiate = (source, imports) => {
  if ((ArrayBuffer.isView(source) || source instanceof ArrayBuffer) && source.byteLength > LARGE_MODULE_BYTES) {
    process.stderr.write('webassembly: large module compiled\n');
  }
  return instantiate(source, imports);
};
