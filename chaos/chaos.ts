import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import type { ChatSummary, Message, SyncEntry } from '../src/protocol/types.js';
import { POSITION_CHECK_MS } from '../src/realtime/chat-feed.js';
import { clusterEnv, dropRedisPrefix, readyStatus, startNode, uniqueRedisPrefix, type ClusterNode, type Exit } from '../test/helpers/cluster-nodes.js';
import { CuttableProxy, throughPort } from '../test/helpers/cuttable-proxy.js';
import { createChat, registerUser, type TestUser } from '../test/helpers/server.js';

/**
 * Parley's own chaos suite (issue 16, item 7): three nodes on real PostgreSQL and Redis, each
 * reached through a TCP proxy the suite owns, under steady load from simulated clients that follow
 * the reconnect recipe (fresh socket, get_my_chats, join_chat, sync) and retry sends with the same
 * clientMessageId. Faults: a node SIGKILLed and restarted, Redis cut, PostgreSQL cut, a rolling
 * restart (SIGTERM). Then the figures: nothing acknowledged lost or stored twice, no socket ever
 * saw a chat's versions go backwards or repeat, every client's view equal to the database both
 * before (missedAtEnd) and after (finalViewMismatches) a final sync, and the node logs.
 *
 * It measures; it never makes a figure look better. Every loop has a deadline, and the nodes,
 * proxies, sockets and Redis keys are always cleaned up.
 */

// ---------------------------------------------------------------------------------------------
// Options and schedule
// ---------------------------------------------------------------------------------------------

export type ChaosStep =
  | { kind: 'steady'; ms: number }
  /** SIGKILL one node, start a replacement after `downMs`. */
  | { kind: 'kill'; downMs: number }
  /** Cut every connection to Redis (the suite's proxy) for `ms`, then restore it on the same port. */
  | { kind: 'cut-redis'; ms: number }
  /** Cut every connection to PostgreSQL (the suite's proxy) for `ms`, then restore it. */
  | { kind: 'cut-postgres'; ms: number }
  /** SIGTERM each node in turn, wait for its exit, start a replacement and wait for /ready. */
  | { kind: 'rolling-restart' };

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

export function fullSchedule(options: { steadyMs?: number; killDownMs?: number; cutMs?: number } = {}): ChaosStep[] {
  const steady = options.steadyMs ?? 30_000;
  const cut = options.cutMs ?? 10_000;
  return [
    { kind: 'steady', ms: steady },
    { kind: 'kill', downMs: options.killDownMs ?? 3_000 },
    { kind: 'steady', ms: steady },
    { kind: 'cut-redis', ms: cut },
    { kind: 'steady', ms: steady },
    { kind: 'cut-postgres', ms: cut },
    { kind: 'steady', ms: steady },
    { kind: 'rolling-restart' },
    { kind: 'steady', ms: steady },
  ];
}

/** The short schedule of `npm test` and `npm run chaos -- --quick`. */
export function quickSchedule(options: { steadyMs?: number; killDownMs?: number; cutMs?: number } = {}): ChaosStep[] {
  return fullSchedule({ steadyMs: options.steadyMs ?? 3_000, killDownMs: options.killDownMs ?? 2_000, cutMs: options.cutMs ?? 3_000 });
}

export function describeStep(step: ChaosStep): string {
  switch (step.kind) {
    case 'steady':
      return `steady ${step.ms / 1000}s`;
    case 'kill':
      return `SIGKILL a node, restart after ${step.downMs / 1000}s`;
    case 'cut-redis':
      return `cut Redis ${step.ms / 1000}s`;
    case 'cut-postgres':
      return `cut PostgreSQL ${step.ms / 1000}s`;
    case 'rolling-restart':
      return 'rolling restart (SIGTERM each node in turn)';
  }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

export interface FaultFigure {
  name: string;
  /** ms since the run started. */
  startedAt: number;
  /** When the fault was removed (node restarted and ready, proxy reopened, replacement ready). */
  endedAt: number;
  /** From the fault's start until every client had a send (emitted after the start) acknowledged; null if one never did. */
  recoveryMs: number | null;
  /** The same, counted from the fault's end (0 when every client recovered before it ended). */
  recoveryAfterEndMs: number | null;
  clientsNotRecovered: number;
  /** GET /ready of each running node a quarter into a cut: 503 shows the cut took effect. */
  readyDuringFault?: Record<string, number | string>;
}

export interface LogLine {
  node: string;
  /** ms since the run started (pino's `time`, or when the line was read). */
  at: number;
  level: number | null;
  line: string;
}

export interface GracefulStop {
  node: string;
  exit: Exit | null;
  /** ms since the run started when SIGTERM was sent. */
  sigtermAt: number;
  /** Simulated clients connected to it when SIGTERM was sent. */
  clientsAtSigterm: number;
  ms: number;
  /** Error-level lines (pino level ≥ 50, or a non-JSON line naming an error) between SIGTERM and exit. */
  errorLines: number;
}

export interface Distribution {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface ChaosReport {
  runId: string;
  seed: number;
  schedule: string[];
  setup: { nodes: number; users: number; chats: number; membersPerChat: number; sendIntervalMs: number; targetMessagesPerSecond: number };
  durationMs: number;
  /** send_message emits, retries included. */
  sent: number;
  /** Distinct messages (clientMessageIds) the clients tried to send. */
  messages: number;
  acked: number;
  /** Messages in the database for the run's chats. */
  stored: number;
  /** Acknowledged but not in the database (or stored under another id than the one acknowledged). */
  lost: number;
  /** clientMessageIds stored more than once. */
  duplicated: number;
  /** A retry answered with a different message id than the one stored for its clientMessageId. */
  ackIdMismatches: number;
  /** Stored although never acknowledged (the client gave up at the end of the drain). */
  storedNotAcked: number;
  unackedAtEnd: number;
  sendFailures: Record<string, number>;
  edits: { attempted: number; acked: number };
  deletes: { attempted: number; acked: number };
  live: {
    events: number;
    newMessage: number;
    updated: number;
    deleted: number;
    /** A socket received a version of a chat lower than one it had (or its join_chat version). */
    backwards: number;
    /** A socket received the same version of a chat twice. */
    repeated: number;
    /** A version jumped (> last + 1): a client would have been told to sync. */
    gapsSeen: number;
    /** Jumps over versions all superseded by later changes of the same messages (delivered in their current state). */
    gapsSuperseded: number;
    /**
     * Jumps over a change whose state is still current in the database: that state never reached
     * the socket live (a reconnect's sync may have repaired it since). Counted per skipped message.
     */
    liveMissed: number;
    /** An event for a chat before that socket's join_chat answered (should not happen). */
    beforeJoin: number;
  };
  /** Client × chat pairs, for clients connected at the end, whose view (before a final sync) differs from the database. */
  missedAtEnd: number;
  missedMessages: { missing: number; stale: number; extra: number };
  /** Client × chat pairs whose view differs from the database after a final sync. */
  finalViewMismatches: number;
  clientsCheckedAtEnd: number;
  clientsNotConnectedAtEnd: number;
  late: { thresholdMs: number; count: number; maxMs: number | null };
  /** new_message arrival − createdAt in the first steady phase, before any fault. */
  steadyDelivery: Distribution;
  /** The same over the whole run. */
  runDelivery: Distribution;
  faults: FaultFigure[];
  connections: { opened: number; connectFailures: number; recipeFailures: number; disconnects: number; chatListMismatches: number };
  logs: {
    errorLines: number;
    errorExamples: LogLine[];
    shutdownErrorLines: number;
    shutdownErrorExamples: LogLine[];
    warnExamples: LogLine[];
    gracefulStops: GracefulStop[];
    /** A node wrote more than its output buffer between two reads: some lines were not seen. */
    outputOverflows: number;
    warnLines: number;
  };
  /** The database changed between the two reads of the final check (a straggling commit). */
  databaseChangedDuringCheck: boolean;
  /** Concrete cases behind every failing figure (first few of each). */
  examples: Record<string, unknown[]>;
  /** One line per failing correctness check; empty when everything held. */
  failures: string[];
}

// ---------------------------------------------------------------------------------------------
// Small tools
// ---------------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function distribution(samples: number[]): Distribution {
  if (samples.length === 0) return { count: 0, p50Ms: null, p99Ms: null, maxMs: null };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1]! };
}

