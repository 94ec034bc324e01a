import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../src/config.js';
import { HISTORY_PAGE_MAX } from '../src/protocol/schemas.js';
import type { Database } from '../src/store/database.js';
import { openDatabase } from '../src/store/open-store.js';
import { postgresCpu } from './postgres-cpu.js';
import { bigRoom, bigRoomTable, type BigRoomResult, type BigRoomSetup } from './scenarios/big-room.js';
import { idleConnections, type ConnectionsResult } from './scenarios/connections.js';
import {
  openLoop,
  saturated,
  type FanoutSetup,
  type OpenLoopResult,
  type SaturatedResult,
} from './scenarios/fanout.js';
import {
  attackSockets,
  fairness,
  fairnessTable,
  type FairnessResult,
  type FairnessSetup,
} from './scenarios/fairness.js';
import {
  chatList,
  CHAT_LIST_PAGE,
  historyPages,
  syncCatchUp,
  WARM_UP_CALLS,
  type ReadLatency,
  type SyncCatchUp,
} from './scenarios/reads.js';
import { searchLatency, searchTable, seedSearch, type SearchResult } from './scenarios/search.js';
import { addMember, seedChatList, seedGroupChats, seedHistory, seedUsers } from './seed.js';
import { round } from './stats.js';
import { markdownTable } from './table.js';
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
    /**
     * One group of scenarios only: `capacity` (fan-out, connections and reads, against the ceiling),
     * `big-room` (one chat of thousands, against the ceiling), `fairness` or `search` (message
     * search over a corpus of a million messages).
     */
    only: { type: 'string' },
    /** Seconds of each of the fairness scenario's two runs (quiet, flood). */
    'fairness-seconds': { type: 'string' },
    /** The fairness attacker's connections (default: the per-user maximum). */
    'attacker-sockets': { type: 'string' },
    /** The big room's members, and how many of them are full clients that send and are timed. */
    'room-members': { type: 'string' },
    'room-sampled': { type: 'string' },
    /** Messages per second sent to the big room, and seconds of its measured run. */
    'room-rate': { type: 'string' },
    'room-seconds': { type: 'string' },
    /** The search scenario's corpus: messages, chats, and chats of each (but the heavy) searcher. */
    'search-messages': { type: 'string' },
    'search-chats': { type: 'string' },
    'search-user-chats': { type: 'string' },
    /** Measured search_messages calls (after the warm-up). */
    'search-calls': { type: 'string' },
  },
});
const GROUPS = ['capacity', 'big-room', 'fairness', 'search'];
if (args.only !== undefined && !GROUPS.includes(args.only)) {
  throw new Error(`--only ${args.only}: expected one of ${GROUPS.join(', ')}`);
}
const runs = (group: string) => args.only === undefined || args.only === group;
const defaults = loadConfig({});

const preset = args.smoke
  ? {
      users: 12,
      groupSize: 6,
      window: 2,
      rate: 100,
      seconds: 0.5,
      connections: 40,
      historyMessages: 2_000,
      samples: 20,
      chats: 50,
      repeats: 5,
      syncChanges: 500,
      syncRounds: 1,
    }
  : args.quick
    ? {
        users: 60,
        groupSize: 6,
        window: 4,
        rate: 500,
        seconds: 3,
        connections: 1_000,
        historyMessages: 50_000,
        samples: 200,
        chats: 1_000,
        repeats: 30,
        syncChanges: 10_000,
        syncRounds: 2,
      }
    : {
        users: 120,
        groupSize: 6,
        window: 4,
        rate: 1_000,
        seconds: 10,
        connections: 5_000,
        historyMessages: 1_000_000,
        samples: 500,
        chats: 1_000,
        repeats: 300,
        syncChanges: 10_000,
        syncRounds: 5,
      };
/**
 * The fairness scenario's: the others (in chats of 5), the attacker's big-message chat and chat
 * list, and how hard it pushes: as hard as the default limits allow, except in the smoke test,
 * which only checks that the scenario works (small pages and bodies, slow requests).
 */
