import { syncBuiltinESMExports } from 'node:module';
import v8 from 'node:v8';

/**
 * Preload (`node --import`) for entry-point tests: writes each V8 flag the process sets at run
 * time to stderr ("v8 flags: …"), then sets it. syncBuiltinESMExports makes `import {
 * setFlagsFromString } from 'node:v8'` in the code under test see the wrapper too.
 */
const setFlags = v8.setFlagsFromString;
v8.setFlagsFromString = (flags: string) => {
  process.stderr.write(`v8 flags: ${flags}\n`);
  setFlags(flags);
};
syncBuiltinESMExports();