type AnySocket = Socket;

function ask<T = any>(socket: AnySocket, ms: number, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(ms).emitWithAck(event, ...args) as Promise<T>;
}

/**
 * Like ask, but `handle` runs inside the acknowledgement callback itself: before any packet that
 * arrived after the answer is processed (an awaited answer's continuation would run only after the
 * rest of the same network chunk — live events that follow a join_chat answer, say).
 */
function askThen<T>(socket: AnySocket, ms: number, event: string, payload: unknown, handle: (answer: T) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.timeout(ms).emit(event, payload, (error: Error | null, answer: T) => {
      if (error) return reject(error);
      try {
        handle(answer);
        resolve();
      } catch (failure) {
        reject(failure);
      }
    });
  });
}

const EXAMPLES_KEPT = 8;

class Examples {
  readonly all: Record<string, unknown[]> = {};
  add(kind: string, example: unknown): void {
    const list = (this.all[kind] ??= []);
    if (list.length < EXAMPLES_KEPT) list.push(example);
  }
}

// ---------------------------------------------------------------------------------------------
// Node logs
// ---------------------------------------------------------------------------------------------

const ERROR_WORDS = /\b(error|unhandled|exception|fatal)\b/i;

/** Follows a node's output (test/helpers keeps its last 20 KB) and keeps every line, classified. */
class LogWatcher {
  private seen = '';
  private partial = '';
  readonly lines: LogLine[] = [];
  overflows = 0;

  constructor(
    readonly nodeName: string,
    private readonly node: ClusterNode,
    private readonly t0: number,
  ) {}

  poll(): void {
    const now = this.node.output();
    if (now === this.seen) return;
    let fresh: string;
    if (now.startsWith(this.seen)) {
      fresh = now.slice(this.seen.length);
    } else {
      // The buffer dropped its head: find where the text already read ends.
      const tail = this.seen.slice(-2_000);
      const at = tail ? now.lastIndexOf(tail) : -1;
      if (at >= 0) {
        fresh = now.slice(at + tail.length);
      } else {
        this.overflows++;
        fresh = now;
        this.partial = '';
      }
    }
    this.seen = now;
    const parts = (this.partial + fresh).split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.add(part);
  }

  flush(): void {
    this.poll();
    if (this.partial) this.add(this.partial);
    this.partial = '';
  }

  private add(raw: string): void {
    const line = raw.trim();
    if (!line) return;
    let level: number | null = null;
    let at = Date.now() - this.t0;
    try {
      const parsed = JSON.parse(line) as { level?: unknown; time?: unknown };
      if (typeof parsed.level === 'number') level = parsed.level;
      if (typeof parsed.time === 'number') at = parsed.time - this.t0;
    } catch {
      // not a pino line (a crash trace, a Node warning): kept as it is
    }
    this.lines.push({ node: this.nodeName, at, level, line: line.length > 2_000 ? `${line.slice(0, 2_000)}…` : line });
  }
}

function isErrorLine(line: LogLine): boolean {
  return line.level !== null ? line.level >= 50 : ERROR_WORDS.test(line.line);
}

// ---------------------------------------------------------------------------------------------
// Nodes behind a "load balancer"
// ---------------------------------------------------------------------------------------------

interface Slot {
  name: string;
  node: ClusterNode;
  /** The load balancer sends new connections here. */
  accepting: boolean;
  clients: number;
}

class Pool {
  readonly slots: Slot[] = [];

  constructor(private readonly rng: () => number) {}

  pick(avoid: Slot | undefined): Slot | undefined {
    let candidates = this.slots.filter((slot) => slot.accepting && slot.node.running);
    if (candidates.length > 1 && avoid) candidates = candidates.filter((slot) => slot !== avoid);
    if (candidates.length === 0) return undefined;
    const fewest = Math.min(...candidates.map((slot) => slot.clients));
    const best = candidates.filter((slot) => slot.clients === fewest);
    return best[Math.floor(this.rng() * best.length)];
  }

