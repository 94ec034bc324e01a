import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { POSITION_CHECK_MS } from '../src/realtime/chat-feed.js';
import { clusterEnv, type ClusterNode } from '../test/helpers/cluster-nodes.js';
import { createChat, registerUser, type TestUser } from '../test/helpers/server.js';
import { ChaosClient } from './chaos-client.js';
import { ChaosCluster } from './cluster.js';
import { injectFault, recoveryFigures, type FaultScene } from './faults.js';
import { Examples, mulberry32, sleep } from './helpers.js';
import { logFigures } from './log-watcher.js';
import { distribution, failuresOf, type ChaosReport } from './report.js';
import { newStats, type RunContext } from './run-context.js';
import { describeStep, fullSchedule, type ChaosStep } from './schedule.js';
import { checkAcks, checkLiveGaps } from './stored-checks.js';
import { readStored, storedFingerprint, viewsAfterFinalSync, viewsBeforeFinalSync } from './stored-view.js';

/**
 * Parley's own chaos suite (issue 16, item 7; docs/chaos.md): three nodes on real PostgreSQL and
 * Redis, each reached through a TCP proxy the suite owns, under steady load from simulated clients
 * that follow the reconnect recipe (fresh socket, get_my_chats, join_chat, sync) and retry sends
 * with the same clientMessageId. Faults: a node SIGKILLed and restarted, Redis cut, PostgreSQL cut,
 * a rolling restart (SIGTERM). Then the figures: nothing acknowledged lost or stored twice, no
 * socket ever saw a chat's versions go backwards or repeat, every client's view equal to the
 * database both before (missedAtEnd) and after (finalViewMismatches) a final sync, and the node logs.
 *
 * It measures; it never makes a figure look better. Every loop has a deadline, and the nodes,
 * proxies, sockets and Redis keys are always cleaned up.
 */

export interface ChaosOptions {
  /** Defaults: DATABASE_URL / REDIS_URL (as test/helpers/cluster-nodes.ts reads them). */
  databaseUrl?: string;
  redisUrl?: string;
  /** The fault schedule; default fullSchedule(). */
  schedule?: ChaosStep[];
  nodes?: number;
  users?: number;
  chats?: number;
  /** How many chats each user belongs to (members per chat = users * chatsPerUser / chats). */
  chatsPerUser?: number;
  /** Each client sends one message per interval (closed loop: the next only after an ack). */
  sendIntervalMs?: number;
  /** After each acked send: edit one of the client's own messages with this probability… */
  editRatio?: number;
  /** …or delete one with this probability. */
  deleteRatio?: number;
  ackTimeoutMs?: number;
  /** After sending stops: how long unacknowledged messages keep being retried. */
  drainMs?: number;
  /** After the drain: how long to wait for every client to be connected and synced. */
  settleMs?: number;
  /** Then: how long to wait before reading the views (lost broadcasts are found by the position check). */
  quiesceMs?: number;
  /** A live new_message arriving later than this after its createdAt counts as late. */
  lateMs?: number;
  seed?: number;
  /** Extra environment for every node. */
  nodeEnv?: Record<string, string>;
  log?: (line: string) => void;
}

/** The options with every default filled in. */
type Settings = ReturnType<typeof settingsOf>;

function settingsOf(options: ChaosOptions) {
  const databaseUrl = options.databaseUrl ?? clusterEnv?.databaseUrl;
  const redisUrl = options.redisUrl ?? clusterEnv?.redisUrl;
  if (!databaseUrl || !redisUrl) throw new Error('runChaos needs DATABASE_URL (postgres://…) and REDIS_URL');
  const chatCount = options.chats ?? 4;
  return {
    databaseUrl,
    redisUrl,
    schedule: options.schedule ?? fullSchedule(),
    nodeCount: options.nodes ?? 3,
    userCount: options.users ?? 12,
    chatCount,
    chatsPerUser: Math.min(options.chatsPerUser ?? 2, chatCount),
    sendIntervalMs: options.sendIntervalMs ?? 200,
    ackTimeoutMs: options.ackTimeoutMs ?? 5_000,
    drainMs: options.drainMs ?? 20_000,
    settleMs: options.settleMs ?? 30_000,
    quiesceMs: options.quiesceMs ?? 3_000 + POSITION_CHECK_MS,
    lateMs: options.lateMs ?? 1_000,
    editRatio: options.editRatio ?? 0.1,
    deleteRatio: options.deleteRatio ?? 0.05,
    seed: options.seed ?? Date.now() & 0x7fffffff,
    nodeEnv: options.nodeEnv,
    log: options.log ?? (() => {}),
  };
}

/** Everything a run's phases share. */
interface Run extends FaultScene {
  settings: Settings;
}

/** The chats the run created, and how many members the largest has. */
interface Population {
  chatIds: string[];
  membersPerChat: number;
}

