import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * In a fresh Node process (V8 flags are process-wide): optionally calls compilePgliteAheadOfTime,
 * then compiles a one-function WebAssembly module, as PGlite.create compiles PostgreSQL's, and
 * asks V8 which compiler made the function's code. `%IsLiftoffFunction` needs
 * --allow-natives-syntax, hence `new Function` rather than the test's own (esbuild-parsed) code.
 */
async function compiledByLiftoff(aheadOfTime: boolean): Promise<boolean> {
  const script = `
    const { compilePgliteAheadOfTime } = await import('./src/store/pglite-database.ts');
    if (${aheadOfTime}) compilePgliteAheadOfTime();
    // (module (func (export "f") (result i32) i32.const 42))
    const bytes = new Uint8Array([0,97,115,109,1,0,0,0, 1,5,1,96,0,1,127, 3,2,1,0, 7,5,1,1,102,0,0, 10,6,1,4,0,65,42,11]);
    const { instance } = await WebAssembly.instantiate(bytes);
    if (instance.exports.f() !== 42) throw new Error('wrong answer');
    console.log(JSON.stringify(new Function('f', 'return %IsLiftoffFunction(f)')(instance.exports.f)));
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: root },
  );
  return JSON.parse(stdout) as boolean;
}

describe('compilePgliteAheadOfTime', () => {
  it('leaves WebAssembly to the baseline compiler until called (the control)', async () => {
    expect(await compiledByLiftoff(false)).toBe(true);
  });

  it('has WebAssembly compiled afterwards by the optimising compiler, not the baseline one', async () => {
    expect(await compiledByLiftoff(true)).toBe(false);
  });
});