  remove(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Simulated clients
// ---------------------------------------------------------------------------------------------

interface Ack {
  clientMessageId: string;
  id: string;
  chatId: string;
  emitAt: number;
  ackAt: number;
}

interface LiveTrack {
  last: number | undefined;
  seen: Set<number>;
  joined: boolean;
}

interface Stats {
  sent: number;
  messages: number;
  sendFailures: Record<string, number>;
  editsAttempted: number;
  editsAcked: number;
  deletesAttempted: number;
  deletesAcked: number;
  liveEvents: number;
  newMessage: number;
  updated: number;
  deleted: number;
  backwards: number;
  repeated: number;
  gapsSeen: number;
  beforeJoin: number;
  late: number;
  maxLateMs: number | null;
  deliveries: { at: number; ms: number }[];
  opened: number;
  connectFailures: number;
  recipeFailures: number;
  disconnects: number;
  chatListMismatches: number;
}

/** A socket's live version of a chat jumped from `from` to `to`. */
interface Gap {
  client: number;
  node: string | undefined;
  chatId: string;
  from: number;
  to: number;
  at: number;
}

interface Context {
  gaps: Gap[];
  t0: number;
  runId: string;
  rng: () => number;
  pool: Pool;
  stats: Stats;
  examples: Examples;
  acks: Ack[];
  ackTimeoutMs: number;
  lateMs: number;
  sendIntervalMs: number;
  editRatio: number;
  deleteRatio: number;
  /** New messages are generated while this holds. */
  sending: boolean;
  /** Unacknowledged messages are retried until then. */
  retryDeadline: number;
  stopped: boolean;
  stop: Promise<void>;
  log: (line: string) => void;
}

const rel = (ctx: Context, at = Date.now()) => Math.round(at - ctx.t0);
const LIVE_EVENTS = ['new_message', 'message_updated', 'message_deleted'] as const;

class ChaosClient {
  socket: AnySocket | undefined;
  slot: Slot | undefined;
  /** Connected, and the reconnect recipe (get_my_chats, join_chat, sync) has completed. */
  ready = false;
  readyAt = 0;
  /** Per chat: message id → the message in the newest state this client has seen. */
  readonly view = new Map<string, Map<string, Message>>();
  /** Per chat: the highest version applied in order (from live events) or from sync. */
  readonly held = new Map<string, number>();
  /** Per chat: versions applied from live events above `held`, not contiguous with it yet. */
  private readonly aheadLive = new Map<string, Set<number>>();
  /** Per chat: the live tracking of the current socket (for the end-of-run examples). */
  live = new Map<string, LiveTrack>();
  private readonly own: { id: string; chatId: string; deleted: boolean }[] = [];
  unacked = 0;
  private loopDone: Promise<void> = Promise.resolve();
  private sendDone: Promise<void> = Promise.resolve();

  constructor(
    readonly index: number,
    readonly user: TestUser,
    readonly chats: string[],
    private readonly ctx: Context,
  ) {
    for (const chatId of chats) {
      this.view.set(chatId, new Map());
      this.held.set(chatId, 0);
      this.aheadLive.set(chatId, new Set());
    }
  }

  get name(): string {
    return `client ${this.index} (${this.user.user.username})`;
  }

  start(): void {
    this.loopDone = this.connectionLoop();
  }

  startSending(): void {
    this.sendDone = this.sendLoop();
  }

  sendingDone(): Promise<void> {
    return this.sendDone;
  }

  connectionDone(): Promise<void> {
    return this.loopDone;
  }

  // ---- connection and the reconnect recipe ----

  private async connectionLoop(): Promise<void> {
    const { ctx } = this;
    let avoid: Slot | undefined;
    while (!ctx.stopped) {
      const slot = ctx.pool.pick(avoid);
      if (!slot) {
        await Promise.race([sleep(200), ctx.stop]);
        continue;
      }
      slot.clients++;
      const live = new Map<string, LiveTrack>();
      let socket: AnySocket;
      try {
        socket = await this.open(slot.node.url, live);
      } catch {
        slot.clients--;
        ctx.stats.connectFailures++;
        avoid = slot;
        await Promise.race([sleep(300 + ctx.rng() * 400), ctx.stop]);
        continue;
      }
      ctx.stats.opened++;
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(String(reason))));
      this.socket = socket;
      this.slot = slot;
      this.live = live;
      try {
        await this.recipe(socket, live);
        if (socket.connected) {
          this.ready = true;
          this.readyAt = Date.now();
        }
      } catch (error) {
        ctx.stats.recipeFailures++;
        ctx.examples.add('recipeFailures', { client: this.index, node: slot.name, at: rel(ctx), error: String(error) });
        socket.close();
      }
      await Promise.race([disconnected, ctx.stop]);
      this.ready = false;
      this.socket = undefined;
      slot.clients--;
      socket.close();
      if (ctx.stopped) break;
      ctx.stats.disconnects++;
      avoid = slot;
      await Promise.race([sleep(200 + ctx.rng() * 300), ctx.stop]);
    }
  }

