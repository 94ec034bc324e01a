import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SDK = path.join(ROOT, 'sdk');

/** Each import of each sdk/ file: what it names, and whether it brings code (not `import type`). */
async function sdkImports(): Promise<{ file: string; target: string; runtime: boolean }[]> {
  const files = (await readdir(SDK)).filter((name) => name.endsWith('.ts'));
  const imports = [];
  for (const file of files) {
    const text = await readFile(path.join(SDK, file), 'utf8');
    for (const match of text.matchAll(/^(import|export)( type)?[^;]*? from '([^']+)';/gms))
      imports.push({ file, target: match[3]!, runtime: match[2] === undefined });
  }
  return imports;
}

/** The client SDK (README "Client SDK") runs in a browser as well as in Node, and stands apart from the server. */
describe('the layout of sdk/', () => {
  it('imports nothing of the server but src/protocol, and of it only types and the zod-free limits at run time', async () => {
    const imports = await sdkImports();
    expect(imports.length).toBeGreaterThan(10);
    for (const { file, target, runtime } of imports) {
      if (!target.startsWith('.')) {
        // Packages a browser has too: no node: builtins, no server libraries.
        expect(['socket.io-client', 'idb-keyval'], `${file}: ${target}`).toContain(target);
        continue;
      }
      const resolved = path.relative(ROOT, path.resolve(SDK, target));
      if (resolved.startsWith('sdk/')) continue;
      expect(resolved, file).toMatch(/^src\/protocol\//);
      if (runtime) expect(resolved, `${file} brings code of ${resolved}`).toBe('src/protocol/limits.js');
    }
  });
});