const attackAtFullStrength = {
  attackerSockets: defaults.limits.connectionsPerUser,
  // A little faster than a user's events are allowed, so that even one socket meets the limit.
  ratePerSocket: Math.ceil(defaults.limits.eventsPerSecond * 1.2),
  pageSize: HISTORY_PAGE_MAX,
  postBytes: 60_000,
};
const attackForSmoke = { attackerSockets: 6, ratePerSocket: 10, pageSize: 10, postBytes: 2_000 };
const fairnessPreset = args.smoke
  ? { users: 10, rate: 30, seconds: 1, bigMessages: 200, attackerChats: 50, ...attackForSmoke }
  : args.quick
    ? { users: 20, rate: 100, seconds: 5, bigMessages: 1_000, attackerChats: 1_000, ...attackAtFullStrength }
    : { users: 20, rate: 100, seconds: 10, bigMessages: 2_000, attackerChats: 1_000, ...attackAtFullStrength };
const roomPreset = args.smoke
  ? { members: 30, sampled: 5, rate: 10, seconds: 1 }
  : args.quick
    ? { members: 1_000, sampled: 50, rate: 10, seconds: 5 }
    : { members: 5_000, sampled: 100, rate: 10, seconds: 10 };
const searchPreset = args.smoke
  ? { messages: 2_000, chats: 20, userChats: 5, calls: 30, warmUp: 6 }
  : args.quick
    ? { messages: 100_000, chats: 2_000, userChats: 100, calls: 300, warmUp: 30 }
    : { messages: 1_000_000, chats: 5_000, userChats: 100, calls: 600, warmUp: 60 };
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
  fairness: {
    ...fairnessPreset,
    seconds: num(args['fairness-seconds'], fairnessPreset.seconds),
    attackerSockets: num(args['attacker-sockets'], fairnessPreset.attackerSockets),
  },
  search: {
    messages: num(args['search-messages'], searchPreset.messages),
    chats: num(args['search-chats'], searchPreset.chats),
    userChats: num(args['search-user-chats'], searchPreset.userChats),
    calls: num(args['search-calls'], searchPreset.calls),
    warmUp: searchPreset.warmUp,
    /** Searchers: the last one in every chat (scenarios/search.ts). */
    searchers: 4,
  },
  room: {
    members: num(args['room-members'], roomPreset.members),
    sampled: num(args['room-sampled'], roomPreset.sampled),
    rate: num(args['room-rate'], roomPreset.rate),
    seconds: num(args['room-seconds'], roomPreset.seconds),
  },
};
if (settings.room.sampled < 2 || settings.room.sampled > settings.room.members) {
  throw new Error('--room-sampled: at least 2 (a sender and a receiver), at most --room-members');
}
const fromSource = args['from-source'];