  private open(url: string, live: Map<string, LiveTrack>): Promise<AnySocket> {
    const socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: this.ctx.ackTimeoutMs,
      auth: { token: this.user.token },
    });
    for (const event of LIVE_EVENTS) socket.on(event, (message: Message) => this.onLive(event, message, live));
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (error) => {
        socket.close();
        reject(error);
      });
    });
  }

  /** get_my_chats, join_chat each chat, then sync from the version held per chat. */
  private async recipe(socket: AnySocket, live: Map<string, LiveTrack>): Promise<void> {
    const { ctx } = this;
    const list = await ask<{ success: boolean; chats: ChatSummary[] }>(socket, ctx.ackTimeoutMs, 'get_my_chats');
    if (!list.success) throw new Error(`get_my_chats: ${JSON.stringify(list)}`);
    const listed = list.chats.map((chat) => chat.id);
    if (listed.length !== this.chats.length || !this.chats.every((id) => listed.includes(id))) {
      ctx.stats.chatListMismatches++;
      ctx.examples.add('chatListMismatches', { client: this.index, expected: this.chats, listed });
    }
    const chats = listed.filter((id) => this.view.has(id));
    await Promise.all(
      chats.map((chatId) =>
        askThen<{ success: boolean; messages: Message[]; version: number }>(socket, ctx.ackTimeoutMs, 'join_chat', { chatId }, (answer) => {
          if (!answer.success) throw new Error(`join_chat: ${JSON.stringify(answer)}`);
          const track = live.get(chatId);
          if (track) {
            track.joined = true;
            if (track.last === undefined || track.last < answer.version) track.last = answer.version;
          } else {
            live.set(chatId, { last: answer.version, seen: new Set(), joined: true });
          }
          for (const message of answer.messages) this.apply(message);
        }),
      ),
    );
    await this.sync(socket, chats);
  }

  /** sync from the version held per chat until no chat has more. */
  async sync(socket: AnySocket, chatIds: string[]): Promise<void> {
    let pending = chatIds.map((chatId) => ({ chatId, version: this.held.get(chatId) ?? 0 }));
    for (let round = 0; pending.length > 0; round++) {
      if (round > 10_000) throw new Error('sync did not finish in 10 000 pages');
      const next: { chatId: string; version: number }[] = [];
      await askThen<{ success: boolean; chats: SyncEntry[] }>(socket, this.ctx.ackTimeoutMs, 'sync', { chats: pending }, (answer) => {
        if (!answer.success) throw new Error(`sync: ${JSON.stringify(answer)}`);
        for (const entry of answer.chats) {
          if (!entry.success) throw new Error(`sync entry: ${JSON.stringify(entry)}`);
          for (const message of entry.messages) this.apply(message);
          this.advanceHeld(entry.chatId, entry.version);
          if (entry.hasMore) next.push({ chatId: entry.chatId, version: entry.version });
        }
      });
      pending = next;
    }
  }

  // ---- live events ----

  private onLive(event: (typeof LIVE_EVENTS)[number], message: Message, live: Map<string, LiveTrack>): void {
    const { ctx } = this;
    const stats = ctx.stats;
    const now = Date.now();
    stats.liveEvents++;
    if (event === 'new_message') stats.newMessage++;
    else if (event === 'message_updated') stats.updated++;
    else stats.deleted++;
    const { chatId, version } = message;
    let track = live.get(chatId);
    if (!track) {
      track = { last: undefined, seen: new Set(), joined: false };
      live.set(chatId, track);
    }
    const where = { client: this.index, node: this.slot?.name, chatId, event, version, messageId: message.id, at: rel(ctx, now) };
    if (!track.joined) {
      stats.beforeJoin++;
      ctx.examples.add('beforeJoin', where);
    }
    if (track.seen.has(version)) {
      stats.repeated++;
      ctx.examples.add('repeated', { ...where, last: track.last });
    } else if (track.last !== undefined && version <= track.last) {
      stats.backwards++;
      ctx.examples.add('backwards', { ...where, last: track.last });
    } else if (track.last !== undefined && version > track.last + 1) {
      stats.gapsSeen++;
      ctx.examples.add('gapsSeen', { ...where, last: track.last });
      if (ctx.gaps.length < 100_000) ctx.gaps.push({ ...where, node: this.slot?.name, from: track.last, to: version });
    }
    track.seen.add(version);
    if (track.last === undefined || version > track.last) track.last = version;

    if (event === 'new_message') {
      const lateness = now - Date.parse(message.createdAt);
      stats.deliveries.push({ at: now, ms: lateness });
      if (lateness > ctx.lateMs) {
        stats.late++;
        ctx.examples.add('late', { ...where, lateMs: lateness, createdAt: message.createdAt });
      }
      if (stats.maxLateMs === null || lateness > stats.maxLateMs) stats.maxLateMs = lateness;
    }

    if (!this.view.has(chatId)) return;
    this.apply(message);
    const held = this.held.get(chatId) ?? 0;
    if (version === held + 1) this.advanceHeld(chatId, version);
    else if (version > held) this.aheadLive.get(chatId)!.add(version);
  }

  /** A message into the view, unless the view already has a newer state of it. */
  private apply(message: Message): void {
    const messages = this.view.get(message.chatId);
    if (!messages) return;
    const had = messages.get(message.id);
    if (!had || message.version >= had.version) messages.set(message.id, message);
  }

  private advanceHeld(chatId: string, version: number): void {
    let held = Math.max(this.held.get(chatId) ?? 0, version);
    const ahead = this.aheadLive.get(chatId)!;
    while (ahead.has(held + 1)) held++;
    for (const v of ahead) if (v <= held) ahead.delete(v);
    this.held.set(chatId, held);
  }

  // ---- sending ----

  private async readySocket(deadline: number): Promise<AnySocket | undefined> {
    while (Date.now() < deadline && !this.ctx.stopped) {
      if (this.ready && this.socket?.connected) return this.socket;
      await sleep(50);
    }
    return undefined;
  }

  private async sendLoop(): Promise<void> {
    const { ctx } = this;
    let next = Date.now() + ctx.rng() * ctx.sendIntervalMs;
    for (let n = 0; ctx.sending; n++) {
      await sleep(next - Date.now());
      if (!ctx.sending) break;
      const chatId = this.chats[n % this.chats.length]!;
      const clientMessageId = `${ctx.runId}-${this.index}-${n}`;
      await this.send(chatId, clientMessageId, `client ${this.index} message ${n} (${clientMessageId})`);
      const roll = ctx.rng();
      if (roll < ctx.editRatio) await this.change('edit');
      else if (roll < ctx.editRatio + ctx.deleteRatio) await this.change('delete');
      next = Math.max(next + ctx.sendIntervalMs, Date.now());
    }
  }

  /** Sends until acknowledged (same clientMessageId every time) or the retry deadline. */
  private async send(chatId: string, clientMessageId: string, text: string): Promise<void> {
    const { ctx } = this;
    ctx.stats.messages++;
    while (Date.now() < ctx.retryDeadline && !ctx.stopped) {
      const socket = await this.readySocket(ctx.retryDeadline);
      if (!socket) break;
      const emitAt = Date.now();
      ctx.stats.sent++;
      try {
        const answer = await ask<{ success: boolean; message?: Message; code?: string }>(socket, ctx.ackTimeoutMs, 'send_message', {
          chatId,
          text,
          clientMessageId,
        });
        if (answer.success && answer.message) {
          ctx.acks.push({ clientMessageId, id: answer.message.id, chatId, emitAt, ackAt: Date.now() });
          this.own.push({ id: answer.message.id, chatId, deleted: false });
          return;
        }
        const code = answer.code ?? 'NO_CODE';
        ctx.stats.sendFailures[code] = (ctx.stats.sendFailures[code] ?? 0) + 1;
      } catch (error) {
        const kind = /timed out/i.test(String(error)) ? 'ack timeout' : 'socket error';
        ctx.stats.sendFailures[kind] = (ctx.stats.sendFailures[kind] ?? 0) + 1;
      }
      await sleep(300 + ctx.rng() * 300);
    }
    this.unacked++;
    ctx.examples.add('unacked', { client: this.index, chatId, clientMessageId, at: rel(ctx) });
  }

  /** Edits or deletes one of the client's own messages (a few attempts). */
  private async change(kind: 'edit' | 'delete'): Promise<void> {
    const { ctx } = this;
    const candidates = this.own.filter((message) => !message.deleted);
    if (candidates.length === 0) return;
    const target = candidates[Math.floor(ctx.rng() * candidates.length)]!;
    if (kind === 'edit') ctx.stats.editsAttempted++;
    else ctx.stats.deletesAttempted++;
    for (let attempt = 0; attempt < 3 && Date.now() < ctx.retryDeadline; attempt++) {
      const socket = await this.readySocket(ctx.retryDeadline);
      if (!socket) return;
      try {
        const answer =
          kind === 'edit'
            ? await ask<{ success: boolean; code?: string }>(socket, ctx.ackTimeoutMs, 'edit_message', {
                messageId: target.id,
                text: `edited by client ${this.index} at ${rel(ctx)}`,
              })
            : await ask<{ success: boolean; code?: string }>(socket, ctx.ackTimeoutMs, 'delete_message', { messageId: target.id });
        if (answer.success) {
          if (kind === 'edit') ctx.stats.editsAcked++;
          else {
            ctx.stats.deletesAcked++;
            target.deleted = true;
          }
          return;
        }
        if (answer.code === 'NOT_FOUND') {
          // Already deleted by an earlier attempt whose answer was lost.
          if (kind === 'delete') target.deleted = true;
          return;
        }
      } catch {
        // timeout or disconnect: try again
      }
      await sleep(300);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The database's view
// ---------------------------------------------------------------------------------------------

interface StoredMessage {
  id: string;
  chatId: string;
  text: string;
  seq: number;
  version: number;
  createdAt: string;
  deletedAt: string | undefined;
  clientMessageId: string | null;
}

async function readStored(db: pg.Client, chatIds: string[]): Promise<Map<string, Map<string, StoredMessage>>> {
  const { rows } = await db.query<{
    id: string;
    chat_id: string;
    text: string;
    seq: string;
    version: string;
    created_at: Date;
    deleted_at: Date | null;
    client_message_id: string | null;
  }>(
    `SELECT id, chat_id, text, seq, version, created_at, deleted_at, client_message_id
       FROM messages WHERE chat_id = ANY($1::uuid[])`,
    [chatIds],
  );
  const byChat = new Map<string, Map<string, StoredMessage>>(chatIds.map((id) => [id, new Map()]));
  for (const row of rows) {
    byChat.get(row.chat_id)!.set(row.id, {
      id: row.id,
      chatId: row.chat_id,
      text: row.text,
      seq: Number(row.seq),
      version: Number(row.version),
      createdAt: row.created_at.toISOString(),
      deletedAt: row.deleted_at ? row.deleted_at.toISOString() : undefined,
      clientMessageId: row.client_message_id,
    });
  }
  return byChat;
}

interface ViewDiff {
  missing: StoredMessage[];
  stale: { stored: StoredMessage; seen: Message }[];
  extra: Message[];
}

function compareView(view: Map<string, Message>, stored: Map<string, StoredMessage>): ViewDiff {
  const diff: ViewDiff = { missing: [], stale: [], extra: [] };
  for (const message of stored.values()) {
    const seen = view.get(message.id);
    if (!seen) diff.missing.push(message);
    else if (seen.version !== message.version || seen.text !== message.text || (seen.deletedAt ?? undefined) !== message.deletedAt) {
      diff.stale.push({ stored: message, seen });
    }
  }
  for (const seen of view.values()) if (!stored.has(seen.id)) diff.extra.push(seen);
  return diff;
}

const isEmpty = (diff: ViewDiff) => diff.missing.length === 0 && diff.stale.length === 0 && diff.extra.length === 0;

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const databaseUrl = options.databaseUrl ?? clusterEnv?.databaseUrl;
  const redisUrl = options.redisUrl ?? clusterEnv?.redisUrl;
  if (!databaseUrl || !redisUrl) throw new Error('runChaos needs DATABASE_URL (postgres://…) and REDIS_URL');
  const schedule = options.schedule ?? fullSchedule();
  const nodeCount = options.nodes ?? 3;
  const userCount = options.users ?? 12;
  const chatCount = options.chats ?? 4;
  const chatsPerUser = Math.min(options.chatsPerUser ?? 2, chatCount);
  const sendIntervalMs = options.sendIntervalMs ?? 200;
  const ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
  const drainMs = options.drainMs ?? 20_000;
  const settleMs = options.settleMs ?? 30_000;
  const quiesceMs = options.quiesceMs ?? 3_000 + POSITION_CHECK_MS;
  const seed = options.seed ?? (Date.now() & 0x7fffffff);
  const log = options.log ?? (() => {});
  const rng = mulberry32(seed);
  const t0 = Date.now();
  const runId = randomUUID().slice(0, 8);
  const examples = new Examples();
  const stats: Stats = {
    sent: 0,
    messages: 0,
    sendFailures: {},
    editsAttempted: 0,
    editsAcked: 0,
    deletesAttempted: 0,
    deletesAcked: 0,
    liveEvents: 0,
    newMessage: 0,
    updated: 0,
    deleted: 0,
    backwards: 0,
    repeated: 0,
    gapsSeen: 0,
    beforeJoin: 0,
    late: 0,
    maxLateMs: null,
    deliveries: [],
    opened: 0,
    connectFailures: 0,
    recipeFailures: 0,
    disconnects: 0,
    chatListMismatches: 0,
  };
  let signalStop!: () => void;
  const stop = new Promise<void>((resolve) => (signalStop = resolve));
  const pool = new Pool(rng);
  const ctx: Context = {
    gaps: [],
    t0,
    runId,
    rng,
    pool,
    stats,
    examples,
    acks: [],
    ackTimeoutMs,
    lateMs: options.lateMs ?? 1_000,
    sendIntervalMs,
    editRatio: options.editRatio ?? 0.1,
    deleteRatio: options.deleteRatio ?? 0.05,
    sending: false,
    retryDeadline: Number.POSITIVE_INFINITY,
    stopped: false,
    stop,
    log,
  };
  const say = (line: string) => log(`[+${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);

  const prefix = uniqueRedisPrefix();
  const pgTarget = new URL(databaseUrl);
  const redisTarget = new URL(redisUrl);
  const pgProxy = new CuttableProxy(pgTarget.hostname, Number(pgTarget.port || 5432));
  const redisProxy = new CuttableProxy(redisTarget.hostname, Number(redisTarget.port || 6379));
  const watchers: LogWatcher[] = [];
  const allNodes: ClusterNode[] = [];
  const gracefulStops: GracefulStop[] = [];
  const faults: { name: string; start: number; end: number; readyDuringFault?: Record<string, number | string> }[] = [];
  const clients: ChaosClient[] = [];
  let nodeNumber = 0;
  let db: pg.Client | undefined;
  const pollTimer = setInterval(() => watchers.forEach((watcher) => watcher.poll()), 100);
  pollTimer.unref();

  async function addNode(): Promise<Slot> {
    const name = `n${++nodeNumber}`;
    const started = Date.now();
    const node = await startNode({
      name,
      redisPrefix: prefix,
      env: {
        DATABASE_URL: throughPort(databaseUrl!, pgProxy.port),
        REDIS_URL: throughPort(redisUrl!, redisProxy.port),
        ...options.nodeEnv,
      },
    });
    allNodes.push(node);
    watchers.push(new LogWatcher(name, node, t0));
    const slot: Slot = { name, node, accepting: true, clients: 0 };
    pool.slots.push(slot);
    say(`${name} ready on ${node.url} in ${Date.now() - started} ms`);
    return slot;
  }

  try {
    await pgProxy.open();
    await redisProxy.open();
    db = new pg.Client({ connectionString: databaseUrl });
    db.on('error', () => {});
    await db.connect();
    say(`run ${runId}, seed ${seed}: proxies on :${pgProxy.port} (PostgreSQL) and :${redisProxy.port} (Redis), Redis prefix ${prefix}`);
    await Promise.all(Array.from({ length: nodeCount }, () => addNode()));

    // Users and chats: user i belongs to chats i, i+1, … (mod chats).
    const entry = pool.slots[0]!.node;
    const users: TestUser[] = [];
    for (let i = 0; i < userCount; i++) users.push(await registerUser(entry, `chaos${i}`));
    const members: number[][] = Array.from({ length: chatCount }, () => []);
    for (let i = 0; i < userCount; i++) for (let j = 0; j < chatsPerUser; j++) members[(i + j) % chatCount]!.push(i);
    const chatIds: string[] = [];
    for (let c = 0; c < chatCount; c++) {
      const [owner, ...others] = members[c]!.map((i) => users[i]!);
      chatIds.push(await createChat(entry, owner!, others, `chaos ${runId} #${c}`));
    }
    const membersPerChat = Math.max(...members.map((m) => m.length));
    for (let i = 0; i < userCount; i++) {
      const mine = chatIds.filter((_, c) => members[c]!.includes(i));
      clients.push(new ChaosClient(i, users[i]!, mine, ctx));
    }
    say(`${userCount} users, ${chatCount} chats of ${membersPerChat} members; ${nodeCount} nodes`);

    for (const client of clients) client.start();
    const connectDeadline = Date.now() + 30_000;
    while (clients.some((client) => !client.ready)) {
      if (Date.now() > connectDeadline) throw new Error(`clients not connected within 30 s: ${clients.filter((c) => !c.ready).map((c) => c.name)}`);
      await sleep(100);
    }
    say('every client connected and synced; sending');
    ctx.sending = true;
    for (const client of clients) client.startSending();
    const progress = setInterval(() => {
      const ready = clients.filter((client) => client.ready).length;
      say(`acked ${ctx.acks.length}, sent ${stats.sent}, live events ${stats.liveEvents}, clients ready ${ready}/${clients.length}, nodes ${pool.slots.map((s) => s.name).join(',')}`);
    }, 5_000);
    progress.unref();

    let steadyWindow: { start: number; end: number } | undefined;
    let phaseStart = Date.now();
    try {
      for (const step of schedule) {
        say(describeStep(step));
        phaseStart = Date.now();
        if (step.kind === 'steady') {
          await sleep(step.ms);
          if (faults.length === 0 && !steadyWindow) steadyWindow = { start: phaseStart, end: Date.now() };
        } else if (step.kind === 'kill') {
          const victim = pool.slots[Math.floor(rng() * pool.slots.length)]!;
          const start = Date.now();
          victim.accepting = false;
          await victim.node.stop('SIGKILL', 10_000);
          pool.remove(victim);
          say(`${victim.name} killed (SIGKILL)`);
          await sleep(step.downMs);
          await addNode();
          faults.push({ name: `SIGKILL ${victim.name}, restart after ${step.downMs / 1000}s`, start, end: Date.now() });
        } else if (step.kind === 'cut-redis' || step.kind === 'cut-postgres') {
          const proxy = step.kind === 'cut-redis' ? redisProxy : pgProxy;
          const what = step.kind === 'cut-redis' ? 'Redis' : 'PostgreSQL';
          const start = Date.now();
          await proxy.cut();
          say(`${what} cut`);
          // Shows the cut took effect, without lengthening it: an answer that comes after the restore says so.
          await sleep(step.ms / 4);
          let restored = false;
          const probe = Promise.all(
            pool.slots.map(async (slot) => {
              const status = await readyStatus(slot.node);
              return [slot.name, restored ? `${status} (answered after the restore)` : status] as const;
            }),
          );
          await sleep(start + step.ms - Date.now());
          await proxy.open();
          restored = true;
          const readyDuringFault: Record<string, number | string> = Object.fromEntries(await probe);
          say(`${what} restored; GET /ready during the cut: ${JSON.stringify(readyDuringFault)}`);
          faults.push({ name: `cut ${what} ${step.ms / 1000}s`, start, end: Date.now(), readyDuringFault });
        } else {
          for (const slot of [...pool.slots]) {
            const start = Date.now();
            slot.accepting = false;
            const sigtermAt = Date.now();
            const clientsAtSigterm = clients.filter((client) => client.slot === slot && client.socket?.connected).length;
            let exit: Exit | null = null;
            try {
              exit = await slot.node.stop('SIGTERM', 20_000);
            } catch {
              examples.add('gracefulTimeout', { node: slot.name, at: rel(ctx) });
              await slot.node.stop('SIGKILL', 10_000).catch(() => undefined);
            }
            const exitAt = Date.now();
            pool.remove(slot);
            say(`${slot.name} stopped (SIGTERM): ${JSON.stringify(exit)} after ${exitAt - sigtermAt} ms`);
            gracefulStops.push({ node: slot.name, exit, sigtermAt: rel(ctx, sigtermAt), clientsAtSigterm, ms: exitAt - sigtermAt, errorLines: 0 });
            await addNode();
            faults.push({ name: `SIGTERM ${slot.name}, start a replacement`, start, end: Date.now() });
          }
        }
      }
    } finally {
      clearInterval(progress);
    }

    // Stop sending; retry what is not acknowledged yet; wait for every client to be connected and synced.
    ctx.sending = false;
    ctx.retryDeadline = Date.now() + drainMs;
    say(`sending stopped; draining unacknowledged sends (up to ${drainMs / 1000}s)`);
    await Promise.race([Promise.all(clients.map((client) => client.sendingDone())), sleep(drainMs + ackTimeoutMs * 3 + 5_000)]);
    const settleDeadline = Date.now() + settleMs;
    while (clients.some((client) => !client.ready) && Date.now() < settleDeadline) await sleep(100);
    say(`${clients.filter((c) => c.ready).length}/${clients.length} clients connected and synced; quiescence ${quiesceMs} ms`);
    await sleep(quiesceMs);

    // ---- checks ----
    const stored = await readStored(db, chatIds);
    const atEnd = clients.filter((client) => client.ready && client.socket?.connected);
    let missedAtEnd = 0;
    const missedMessages = { missing: 0, stale: 0, extra: 0 };
    for (const client of atEnd) {
      for (const chatId of client.chats) {
        const diff = compareView(client.view.get(chatId)!, stored.get(chatId)!);
        if (isEmpty(diff)) continue;
        missedAtEnd++;
        missedMessages.missing += diff.missing.length;
        missedMessages.stale += diff.stale.length;
        missedMessages.extra += diff.extra.length;
        const track = client.live.get(chatId);
        examples.add('missedAtEnd', {
          client: client.index,
          node: client.slot?.name,
          chatId,
          connectedSince: rel(ctx, client.readyAt),
          heldVersion: client.held.get(chatId),
          lastLiveVersion: track?.last,
          databaseVersion: Math.max(0, ...[...stored.get(chatId)!.values()].map((m) => m.version)),
          missing: diff.missing.slice(0, 5).map((m) => ({ id: m.id, seq: m.seq, version: m.version, createdAt: m.createdAt, deleted: !!m.deletedAt })),
          stale: diff.stale.slice(0, 5).map((s) => ({ id: s.stored.id, seq: s.stored.seq, storedVersion: s.stored.version, seenVersion: s.seen.version })),
          extra: diff.extra.slice(0, 5).map((m) => ({ id: m.id, version: m.version })),
          counts: { missing: diff.missing.length, stale: diff.stale.length, extra: diff.extra.length },
        });
      }
    }
    say(`views before a final sync: ${missedAtEnd} client×chat pairs differ from the database`);
    let finalViewMismatches = 0;
    for (const client of atEnd) {
      try {
        await client.sync(client.socket!, client.chats);
      } catch (error) {
        examples.add('finalSyncFailed', { client: client.index, error: String(error) });
      }
      for (const chatId of client.chats) {
        const diff = compareView(client.view.get(chatId)!, stored.get(chatId)!);
        if (isEmpty(diff)) continue;
        finalViewMismatches++;
        examples.add('finalViewMismatches', {
          client: client.index,
          node: client.slot?.name,
          chatId,
          heldVersion: client.held.get(chatId),
          missing: diff.missing.slice(0, 5).map((m) => ({ id: m.id, seq: m.seq, version: m.version })),
          stale: diff.stale.slice(0, 5).map((s) => ({ id: s.stored.id, storedVersion: s.stored.version, seenVersion: s.seen.version })),
          extra: diff.extra.slice(0, 5).map((m) => ({ id: m.id, version: m.version })),
        });
      }
    }
    const storedAgain = await readStored(db, chatIds);
    const fingerprint = (s: Map<string, Map<string, StoredMessage>>) =>
      [...s.values()].map((m) => `${m.size}:${Math.max(0, ...[...m.values()].map((x) => x.version))}`).join('|');
    const databaseChangedDuringCheck = fingerprint(stored) !== fingerprint(storedAgain);

    // Lost, duplicated, mismatched.
    const storedById = new Map<string, StoredMessage>();
    const storedByClientId = new Map<string, StoredMessage[]>();
    for (const messages of storedAgain.values()) {
      for (const message of messages.values()) {
        storedById.set(message.id, message);
        if (message.clientMessageId) {
          const list = storedByClientId.get(message.clientMessageId) ?? [];
          list.push(message);
          storedByClientId.set(message.clientMessageId, list);
        }
      }
    }
    let lost = 0;
    let ackIdMismatches = 0;
    const ackedClientIds = new Set<string>();
    for (const ack of ctx.acks) {
      ackedClientIds.add(ack.clientMessageId);
      if (!storedById.has(ack.id)) {
        lost++;
        examples.add('lost', { ...ack, emitAt: rel(ctx, ack.emitAt), ackAt: rel(ctx, ack.ackAt), storedUnderClientId: storedByClientId.get(ack.clientMessageId)?.map((m) => m.id) });
      } else if (storedById.get(ack.id)!.clientMessageId !== ack.clientMessageId) {
        ackIdMismatches++;
        examples.add('ackIdMismatches', { ...ack, storedClientMessageId: storedById.get(ack.id)!.clientMessageId });
      }
    }
    const duplicates = await db.query<{ client_message_id: string; count: string }>(
      `SELECT client_message_id, count(*) FROM messages WHERE chat_id = ANY($1::uuid[]) AND client_message_id IS NOT NULL
        GROUP BY 1 HAVING count(*) > 1`,
      [chatIds],
    );
    for (const row of duplicates.rows.slice(0, EXAMPLES_KEPT)) {
      examples.add('duplicated', { clientMessageId: row.client_message_id, count: Number(row.count), ids: storedByClientId.get(row.client_message_id)?.map((m) => m.id) });
    }
    let storedCount = 0;
    let storedNotAcked = 0;
    for (const messages of storedAgain.values()) {
      storedCount += messages.size;
      for (const message of messages.values()) {
        if (message.clientMessageId && !ackedClientIds.has(message.clientMessageId)) {
          storedNotAcked++;
          examples.add('storedNotAcked', { id: message.id, chatId: message.chatId, clientMessageId: message.clientMessageId, version: message.version });
        }
      }
    }

    // Recovery per fault: until every client had a send, emitted after the fault began, acknowledged.
    const faultFigures: FaultFigure[] = faults.map((fault) => {
      let worst = 0;
      let notRecovered = 0;
      for (const client of clients) {
        let first: number | undefined;
        for (const ack of ctx.acks) {
          if (!ack.clientMessageId.startsWith(`${runId}-${client.index}-`) || ack.emitAt < fault.start) continue;
          if (first === undefined || ack.ackAt < first) first = ack.ackAt;
        }
        if (first === undefined) notRecovered++;
        else worst = Math.max(worst, first - fault.start);
      }
      const recovered = notRecovered === 0;
      return {
        name: fault.name,
        startedAt: rel(ctx, fault.start),
        endedAt: rel(ctx, fault.end),
        recoveryMs: recovered ? worst : null,
        recoveryAfterEndMs: recovered ? Math.max(0, fault.start + worst - fault.end) : null,
        clientsNotRecovered: notRecovered,
        ...(fault.readyDuringFault ? { readyDuringFault: fault.readyDuringFault } : {}),
      };
    });

    // Logs.
    for (const watcher of watchers) watcher.flush();
    const lines = watchers.flatMap((watcher) => watcher.lines);
    const errors = lines.filter(isErrorLine);
    const shutdownErrors: LogLine[] = [];
    for (const stopped of gracefulStops) {
      const during = errors.filter((line) => line.node === stopped.node && line.at >= stopped.sigtermAt - 5);
      stopped.errorLines = during.length;
      shutdownErrors.push(...during);
    }

    // Jumps in live versions: skipped versions that are still some message's current state were missed live.
    const versionsByChat = new Map<string, { version: number; id: string; seq: number }[]>();
    for (const [chatId, messages] of storedAgain) {
      versionsByChat.set(chatId, [...messages.values()].map((m) => ({ version: m.version, id: m.id, seq: m.seq })).sort((a, b) => a.version - b.version));
    }
    let gapsSuperseded = 0;
    let liveMissed = 0;
    for (const gap of ctx.gaps) {
      const skipped = (versionsByChat.get(gap.chatId) ?? []).filter((m) => m.version > gap.from && m.version < gap.to);
      if (skipped.length === 0) {
        gapsSuperseded++;
        continue;
      }
      liveMissed += skipped.length;
      examples.add('liveMissed', { ...gap, at: gap.at, skippedStillCurrent: skipped.slice(0, 5) });
    }

    const steady = steadyWindow;
    const report: ChaosReport = {
      runId,
      seed,
      schedule: schedule.map(describeStep),
      setup: {
        nodes: nodeCount,
        users: userCount,
        chats: chatCount,
        membersPerChat,
        sendIntervalMs,
        targetMessagesPerSecond: Math.round((userCount * 1000) / sendIntervalMs),
      },
      durationMs: Date.now() - t0,
      sent: stats.sent,
      messages: stats.messages,
      acked: ctx.acks.length,
      stored: storedCount,
      lost,
      duplicated: duplicates.rows.length,
      ackIdMismatches,
      storedNotAcked,
      unackedAtEnd: clients.reduce((sum, client) => sum + client.unacked, 0),
      sendFailures: stats.sendFailures,
      edits: { attempted: stats.editsAttempted, acked: stats.editsAcked },
      deletes: { attempted: stats.deletesAttempted, acked: stats.deletesAcked },
      live: {
        events: stats.liveEvents,
        newMessage: stats.newMessage,
        updated: stats.updated,
        deleted: stats.deleted,
        backwards: stats.backwards,
        repeated: stats.repeated,
        gapsSeen: stats.gapsSeen,
        gapsSuperseded,
        liveMissed,
        beforeJoin: stats.beforeJoin,
      },
      missedAtEnd,
      missedMessages,
      finalViewMismatches,
      clientsCheckedAtEnd: atEnd.length,
      clientsNotConnectedAtEnd: clients.length - atEnd.length,
      late: { thresholdMs: ctx.lateMs, count: stats.late, maxMs: stats.maxLateMs },
      steadyDelivery: distribution(steady ? stats.deliveries.filter((d) => d.at >= steady.start && d.at <= steady.end).map((d) => d.ms) : []),
      runDelivery: distribution(stats.deliveries.map((d) => d.ms)),
      faults: faultFigures,
      connections: {
        opened: stats.opened,
        connectFailures: stats.connectFailures,
        recipeFailures: stats.recipeFailures,
        disconnects: stats.disconnects,
        chatListMismatches: stats.chatListMismatches,
      },
      logs: {
        errorLines: errors.length,
        errorExamples: errors.slice(0, EXAMPLES_KEPT),
        shutdownErrorLines: shutdownErrors.length,
        shutdownErrorExamples: shutdownErrors.slice(0, EXAMPLES_KEPT),
        warnExamples: lines.filter((line) => line.level === 40).slice(0, EXAMPLES_KEPT),
        gracefulStops,
        outputOverflows: watchers.reduce((sum, watcher) => sum + watcher.overflows, 0),
        warnLines: lines.filter((line) => line.level === 40).length,
      },
      databaseChangedDuringCheck,
      examples: examples.all,
      failures: [],
    };
    report.failures = failuresOf(report);
    say(`done: ${report.failures.length === 0 ? 'every check held' : `${report.failures.length} check(s) failed`}`);
    return report;
  } finally {
    ctx.sending = false;
    ctx.stopped = true;
    ctx.retryDeadline = 0;
    signalStop();
    for (const client of clients) client.socket?.close();
    await Promise.race([Promise.all(clients.map((client) => Promise.all([client.connectionDone(), client.sendingDone()]))), sleep(15_000)]);
    await Promise.all(allNodes.map((node) => (node.running ? node.stop('SIGKILL', 10_000).catch(() => undefined) : undefined)));
    clearInterval(pollTimer);
    await pgProxy.cut().catch(() => {});
    await redisProxy.cut().catch(() => {});
    await Promise.race([dropRedisPrefix(prefix).catch(() => {}), sleep(10_000)]);
    await Promise.race([db?.end().catch(() => {}), sleep(5_000)]);
  }
}

