import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

/**
 * `tsx bench/summarize-profile.ts FILE.cpuprofile [--from S] [--to S]`: where a profiled server
 * spent its CPU — self time by package (or Parley module) and the hottest functions — for
 * docs/performance.md. `--from`/`--to` (seconds since the profile started) keep one scenario's
 * stretch; the busy-per-second timeline printed first shows where each one ran.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { from: { type: 'string' }, to: { type: 'string' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: tsx bench/summarize-profile.ts FILE.cpuprofile [--from S] [--to S]');
const profile = JSON.parse(await readFile(file, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const idleId = profile.nodes.find((node) => node.callFrame.functionName === '(idle)')?.id;
const from = Number(args.from ?? 0) * 1e6;
const to = args.to === undefined ? Infinity : Number(args.to) * 1e6;
const hits = new Map<number, number>();
/** Per second since the start: [samples, idle samples]. */
const timeline: Array<[number, number]> = [];
let elapsed = 0;
let total = 0;
profile.samples.forEach((id, i) => {
  elapsed += profile.timeDeltas[i] ?? 0;
  const second = (timeline[Math.floor(elapsed / 1e6)] ??= [0, 0]);
  second[0]++;
  if (id === idleId) second[1]++;
  if (elapsed < from || elapsed >= to) return;
  hits.set(id, (hits.get(id) ?? 0) + 1);
  total++;
});
const busy = [...timeline].map((second) => (second ? Math.round((100 * (second[0] - second[1])) / second[0]) : 0));
console.log(`busy % per second: ${busy.join(' ')}\n`);

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
console.log(
  `samples: ${total}\n\nself time by owner:\n${top(byOwner, 20)}\n\nhottest functions:\n${top(byFunction, 25)}`,
);