interface TargetResult {
  target: string;
  saturated: SaturatedResult;
  openLoop: OpenLoopResult;
  connections: ConnectionsResult;
  history?: ReadLatency;
  chatList?: ReadLatency;
  /** get_my_chats of the same user, the first page (`{limit: CHAT_LIST_PAGE}`). */
  chatListPage?: ReadLatency;
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

type Store = 'pglite' | 'postgres';

/**
 * Runs `measure` against Parley on a fresh `store`, which `seed` filled first (straight into the
 * database, before the server starts: PGlite allows one process at a time). `abuseLimits` as in
 * startParley.
 */
async function onParley<Seeded, Result>(
  store: Store,
  abuseLimits: 'lifted' | 'default',
  seed: (db: Database, secret: string) => Promise<Seeded>,
  measure: (target: Target, seeded: Seeded) => Promise<Result>,
): Promise<Result> {
  const secret = randomBytes(32).toString('hex');
  const dataDir = store === 'pglite' ? await mkdtemp(path.join(tmpdir(), 'parley-bench-')) : undefined;
  const database: Config['database'] =
    store === 'pglite' ? { kind: 'pglite', dataDir: dataDir! } : { kind: 'postgres', url: process.env.DATABASE_URL! };
  try {
    log(`parley/${store}: seeding`);
    const db = await openDatabase(database);
    const seeded = await seed(db, secret);
    // Measure the steady state, not the bulk load's aftermath: without this, PostgreSQL writes the
    // seed's WAL out (checkpoint) and vacuums and analyses a million new rows during the latency
    // runs, which put its delivery p99 at ~135 ms where a small seed gives ~15 ms.
    await db.query('VACUUM ANALYZE');
    await db.query('CHECKPOINT');
    await db.close();

    const env: Record<string, string> = { JWT_SECRET: secret };
    if (store === 'pglite') Object.assign(env, { DATA_DIR: dataDir!, DATABASE_URL: '' });
    else env.DATABASE_URL = process.env.DATABASE_URL!;
    const target = await startParley(env, fromSource, args.profile, abuseLimits);
    target.name = `parley/${store}`;
    try {
      if (store === 'postgres') target.databaseCpu = await postgresCpu(process.env.DATABASE_URL!);
      return await measure(target, seeded);
    } finally {
      await target.databaseCpu?.close();
      await target.stop();
    }
  } finally {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

function measureParley(store: Store): Promise<TargetResult> {
  return onParley(
    store,
    'lifted',
    async (db, secret) => {
      const users = await seedUsers(db, settings.users, secret);
      const chats = await seedGroupChats(db, users, settings.groupSize);
      // Up to 20 sockets per user, as an app open in several tabs and devices.
      const idleUsers = await seedUsers(db, Math.ceil(settings.connections / 20), secret);
      const connectionTokens = Array.from(
        { length: settings.connections },
        (_, i) => idleUsers[i % idleUsers.length]!.token,
      );
      const [reader, partner] = await seedUsers(db, 2, secret);
      const history = await seedHistory(
        db,
        [reader!, partner!],
        settings.historyMessages,
        WARM_UP_CALLS + settings.samples,
      );
      const [listOwner] = await seedUsers(db, 1, secret);
      await seedChatList(db, listOwner!, users, settings.chats);
      // A chat whose `syncChanges` changes (one message each) a client missed.
      const [away, writer] = await seedUsers(db, 2, secret);
      const missed = await seedHistory(db, [away!, writer!], settings.syncChanges, 0);
      const setup = {
        chatIds: chats.map((c) => c.id),
        members: chats.map((c) => c.memberIds.map((id) => users.find((u) => u.id === id)!.token)),
      };
      return { setup, connectionTokens, reader: reader!, history, listOwner: listOwner!, away: away!, missed };
    },
    async (target, { setup, connectionTokens, reader, history, listOwner, away, missed }) => {
      const fanout = await measureFanout(target, setup, connectionTokens);
      log(`${target.name}: history pages at random depths of ${settings.historyMessages} messages`);
      const historyLatency = await historyPages(target, reader.token, history.chat.id, history.cursorIds);
      log(`${target.name}: get_my_chats with ${settings.chats} chats`);
      const listLatency = await chatList(target, listOwner.token, settings.repeats, settings.chats);
      log(`${target.name}: get_my_chats, first page of ${CHAT_LIST_PAGE}`);
      const pageLatency = await chatList(
        target,
        listOwner.token,
        settings.repeats,
        Math.min(CHAT_LIST_PAGE, settings.chats),
        true,
      );
      log(`${target.name}: sync of ${settings.syncChanges} missed changes, ${settings.syncRounds} times`);
      const sync = await syncCatchUp(target, away.token, missed.chat.id, settings.syncChanges, settings.syncRounds);
      return {
        target: target.name,
        ...fanout,
        history: historyLatency,
        chatList: listLatency,
        chatListPage: pageLatency,
        sync,
      };
    },
  );
}

/** Chats of the fairness scenario's ordinary users. */
const FAIRNESS_GROUP_SIZE = 5;
/** Message ids of the attacker's big-message chat that its history pages start `before`. */
const FAIRNESS_CURSORS = 100;
/** A 4-byte character: MAX_MESSAGE_LENGTH of them is the largest message text, in bytes. */
const WIDE_CHARACTER = '😀';

/** The fairness scenario (scenarios/fairness.ts) against Parley with its default limits. */
function measureFairness(store: Store): Promise<FairnessResult> {
  const f = settings.fairness;
  return onParley(
    store,
    'default',
    async (db, secret): Promise<FairnessSetup> => {
      const others = await seedUsers(db, f.users, secret);
      const chats = await seedGroupChats(db, others, FAIRNESS_GROUP_SIZE);
      const [attacker, partner, probe] = await seedUsers(db, 3, secret);
      // The attacker posts and edits its messages in the first of the others' chats.
      await addMember(db, chats[0]!, attacker!);
      // Messages of ~16 KB, just within MAX_MESSAGE_LENGTH with their number: a page of 100 is 1.6 MB.
      const filler = ` ${WIDE_CHARACTER.repeat(defaults.maxMessageLength - 40)}`;
      const bigChat = await seedHistory(db, [attacker!, partner!], f.bigMessages, FAIRNESS_CURSORS, filler);
      await seedChatList(db, attacker!, await seedUsers(db, 10, secret), f.attackerChats);
      const tokenOf = new Map(others.map((u) => [u.id, u.token]));
      return {
        others: {
          chatIds: chats.map((c) => c.id),
          members: chats.map((c) => c.memberIds.flatMap((id) => tokenOf.get(id) ?? [])),
        },
        probeToken: probe!.token,
        attack: {
          token: attacker!.token,
          sockets: attackSockets(f.attackerSockets),
          ratePerSocket: f.ratePerSocket,
          // As many as a user may have waiting on a node by default (MAX_WAITING_REQUESTS_PER_USER).
          window: 32,
          postsPerSecond: 2,
          postBytes: f.postBytes,
          pageSize: f.pageSize,
          historyChatId: bigChat.chat.id,
          cursorIds: bigChat.cursorIds,
          editChatId: chats[0]!.id,
          editLength: defaults.maxMessageLength,
        },
      };
    },
    async (target, setup) => {
      log(
        `${target.name}: fairness, ${f.users} users at ${f.rate} msg/s for ${f.seconds} s, quiet then beside an attacker`,
      );
      return fairness(target, setup, f.rate, f.seconds * 1000);
    },
  );
}

/** The search scenario (scenarios/search.ts) against Parley on a corpus seeded straight into the database. */
function measureSearch(store: Store): Promise<SearchResult> {
  const { messages, chats, userChats, calls, warmUp, searchers } = settings.search;
  return onParley(
    store,
    'lifted',
    (db, secret) => {
      log(`parley/${store}: search corpus of ${messages} messages in ${chats} chats`);
      return seedSearch(db, secret, { messages, chats, searchers, chatsPerSearcher: userChats });
    },
    (target, setup) => {
      log(`${target.name}: search_messages, ${calls} calls (rare, common and multi-word queries)`);
      return searchLatency(target, setup, { messages, chats }, calls, warmUp);
    },
  );
}

/** The big room's members, the first `sampled` of them full clients (scenarios/big-room.ts). */
function roomSetup(chatId: string, tokens: string[]): BigRoomSetup {
  const { sampled } = settings.room;
  return { chatId, sampleTokens: tokens.slice(0, sampled), memberTokens: tokens.slice(sampled) };
}

function measureBigRoom(target: Target, setup: BigRoomSetup): Promise<BigRoomResult> {
  const { members, rate, seconds } = settings.room;
  log(`${target.name}: big room, ${members} members, ${rate} msg/s for ${seconds} s`);
  return bigRoom(target, setup, rate, seconds * 1000);
}

async function measureBigRoomOnCeiling(): Promise<BigRoomResult> {
  const target = await startCeiling();
  try {
    const tokens = Array.from({ length: settings.room.members }, (_, i) => `member-${i}`);
    return await measureBigRoom(target, roomSetup('big-room', tokens));
  } finally {
    await target.stop();
  }
}

/** Parley with every member seeded into one chat: the member cap (MAX_CHAT_MEMBERS) is the service's, not the database's. */
function measureBigRoomOnParley(store: Store): Promise<BigRoomResult> {
  return onParley(
    store,
    'lifted',
    async (db, secret) => {
      const users = await seedUsers(db, settings.room.members, secret);
      const [chat] = await seedGroupChats(db, users, users.length);
      return roomSetup(
        chat!.id,
        users.map((u) => u.token),
      );
    },
    measureBigRoom,
  );
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
    ['handshakes/s (goal ≥ 0.8× the ceiling)', (r) => r.connections.handshakesPerSecond],
    ['RSS per idle connection KiB', (r) => r.connections.rssPerConnectionKiB],
    [`history page p50 ms (${settings.historyMessages} msgs)`, (r) => r.history?.measured.p50],
    [`history page p99 ms (${settings.historyMessages} msgs)`, (r) => r.history?.measured.p99],
    [
      `history warm-up p50 / max ms (first ${WARM_UP_CALLS})`,
      (r) => r.history && `${r.history.warmUp.p50} / ${r.history.warmUp.max}`,
    ],
    ['history page server CPU ms per call', (r) => r.history?.serverCpuMsPerCall],
    [`get_my_chats p50 ms (${settings.chats} chats)`, (r) => r.chatList?.measured.p50],
    [`get_my_chats p99 ms (${settings.chats} chats)`, (r) => r.chatList?.measured.p99],
    [
      `get_my_chats warm-up p50 / max ms (first ${WARM_UP_CALLS})`,
      (r) => r.chatList && `${r.chatList.warmUp.p50} / ${r.chatList.warmUp.max}`,
    ],
    ['get_my_chats server CPU ms per call', (r) => r.chatList?.serverCpuMsPerCall],
    [
      `get_my_chats page of ${CHAT_LIST_PAGE} p50 / p99 ms`,
      (r) => r.chatListPage && `${r.chatListPage.measured.p50} / ${r.chatListPage.measured.p99}`,
    ],
    ['get_my_chats page server CPU ms per call', (r) => r.chatListPage?.serverCpuMsPerCall],
    [
      `sync of ${settings.syncChanges} missed changes, ms (median of ${settings.syncRounds})`,
      (r) => r.sync && median(r.sync.catchUpMs),
    ],
    [
      'sync page (100 changes) p50 / p99 ms',
      (r) => r.sync && `${r.sync.page.measured.p50} / ${r.sync.page.measured.p99}`,
    ],
    ['sync page server CPU ms per call', (r) => r.sync?.page.serverCpuMsPerCall],
  ];
  const header = ['metric', ...results.map((r) => r.target)];
  const body = rows.map(([name, pick]) => [
    name,
    ...results.map((r) => {
      const value = pick(r);
      if (value === undefined) return '—';
      const base = pick(ceiling);
      return r === ceiling || typeof value !== 'number' || typeof base !== 'number'
        ? String(value)
        : `${value}${ratio(value, base)}`;
    }),
  ]);
  return markdownTable(header, body);
}

const hasPostgres = Boolean(process.env.DATABASE_URL?.startsWith('postgres'));
const wanted = new Set((args.targets ?? 'ceiling,pglite,postgres').split(','));
const stores = (['pglite', 'postgres'] as const).filter(
  (store) => wanted.has(store) && (store === 'pglite' || hasPostgres),
);
if (wanted.has('postgres') && !hasPostgres) log('DATABASE_URL is not set: PostgreSQL not measured');
/**
 * The stores a scenario runs on: all of them, except in the smoke run (which checks that the tool
 * works, not its figures, and must stay short in CI): there capacity runs on every store and each
 * later scenario on one, PostgreSQL and PGlite in turn (`turn`).
 */
const storesOf = (turn: number) => (args.smoke && stores.length > 1 ? [stores[turn % stores.length]!] : stores);
// Every figure of capacity and big-room is reported against the ceiling measured in the same
// run, so the ceiling always runs with them.
const results: TargetResult[] = [];
if (runs('capacity')) {
  results.push(await measureCeiling());
  for (const store of stores) results.push(await measureParley(store));
}
const bigRoomResults: BigRoomResult[] = [];
if (runs('big-room')) {
  bigRoomResults.push(await measureBigRoomOnCeiling());
  for (const store of storesOf(1)) bigRoomResults.push(await measureBigRoomOnParley(store));
}
const fairnessResults: FairnessResult[] = [];
if (runs('fairness')) for (const store of storesOf(0)) fairnessResults.push(await measureFairness(store));
const searchResults: SearchResult[] = [];
if (runs('search')) for (const store of storesOf(1)) searchResults.push(await measureSearch(store));

const report = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
  },
  settings,
  results,
  bigRoom: bigRoomResults,
  fairness: fairnessResults,
  search: searchResults,
};
const out = args.out ?? path.join('bench', 'results', `${report.date.replace(/[:.]/g, '-')}.json`);
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
const tables = [
  ...(results.length > 0 ? [table(results)] : []),
  ...(bigRoomResults.length > 0 ? [bigRoomTable(bigRoomResults)] : []),
  ...(fairnessResults.length > 0 ? [fairnessTable(fairnessResults)] : []),
  ...(searchResults.length > 0 ? [searchTable(searchResults)] : []),
];
console.log(tables.join('\n\n'));
console.log(`\nresults: ${out}`);