/** The correctness checks (figures like latency and recovery are reported, not judged). */
export function failuresOf(report: ChaosReport): string[] {
  const failures: string[] = [];
  const check = (ok: boolean, line: string) => {
    if (!ok) failures.push(line);
  };
  check(report.lost === 0, `lost: ${report.lost} acknowledged message(s) not stored`);
  check(report.ackIdMismatches === 0, `ackIdMismatches: ${report.ackIdMismatches} acknowledgement(s) name another message than the one stored`);
  check(report.duplicated === 0, `duplicated: ${report.duplicated} clientMessageId(s) stored more than once`);
  check(report.live.backwards === 0, `backwards: ${report.live.backwards} live event(s) with a version lower than one the socket had`);
  check(report.live.repeated === 0, `repeated: ${report.live.repeated} live event(s) with a version the socket had already received`);
  check(
    report.live.liveMissed === 0,
    `liveMissed: ${report.live.liveMissed} change(s) skipped by a socket's live stream although still current in the database (never delivered live)`,
  );
  check(report.missedAtEnd === 0, `missedAtEnd: ${report.missedAtEnd} client×chat view(s) differ from the database before a final sync (${JSON.stringify(report.missedMessages)})`);
  check(report.finalViewMismatches === 0, `finalViewMismatches: ${report.finalViewMismatches} client×chat view(s) differ from the database after a final sync`);
  check(report.clientsNotConnectedAtEnd === 0, `clientsNotConnectedAtEnd: ${report.clientsNotConnectedAtEnd} client(s) not connected and synced at the end`);
  check(report.logs.shutdownErrorLines === 0, `shutdownErrorLines: ${report.logs.shutdownErrorLines} error-level log line(s) during graceful shutdowns`);
  const badExits = report.logs.gracefulStops.filter((stop) => !stop.exit || stop.exit.code !== 0);
  check(badExits.length === 0, `gracefulExits: ${badExits.map((stop) => `${stop.node} ${JSON.stringify(stop.exit)}`).join(', ')} (SIGTERM must exit 0)`);
  return failures;
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

const ms = (value: number | null) => (value === null ? '—' : `${Math.round(value)} ms`);

/** The figures as a Markdown table (what `npm run chaos` prints and docs/chaos.md quotes). */
export function formatReport(report: ChaosReport): string {
  const rows: [string, string][] = [
    ['run', `${report.runId}, seed ${report.seed}, ${(report.durationMs / 1000).toFixed(1)} s`],
    [
      'setup',
      `${report.setup.nodes} nodes, ${report.setup.users} clients, ${report.setup.chats} chats × ${report.setup.membersPerChat} members, ` +
        `1 send / ${report.setup.sendIntervalMs} ms per client (≤ ${report.setup.targetMessagesPerSecond} msg/s)`,
    ],
    ['sent (attempts, retries included)', String(report.sent)],
    ['messages (distinct clientMessageIds)', String(report.messages)],
    ['acked', String(report.acked)],
    ['stored', String(report.stored)],
    ['lost (acked, not stored)', String(report.lost)],
    ['duplicated (clientMessageId stored twice)', String(report.duplicated)],
    ['ack names another message', String(report.ackIdMismatches)],
    ['stored, never acked', String(report.storedNotAcked)],
    ['unacked at the end', String(report.unackedAtEnd)],
    ['send failures', Object.entries(report.sendFailures).map(([k, v]) => `${k} ${v}`).join(', ') || '0'],
    ['edits / deletes acked', `${report.edits.acked}/${report.edits.attempted} / ${report.deletes.acked}/${report.deletes.attempted}`],
    ['live events (new / updated / deleted)', `${report.live.events} (${report.live.newMessage} / ${report.live.updated} / ${report.live.deleted})`],
    ['live versions backwards', String(report.live.backwards)],
    ['live versions repeated', String(report.live.repeated)],
    ['live version jumps (gapsSeen)', `${report.live.gapsSeen} (${report.live.gapsSuperseded} over superseded versions only)`],
    ['changes skipped live, still current (liveMissed)', String(report.live.liveMissed)],
    ['live events before join answered', String(report.live.beforeJoin)],
    [
      'missedAtEnd (views ≠ database before final sync)',
      `${report.missedAtEnd} (missing ${report.missedMessages.missing}, stale ${report.missedMessages.stale}, extra ${report.missedMessages.extra})`,
    ],
    ['finalViewMismatches (after final sync)', String(report.finalViewMismatches)],
    ['clients checked / not connected at end', `${report.clientsCheckedAtEnd} / ${report.clientsNotConnectedAtEnd}`],
    [`delivered late (> ${report.late.thresholdMs} ms)`, `${report.late.count}, max ${ms(report.late.maxMs)}`],
    [
      'delivery, steady state before faults',
      `p50 ${ms(report.steadyDelivery.p50Ms)}, p99 ${ms(report.steadyDelivery.p99Ms)}, max ${ms(report.steadyDelivery.maxMs)} (${report.steadyDelivery.count} deliveries)`,
    ],
    [
      'delivery, whole run',
      `p50 ${ms(report.runDelivery.p50Ms)}, p99 ${ms(report.runDelivery.p99Ms)}, max ${ms(report.runDelivery.maxMs)} (${report.runDelivery.count} deliveries)`,
    ],
    ...report.faults.map(
      (fault): [string, string] => [
        `recovery: ${fault.name}`,
        fault.recoveryMs === null
          ? `not recovered (${fault.clientsNotRecovered} client(s) never acked again)`
          : `${ms(fault.recoveryMs)} from start (${ms(fault.recoveryAfterEndMs)} after end; fault lasted ${ms(fault.endedAt - fault.startedAt)})` +
            (fault.readyDuringFault
              ? `; GET /ready during the cut: ${Object.entries(fault.readyDuringFault).map(([node, status]) => `${node} ${status}`).join(', ')}`
              : ''),
      ],
    ),
    [
      'connections (opened / connect failures / recipe failures / disconnects)',
      `${report.connections.opened} / ${report.connections.connectFailures} / ${report.connections.recipeFailures} / ${report.connections.disconnects}`,
    ],
    [
      'graceful stops (node: exit code, ms to exit, clients on it, error lines)',
      report.logs.gracefulStops
        .map((s) => `${s.node}: ${s.exit ? (s.exit.code ?? s.exit.signal) : 'timeout'}, ${s.ms} ms, ${s.clientsAtSigterm}, ${s.errorLines}`)
        .join('; ') || '—',
    ],
    ['error-level log lines (whole run)', String(report.logs.errorLines)],
    ['error-level log lines during graceful shutdowns', String(report.logs.shutdownErrorLines)],
    ['warn-level log lines', String(report.logs.warnLines)],
    ['node output overflows (lines unseen)', String(report.logs.outputOverflows)],
    ['database changed during the final check', report.databaseChangedDuringCheck ? 'yes' : 'no'],
    ['verdict', report.failures.length === 0 ? 'PASS' : `FAIL: ${report.failures.length} check(s)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = ['| figure | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`)];
  if (report.failures.length > 0) lines.push('', 'Failing checks:', ...report.failures.map((f) => `- ${f}`));
  return lines.join('\n');
}
