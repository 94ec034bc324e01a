import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode } from '../../src/errors.js';

/** The README's envelope paragraph names every code a client can meet, with its HTTP status. */
describe('README: error codes', () => {
  it('lists every code of src/errors.ts with its status', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf("All answers use the seed's envelope");
    expect(start).toBeGreaterThan(-1);
    const paragraph = readme.slice(start, readme.indexOf('\n\n', start)).replace(/\s+/g, ' ');
    const missing = (Object.keys(ERRORS) as ErrorCode[]).filter(
      (code) => !paragraph.includes(`\`${code}\` (${ERRORS[code].status})`),
    );
    expect(missing).toEqual([]);
  });
});
