import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * In a fresh Node process (V8 flags are process-wide, and only PATH from this one's environment):
 * optionally calls skipWasmBaselineCompiler, then compiles and calls a one-function WebAssembly
 * module, as PGlite runs PostgreSQL's, and asks V8 which compiler made the function's code.
 * The `%` functions need --allow-natives-syntax, hence `new Function` rather than the test's own
 * (esbuild-parsed) code.
 */
async function compiledBy(skipBaseline: boolean): Promise<{ liftoff: boolean; turbofan: boolean }> {
  const script = `
    const { skipWasmBaselineCompiler } = await import('./src/store/pglite-database.ts');
    if (${skipBaseline}) skipWasmBaselineCompiler();
    // (module (func (export "f") (result i32) i32.const 42))
    const bytes = new Uint8Array([0,97,115,109,1,0,0,0, 1,5,1,96,0,1,127, 3,2,1,0, 7,5,1,1,102,0,0, 10,6,1,4,0,65,42,11]);
    const { instance } = await WebAssembly.instantiate(bytes);
    if (instance.exports.f() !== 42) throw new Error('wrong answer');
    const ask = (name) => new Function('f', 'return %' + name + '(f)')(instance.exports.f);
    console.log(JSON.stringify({ liftoff: ask('IsLiftoffFunction'), turbofan: ask('IsTurboFanFunction') }));
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } },
  );
  return JSON.parse(stdout) as { liftoff: boolean; turbofan: boolean };
}

describe('skipWasmBaselineCompiler', () => {
  it('without it, WebAssembly starts as baseline (Liftoff) code (the control)', async () => {
    expect(await compiledBy(false)).toEqual({ liftoff: true, turbofan: false });
  }, 60_000);

  it('after it, WebAssembly is compiled by the optimising compiler (TurboFan) from its first call', async () => {
    expect(await compiledBy(true)).toEqual({ liftoff: false, turbofan: true });
  }, 60_000);
});
