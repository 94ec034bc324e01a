import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../src/config.js';
import { openDatabase } from '../src/store/open-store.js';
import { idleConnections, type ConnectionsResult } from './scenarios/connections.js';
import { openLoop, saturated, type FanoutSetup, type OpenLoopResult, type SaturatedResult } from './scenarios/fanout.js';
import { chatList, historyPages, syncCatchUp, WARM_UP_CALLS, type ReadLatency, type SyncCatchUp } from './scenarios/reads.js';
import { seedChatList, seedGroupChats, seedHistory, seedUsers } from './seed.js';
import { round } from './stats.js';
import { startCeiling, startParley, type Target } from './targets.js';

/**
 * `npm run bench`: measures Parley on each store and a bare Socket.IO ceiling in one invocation,
 * prints a table with every figure as a ratio to the ceiling, and writes the results as JSON.
 */
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    'from-source': { type: 'boolean', default: false },
    users: { type: 'string' },
    'group-size': { type: 'string' },
    window: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string' },
    'history-messages': { type: 'string' },
    'chat-list-chats': { type: 'string' },
    /** Measured get_my_chats calls (after the warm-up). */
    repeats: { type: 'string' },
    /** Changes a client has missed in one chat and catches up on with sync. */
    'sync-changes': { type: 'string' },
    out: { type: 'string' },
    /** Folder for a CPU profile of each Parley server (open in Chrome DevTools). */
    profile: { type: 'string' },
    /** Comma-separated subset of: ceiling, pglite, postgres. */
    targets: { type: 'string' },
  },
});

const preset = args.smoke
  ? { users: 12, groupSize: 6, window: 2, rate: 100, seconds: 0.5, connections: 40, historyMessages: 2_000, samples: 20, chats: 50, repeats: 5, syncChanges: 500, syncRounds: 1 }
  : args.quick
    ? { users: 60, groupSize: 6, window: 4, rate: 500, seconds: 3, connections: 1_000, historyMessages: 50_000, samples: 200, chats: 1_000, repeats: 30, syncChanges: 10_000, syncRounds: 2 }
    : { users: 120, groupSize: 6, window: 4, rate: 1_000, seconds: 10, connections: 5_000, historyMessages: 1_000_000, samples: 500, chats: 1_000, repeats: 300, syncChanges: 10_000, syncRounds: 5 };
const num = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));
const settings = {
  users: num(args.users, preset.users),
  groupSize: num(args['group-size'], preset.groupSize),
  window: num(args.window, preset.window),
  rate: num(args.rate, preset.rate),
  seconds: num(args.seconds, preset.seconds),
  connections: num(args.connections, preset.connections),
  historyMessages: num(args['history-messages'], preset.historyMessages),
  samples: preset.samples,
  chats: num(args['chat-list-chats'], preset.chats),
  repeats: num(args.repeats, preset.repeats),
  syncChanges: num(args['sync-changes'], preset.syncChanges),
  syncRounds: preset.syncRounds,
};
const fromSource = args['from-source'];

interface TargetResult {
  target: string;
  saturated: SaturatedResult;
  openLoop: OpenLoopResult;
  connections: ConnectionsResult;
  history?: ReadLatency;
  chatList?: ReadLatency;
  sync?: SyncCatchUp;
}

const log = (message: string) => console.error(`[bench] ${message}`);

/** Connections first, on the fresh server (see idleConnections), then the fan-out runs. */
async function measureFanout(target: Target, setup: FanoutSetup, connectionTokens: string[]) {
  log(`${target.name}: ${connectionTokens.length} idle connections`);
  const connections = await idleConnections(target, connectionTokens);
  log(`${target.name}: fan-out saturated (${settings.users} users, window ${settings.window}, ${settings.seconds} s)`);
  const sat = await saturated(target, setup, settings.window, settings.seconds * 1000);
  log(`${target.name}: fan-out open loop at ${settings.rate} msg/s`);
  const open = await openLoop(target, setup, settings.rate, settings.seconds * 1000);
  return { saturated: sat, openLoop: open, connections };
}