export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const settings = settingsOf(options);
  const rng = mulberry32(settings.seed);
  const t0 = Date.now();
  const say = (line: string) => settings.log(`[+${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  let signalStop!: () => void;
  const stop = new Promise<void>((resolve) => (signalStop = resolve));
  const cluster = new ChaosCluster({
    databaseUrl: settings.databaseUrl,
    redisUrl: settings.redisUrl,
    nodeEnv: settings.nodeEnv,
    t0,
    rng,
    say,
  });
  const ctx: RunContext = {
    gaps: [],
    t0,
    runId: randomUUID().slice(0, 8),
    rng,
    pool: cluster.pool,
    stats: newStats(),
    examples: new Examples(),
    acks: [],
    ackTimeoutMs: settings.ackTimeoutMs,
    lateMs: settings.lateMs,
    sendIntervalMs: settings.sendIntervalMs,
    editRatio: settings.editRatio,
    deleteRatio: settings.deleteRatio,
    sending: false,
    retryDeadline: Number.POSITIVE_INFINITY,
    stopped: false,
    stop,
  };
  const run: Run = { settings, ctx, cluster, clients: [], say, faults: [], gracefulStops: [] };
  let db: pg.Client | undefined;

  try {
    await cluster.openProxies();
    db = new pg.Client({ connectionString: settings.databaseUrl });
    db.on('error', () => {});
    await db.connect();
    say(
      `run ${ctx.runId}, seed ${settings.seed}: proxies on :${cluster.postgresProxy.port} (PostgreSQL) and :${cluster.redisProxy.port} (Redis), ` +
        `Redis prefix ${cluster.redisPrefix}`,
    );
    await Promise.all(Array.from({ length: settings.nodeCount }, () => cluster.addNode()));
    const population = await populate(run, cluster.pool.slots[0]!.node);
    await connectClients(run);
    const steadyWindow = await runSchedule(run);
    await drain(run);
    return await checkAndReport(run, db, population, steadyWindow);
  } finally {
    ctx.sending = false;
    ctx.stopped = true;
    ctx.retryDeadline = 0;
    signalStop();
    for (const client of run.clients) client.socket?.close();
    await Promise.race([
      Promise.all(run.clients.map((client) => Promise.all([client.connectionDone(), client.sendingDone()]))),
      sleep(15_000),
    ]);
    await cluster.close();
    await Promise.race([db?.end().catch(() => {}), sleep(5_000)]);
  }
}

/** Users, chats and one client per user: user i belongs to chats i, i+1, … (mod chats). */
async function populate({ settings, ctx, clients, say }: Run, entry: ClusterNode): Promise<Population> {
  const { userCount, chatCount, chatsPerUser } = settings;
  const users: TestUser[] = [];
  for (let i = 0; i < userCount; i++) users.push(await registerUser(entry, `chaos${i}`));
  const members: number[][] = Array.from({ length: chatCount }, () => []);
  for (let i = 0; i < userCount; i++) for (let j = 0; j < chatsPerUser; j++) members[(i + j) % chatCount]!.push(i);
  const chatIds: string[] = [];
  for (let c = 0; c < chatCount; c++) {
    const [owner, ...others] = members[c]!.map((i) => users[i]!);
    chatIds.push(await createChat(entry, owner!, others, `chaos ${ctx.runId} #${c}`));
  }
  const membersPerChat = Math.max(...members.map((m) => m.length));
  for (let i = 0; i < userCount; i++) {
    const mine = chatIds.filter((_, c) => members[c]!.includes(i));
    clients.push(new ChaosClient(i, users[i]!, mine, ctx));
  }
  say(`${userCount} users, ${chatCount} chats of ${membersPerChat} members; ${settings.nodeCount} nodes`);
  return { chatIds, membersPerChat };
}

/** Every client connects and follows the recipe (30 s at most); then they start sending. */
async function connectClients({ ctx, clients, say }: Run): Promise<void> {
  for (const client of clients) client.start();
  const connectDeadline = Date.now() + 30_000;
  while (clients.some((client) => !client.ready)) {
    if (Date.now() > connectDeadline) {
      const waiting = clients.filter((c) => !c.ready).map((c) => c.name);
      throw new Error(`clients not connected within 30 s: ${waiting.join(',')}`);
    }
    await sleep(100);
  }
  say('every client connected and synced; sending');
  ctx.sending = true;
  for (const client of clients) client.startSending();
}

/** The fault schedule, with a progress line every 5 s. Resolves with the first steady phase before any fault. */
async function runSchedule(run: Run): Promise<{ start: number; end: number } | undefined> {
  const { settings, ctx, cluster, clients, say, faults } = run;
  const progress = setInterval(() => {
    const ready = clients.filter((client) => client.ready).length;
    say(
      `acked ${ctx.acks.length}, sent ${ctx.stats.sent}, live events ${ctx.stats.live.events}, clients ready ${ready}/${clients.length}, ` +
        `nodes ${cluster.pool.slots.map((s) => s.name).join(',')}`,
    );
  }, 5_000);
  progress.unref();
  let steadyWindow: { start: number; end: number } | undefined;
  try {
    for (const step of settings.schedule) {
      say(describeStep(step));
      const phaseStart = Date.now();
      if (step.kind !== 'steady') {
        await injectFault(step, run);
        continue;
      }
      await sleep(step.ms);
      if (faults.length === 0 && !steadyWindow) steadyWindow = { start: phaseStart, end: Date.now() };
    }
  } finally {
    clearInterval(progress);
  }
  return steadyWindow;
}

