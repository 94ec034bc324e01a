import { readFile } from 'node:fs/promises';

/**
 * `tsx bench/summarize-profile.ts FILE.cpuprofile`: where a profiled server spent its CPU — self
 * time by package (or Parley module) and the hottest functions — for docs/performance.md.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const file = process.argv[2];
if (!file) throw new Error('usage: tsx bench/summarize-profile.ts FILE.cpuprofile');
const profile = JSON.parse(await readFile(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const hits = new Map<number, number>();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;

function owner(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/(src|dist)\/(.+?)\.[jt]s$/.exec(url);
  if (ours) return `parley:${ours[2]}`;
  if (url.startsWith('node:')) return url;
  return url;
}

const byOwner = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const node of profile.nodes) {
  const count = hits.get(node.id) ?? 0;
  if (count === 0) continue;
  const who = owner(node.callFrame.url, node.callFrame.functionName);
  byOwner.set(who, (byOwner.get(who) ?? 0) + count);
  const fn = `${node.callFrame.functionName || '(anonymous)'} ${who}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + count);
}
const top = (map: Map<string, number>, n: number) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, count]) => `${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');
console.log(`samples: ${total}\n\nself time by owner:\n${top(byOwner, 20)}\n\nhottest functions:\n${top(byFunction, 25)}`);