async function measureCeiling(): Promise<TargetResult> {
  const target = await startCeiling();
  try {
    const tokens = Array.from({ length: settings.users }, (_, i) => `user-${i}`);
    const members: string[][] = [];
    for (let i = 0; i < tokens.length; i += settings.groupSize) members.push(tokens.slice(i, i + settings.groupSize));
    const setup = { chatIds: members.map((_, i) => `chat-${i}`), members };
    const connectionTokens = Array.from({ length: settings.connections }, (_, i) => `idle-${i}`);
    return { target: 'ceiling', ...(await measureFanout(target, setup, connectionTokens)) };
  } finally {
    await target.stop();
  }
}

async function measureParley(store: 'pglite' | 'postgres'): Promise<TargetResult> {
  const secret = randomBytes(32).toString('hex');
  const dataDir = store === 'pglite' ? await mkdtemp(path.join(tmpdir(), 'parley-bench-')) : undefined;
  const database: Config['database'] =
    store === 'pglite' ? { kind: 'pglite', dataDir: dataDir! } : { kind: 'postgres', url: process.env.DATABASE_URL! };
  try {
    log(`parley/${store}: seeding`);
    const db = await openDatabase(database);
    const users = await seedUsers(db, settings.users, secret);
    const chats = await seedGroupChats(db, users, settings.groupSize);
    // Up to 20 sockets per user, as an app open in several tabs and devices.
    const idleUsers = await seedUsers(db, Math.ceil(settings.connections / 20), secret);
    const connectionTokens = Array.from({ length: settings.connections }, (_, i) => idleUsers[i % idleUsers.length]!.token);
    const [reader, partner] = await seedUsers(db, 2, secret);
    const history = await seedHistory(db, [reader!, partner!], settings.historyMessages, WARM_UP_CALLS + settings.samples);
    const [listOwner] = await seedUsers(db, 1, secret);
    await seedChatList(db, listOwner!, users, settings.chats);
    // A chat whose `syncChanges` changes (one message each) a client missed.
    const [away, writer] = await seedUsers(db, 2, secret);
    const missed = await seedHistory(db, [away!, writer!], settings.syncChanges, 0);
    // Measure the steady state, not the bulk load's aftermath: without this, PostgreSQL writes the
    // seed's WAL out (checkpoint) and vacuums and analyses a million new rows during the latency
    // runs, which put its delivery p99 at ~135 ms where a small seed gives ~15 ms.
    await db.query('VACUUM ANALYZE');
    await db.query('CHECKPOINT');
    await db.close();

    const env: Record<string, string> = { JWT_SECRET: secret };
    if (store === 'pglite') Object.assign(env, { DATA_DIR: dataDir!, DATABASE_URL: '' });
    else env.DATABASE_URL = process.env.DATABASE_URL!;
    const target = await startParley(env, fromSource, args.profile);
    target.name = `parley/${store}`;
    try {
      const setup = {
        chatIds: chats.map((c) => c.id),
        members: chats.map((c) => c.memberIds.map((id) => users.find((u) => u.id === id)!.token)),
      };
      const fanout = await measureFanout(target, setup, connectionTokens);
      log(`${target.name}: history pages at random depths of ${settings.historyMessages} messages`);
      const historyLatency = await historyPages(target, reader!.token, history.chat.id, history.cursorIds);
      log(`${target.name}: get_my_chats with ${settings.chats} chats`);
      const listLatency = await chatList(target, listOwner!.token, settings.repeats, settings.chats);
      log(`${target.name}: sync of ${settings.syncChanges} missed changes, ${settings.syncRounds} times`);
      const sync = await syncCatchUp(target, away!.token, missed.chat.id, settings.syncChanges, settings.syncRounds);
      return { target: target.name, ...fanout, history: historyLatency, chatList: listLatency, sync };
    } finally {
      await target.stop();
    }
  } finally {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function table(results: TargetResult[]): string {
  const ceiling = results.find((r) => r.target === 'ceiling')!;
  const ratio = (value: number, base: number) => (Number.isFinite(value / base) ? ` (${round(value / base)}×)` : '');
  const rows: Array<[string, (r: TargetResult) => number | string | undefined]> = [
    ['saturated acked msg/s', (r) => r.saturated.ackedPerSecond],
    ['saturated delivered events/s', (r) => r.saturated.deliveredPerSecond],
    [`open loop ${settings.rate}/s ack p50 ms`, (r) => r.openLoop.ack.p50],
    [`open loop ${settings.rate}/s ack p99 ms`, (r) => r.openLoop.ack.p99],
    [`open loop ${settings.rate}/s delivery p50 ms`, (r) => r.openLoop.delivery.p50],
    [`open loop ${settings.rate}/s delivery p99 ms`, (r) => r.openLoop.delivery.p99],
    ['handshakes/s', (r) => r.connections.handshakesPerSecond],
    ['RSS per idle connection KiB', (r) => r.connections.rssPerConnectionKiB],
    [`history page p50 ms (${settings.historyMessages} msgs)`, (r) => r.history?.measured.p50],
    [`history page p99 ms (${settings.historyMessages} msgs)`, (r) => r.history?.measured.p99],
    [`history warm-up p50 / max ms (first ${WARM_UP_CALLS})`, (r) => r.history && `${r.history.warmUp.p50} / ${r.history.warmUp.max}`],
    ['history page server CPU ms per call', (r) => r.history?.serverCpuMsPerCall],
    [`get_my_chats p50 ms (${settings.chats} chats)`, (r) => r.chatList?.measured.p50],
    [`get_my_chats p99 ms (${settings.chats} chats)`, (r) => r.chatList?.measured.p99],
    [`get_my_chats warm-up p50 / max ms (first ${WARM_UP_CALLS})`, (r) => r.chatList && `${r.chatList.warmUp.p50} / ${r.chatList.warmUp.max}`],
    ['get_my_chats server CPU ms per call', (r) => r.chatList?.serverCpuMsPerCall],
    [`sync of ${settings.syncChanges} missed changes, ms (median of ${settings.syncRounds})`, (r) => r.sync && median(r.sync.catchUpMs)],
    ['sync page (100 changes) p50 / p99 ms', (r) => r.sync && `${r.sync.page.measured.p50} / ${r.sync.page.measured.p99}`],
    ['sync page server CPU ms per call', (r) => r.sync?.page.serverCpuMsPerCall],
  ];
  const header = ['metric', ...results.map((r) => r.target)];
  const body = rows.map(([name, pick]) => [
    name,
    ...results.map((r) => {
      const value = pick(r);
      if (value === undefined) return '—';
      const base = pick(ceiling);
      return r === ceiling || typeof value !== 'number' || typeof base !== 'number' ? String(value) : `${value}${ratio(value, base)}`;
    }),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

const hasPostgres = Boolean(process.env.DATABASE_URL?.startsWith('postgres'));
const wanted = new Set((args.targets ?? 'ceiling,pglite,postgres').split(','));
// Every figure is reported against the ceiling measured in the same run, so it always runs.
const results: TargetResult[] = [await measureCeiling()];
if (wanted.has('pglite')) results.push(await measureParley('pglite'));
if (wanted.has('postgres') && hasPostgres) results.push(await measureParley('postgres'));
if (wanted.has('postgres') && !hasPostgres) log('DATABASE_URL is not set: PostgreSQL not measured');

const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
  settings,
  results,
};
const out = args.out ?? path.join('bench', 'results', `${report.date.replace(/[:.]/g, '-')}.json`);
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(table(results));
console.log(`\nresults: ${out}`);