/** Stop sending; retry what is not acknowledged yet; wait for every client to be connected and synced, then for quiescence. */
async function drain({ settings, ctx, clients, say }: Run): Promise<void> {
  const { drainMs, ackTimeoutMs, settleMs, quiesceMs } = settings;
  ctx.sending = false;
  ctx.retryDeadline = Date.now() + drainMs;
  say(`sending stopped; draining unacknowledged sends (up to ${drainMs / 1000}s)`);
  await Promise.race([
    Promise.all(clients.map((client) => client.sendingDone())),
    sleep(drainMs + ackTimeoutMs * 3 + 5_000),
  ]);
  const settleDeadline = Date.now() + settleMs;
  while (clients.some((client) => !client.ready) && Date.now() < settleDeadline) await sleep(100);
  say(
    `${clients.filter((c) => c.ready).length}/${clients.length} clients connected and synced; quiescence ${quiesceMs} ms`,
  );
  await sleep(quiesceMs);
}

/** The checks against the database, and the report. */
async function checkAndReport(
  run: Run,
  db: pg.Client,
  { chatIds, membersPerChat }: Population,
  steadyWindow: { start: number; end: number } | undefined,
): Promise<ChaosReport> {
  const { settings, ctx, clients, say } = run;
  const { stats } = ctx;
  const stored = await readStored(db, chatIds);
  const atEnd = clients.filter((client) => client.ready && client.socket?.connected);
  const { missedAtEnd, missedMessages } = viewsBeforeFinalSync(atEnd, stored, ctx);
  say(`views before a final sync: ${missedAtEnd} client×chat pairs differ from the database`);
  const finalViewMismatches = await viewsAfterFinalSync(atEnd, stored, ctx);
  const storedAgain = await readStored(db, chatIds);
  const acks = await checkAcks(db, chatIds, storedAgain, ctx);
  const faults = recoveryFigures(run.faults, clients, ctx);
  const logs = logFigures(run.cluster.watchers, run.gracefulStops);
  const gaps = checkLiveGaps(storedAgain, ctx);

  const report: ChaosReport = {
    runId: ctx.runId,
    seed: settings.seed,
    schedule: settings.schedule.map(describeStep),
    setup: {
      nodes: settings.nodeCount,
      users: settings.userCount,
      chats: settings.chatCount,
      membersPerChat,
      sendIntervalMs: settings.sendIntervalMs,
      targetMessagesPerSecond: Math.round((settings.userCount * 1000) / settings.sendIntervalMs),
    },
    durationMs: Date.now() - ctx.t0,
    sent: stats.sent,
    messages: stats.messages,
    acked: ctx.acks.length,
    stored: acks.stored,
    lost: acks.lost,
    duplicated: acks.duplicated,
    ackIdMismatches: acks.ackIdMismatches,
    storedNotAcked: acks.storedNotAcked,
    unackedAtEnd: clients.reduce((sum, client) => sum + client.unacked, 0),
    sendFailures: stats.sendFailures,
    edits: { ...stats.edits },
    deletes: { ...stats.deletes },
    live: {
      events: stats.live.events,
      newMessage: stats.live.newMessage,
      updated: stats.live.updated,
      deleted: stats.live.deleted,
      backwards: stats.live.backwards,
      repeated: stats.live.repeated,
      gapsSeen: stats.live.gapsSeen,
      gapsSuperseded: gaps.gapsSuperseded,
      liveMissed: gaps.liveMissed,
      beforeJoin: stats.live.beforeJoin,
    },
    missedAtEnd,
    missedMessages,
    finalViewMismatches,
    clientsCheckedAtEnd: atEnd.length,
    clientsNotConnectedAtEnd: clients.length - atEnd.length,
    late: { thresholdMs: ctx.lateMs, count: stats.late, maxMs: stats.maxLateMs },
    steadyDelivery: distribution(
      steadyWindow
        ? stats.deliveries.filter((d) => d.at >= steadyWindow.start && d.at <= steadyWindow.end).map((d) => d.ms)
        : [],
    ),
    runDelivery: distribution(stats.deliveries.map((d) => d.ms)),
    faults,
    connections: { ...stats.connections },
    logs,
    databaseChangedDuringCheck: storedFingerprint(stored) !== storedFingerprint(storedAgain),
    examples: ctx.examples.all,
    failures: [],
  };
  report.failures = failuresOf(report);
  say(`done: ${report.failures.length === 0 ? 'every check held' : `${report.failures.length} check(s) failed`}`);
  return report;
}
