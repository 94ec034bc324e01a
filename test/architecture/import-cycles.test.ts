import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every .ts file under `dir`, as paths relative to src/. */
async function sourceFiles(dir = SRC): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) =>
      entry.isDirectory()
        ? sourceFiles(path.join(dir, entry.name))
        : entry.name.endsWith('.ts')
          ? [path.relative(SRC, path.join(dir, entry.name))]
          : [],
    ),
  );
  return nested.flat();
}

/** The modules of src/ each file imports (type-only imports too: they tie the files together as much). */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles()) {
    const text = await readFile(path.join(SRC, file), 'utf8');
    const targets = [...text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)].map((match) =>
      path.relative(SRC, path.resolve(SRC, path.dirname(file), `${match[1]}.ts`)),
    );
    graph.set(file, targets);
  }
  return graph;
}

/** One cycle through the graph, if there is any. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'open') return [...trail.slice(trail.indexOf(file)), file];
    state.set(file, 'open');
    trail.push(file);
    for (const target of graph.get(file) ?? []) {
      const cycle = visit(target);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the layout of src/ (STYLE.md)', () => {
  it('has no import cycles', async () => {
    const graph = await importGraph();
    expect(graph.size).toBeGreaterThan(40);
    expect(findCycle(graph)).toBeUndefined();
  });

  it('keeps dependencies one way: protocol imports nothing of ours, the store no domain or transport, the domain no transport', async () => {
    const graph = await importGraph();
    const layerOf = (file: string) => file.split(path.sep)[0]!;
    for (const [file, targets] of graph) {
      const layer = layerOf(file);
      const reached = new Set(targets.map(layerOf));
      if (layer === 'protocol')
        expect(
          [...reached].filter((l) => l !== 'protocol'),
          file,
        ).toEqual([]);
      if (layer === 'store')
        expect(
          [...reached].filter((l) => ['chat', 'realtime', 'http', 'auth'].includes(l)),
          file,
        ).toEqual([]);
      if (layer === 'chat')
        expect(
          [...reached].filter((l) => ['realtime', 'http'].includes(l)),
          file,
        ).toEqual([]);
    }
  });
});
