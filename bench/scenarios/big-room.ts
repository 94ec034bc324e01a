import { forkChild, type BenchChild } from '../child-process.js';
import { ask, closeAll, connectClient } from '../clients.js';
import { cpuSpentMs } from '../postgres-cpu.js';
import type { FromMembers, MembersTally, ToMembers } from '../room-members.js';
import { now, round } from '../stats.js';
import { markdownTable } from '../table.js';
import type { Target } from '../targets.js';
import { sendAtRate, type Joined, type OpenLoopResult } from './fanout.js';

/**
 * A big room (issue 18): every member of one chat connected and joined, messages sent to it at a
 * fixed rate, so that the server makes `rate × members` deliveries a second (5,000 members at
 * 10 msg/s: 50,000). What is measured, and how:
 *
 * - **Two kinds of member.** A sample (100 at full size) are socket.io-client clients in the load
 *   tool's process: they send, round-robin (fanout.ts's sendAtRate), and time each delivery to the
 *   other sampled members. The rest are raw WebSocket clients in a process of their own
 *   (room-members.ts), which time each `new_message` by its text without parsing it: one process
 *   of socket.io-client cannot take in 50,000 events a second, and the sample's clocks must not
 *   wait behind that work. Both report send → receipt; the raw members' figure includes the
 *   queueing of their busier process.
 * - **Join order.** A server writes a broadcast to a room's sockets in the order they joined it,
 *   so the last ones wait for the writes to all the others. The sampled members join spread
 *   evenly through the room (a slice of raw members, one sampled member, …), so that the sample
 *   sees every position.
 * - **Cost per delivery.** The server process's CPU time (user + system, from /proc) over the
 *   measured run, divided by the deliveries it made: acknowledged messages × members (the
 *   sender's own socket receives its message too); the ceiling broadcasting the same to a room
 *   of the same size puts it in proportion. On a PostgreSQL of this machine, its backends' CPU
 *   time is reported beside it (on PGlite the database's work is in the server process).
 * - **Connecting.** From the first handshake until every member has joined and the events their
 *   connecting caused (Parley's presence, in a room of at most PRESENCE_MAX_CHAT_MEMBERS: each
 *   user's `user_online` reaches every other member online) have stopped arriving at the sample for QUIET_MS: its seconds, the server's CPU time,
 *   and those events counted at every member.
 *
 * A warm-up run (kept in the JSON, not judged) goes before the measured one, on the same clients.
 */
export interface BigRoomSetup {
  chatId: string;
  /** Members with full clients, which send and are timed in this process. */
  sampleTokens: string[];
  /** The other members (raw clients in room-members.ts). */
  memberTokens: string[];
}

export interface BigRoomRun {
  /** The sends, and their deliveries to the other sampled members. */
  sample: OpenLoopResult;
  /** Deliveries to the raw members. */
  others: MembersTally & { expected: number };
  /** Acknowledged messages × members. */
  deliveries: number;
  serverCpuMs: number;
  serverCpuUsPerDelivery: number;
  /** Parley on a PostgreSQL of this machine: its backends' CPU time, which serverCpuMs leaves out. */
  databaseCpuMs?: number;
  databaseCpuUsPerDelivery?: number;
}

export interface BigRoomResult {
  target: string;
  members: number;
  sampled: number;
  rate: number;
  connecting: {
    seconds: number;
    serverCpuS: number;
    /** Events that the members received while the room connected, by name. */
    events: Record<string, number>;
    /** Whether the events stopped within SETTLE_DEADLINE_MS of the last join (if not, the runs went on beside them). */
    settled: boolean;
  };
  warmUp: BigRoomRun;
  measured: BigRoomRun;
  goals: {
    /** The sample's delivery p99 within GOAL_P99_MS, every send acknowledged and every delivery made. */
    deliveryP99Within100ms: boolean;
  };
}

const GOAL_P99_MS = 100;
/** Handshakes and joins of raw members in progress at once. */
const CONCURRENCY = 50;
/** The room has settled once no event reached the sample for this long. */
const QUIET_MS = 1_000;
/** After every member joined, the scenario waits at most this long for the room to settle. */
const SETTLE_DEADLINE_MS = 120_000;
const JOIN_TIMEOUT_MS = 300_000;
const COLLECT_TIMEOUT_MS = 30_000;
const ACK_TIMEOUT_MS = 10_000;
const WARM_UP_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Members = BenchChild<ToMembers, FromMembers>;

export async function bigRoom(
  target: Target,
  setup: BigRoomSetup,
  rate: number,
  durationMs: number,
): Promise<BigRoomResult> {
  const members = forkChild<ToMembers, FromMembers>('bench/room-members.ts');
  const sample: Joined = { sockets: [], chatOf: [] };
  try {
    const connecting = await connectRoom(target, setup, members, sample);
    const membersCount = setup.sampleTokens.length + setup.memberTokens.length;
    const warmUp = await run(target, sample, members, membersCount, rate, Math.min(WARM_UP_MS, durationMs));
    const measured = await run(target, sample, members, membersCount, rate, durationMs);
    return {
      target: target.name,
      members: membersCount,
      sampled: setup.sampleTokens.length,
      rate,
      connecting,
      warmUp,
      measured,
      goals: {
        deliveryP99Within100ms:
          measured.sample.delivery.p99 <= GOAL_P99_MS &&
          measured.sample.errors === 0 &&
          missingDeliveries(measured) === 0,
      },
    };
  } finally {
    members.send({ type: 'stop' });
    closeAll(sample.sockets);
    // It exits by itself once its connections are closed; this is for one that hangs.
    setTimeout(() => members.kill(), 5_000).unref();
  }
}

/**
 * Connects and joins every member, the sampled ones (into `sample`) spread through the room, and
 * waits for the events of their connecting to stop.
 */
async function connectRoom(
  target: Target,
  { chatId, sampleTokens, memberTokens }: BigRoomSetup,
  members: Members,
  sample: Joined,
): Promise<BigRoomResult['connecting']> {
  const cpuAtStart = await target.cpuMs();
  const started = now();
  let lastEvent = started;
  const events: Record<string, number> = {};
  const count = (name: string, n = 1) => (events[name] = (events[name] ?? 0) + n);
  const noteEvent = (name: string) => {
    lastEvent = now();
    count(name);
  };
  const joinRaw = async (tokens: string[]) => {
    const joined = members.next('joined', JOIN_TIMEOUT_MS);
    members.send({ type: 'join', url: target.url, chatId, tokens, concurrency: CONCURRENCY });
    const answer = await joined;
    if (answer.error) throw new Error(`${target.name}: a big room member could not join: ${answer.error}`);
    return answer;
  };
  // A slice of raw members, then one sampled member, and so on.
  const sliceEnd = (i: number) => Math.floor((i * memberTokens.length) / sampleTokens.length);
  for (let i = 0; i < sampleTokens.length; i++) {
    await joinRaw(memberTokens.slice(sliceEnd(i), sliceEnd(i + 1)));
    const socket = await connectClient(target.url, sampleTokens[i]!);
    socket.onAny(noteEvent);
    sample.sockets.push(socket);
    sample.chatOf.push(chatId);
    await ask(socket, 'join_chat', { chatId });
  }
  const joinedAt = now();
  const quiet = () => now() - Math.max(lastEvent, joinedAt) >= QUIET_MS;
  while (!quiet() && now() - joinedAt < SETTLE_DEADLINE_MS) await sleep(100);
  const settled = quiet();
  const serverCpuS = round(((await target.cpuMs()) - cpuAtStart) / 1000);
  for (const socket of sample.sockets) socket.offAny(noteEvent);
  // Joining nobody answers what the raw members have received so far.
  for (const [name, n] of Object.entries((await joinRaw([])).otherEvents)) count(name, n);
  return { seconds: round((Math.max(lastEvent, joinedAt) - started) / 1000), serverCpuS, events, settled };
}

/** One open-loop run on the joined room: the sample's figures, the raw members', and the server's CPU time. */
async function run(
  target: Target,
  sample: Joined,
  members: Members,
  membersCount: number,
  rate: number,
  durationMs: number,
): Promise<BigRoomRun> {
  const sent: Array<[string, number]> = [];
  const noteSent = (text: string, at: number) => sent.push([text, performance.timeOrigin + at]);
  const databaseBefore = await target.databaseCpu?.read();
  const cpuBefore = await target.cpuMs();
  const result = await sendAtRate(sample, rate, durationMs, ACK_TIMEOUT_MS, noteSent);
  const serverCpuMs = (await target.cpuMs()) - cpuBefore;
  const databaseAfter = await target.databaseCpu?.read();
  const collected = members.next('collected', COLLECT_TIMEOUT_MS);
  members.send({ type: 'collect', sent });
  const { tally } = await collected;
  const acknowledged = result.ack.count;
  const deliveries = acknowledged * membersCount;
  const perDelivery = (ms: number) => (deliveries > 0 ? round((ms * 1000) / deliveries, 3) : NaN);
  const databaseCpuMs = databaseBefore && databaseAfter && cpuSpentMs(databaseBefore, databaseAfter);
  return {
    sample: result,
    others: { ...tally, expected: acknowledged * tally.members },
    deliveries,
    serverCpuMs,
    serverCpuUsPerDelivery: perDelivery(serverCpuMs),
    ...(databaseCpuMs === undefined ? {} : { databaseCpuMs, databaseCpuUsPerDelivery: perDelivery(databaseCpuMs) }),
  };
}

/** Deliveries the acknowledged sends owed the members (the sender's own excepted) and they did not receive. */
function missingDeliveries({ sample, others }: BigRoomRun): number {
  const owed = (expected: number, received: number) => Math.max(0, expected - received);
  return owed(sample.deliveriesExpected, sample.delivery.count) + owed(others.expected, others.delivered);
}

/** The big room's figures of each target, with Parley's ratio to the ceiling's and each goal beside its figure. */
export function bigRoomTable(results: BigRoomResult[]): string {
  const ceiling = results.find((r) => r.target === 'ceiling');
  const ratio = (value: number, base: number) => (Number.isFinite(value / base) ? ` (${round(value / base)}×)` : '');
  const versus = (pick: (r: BigRoomResult) => number) => (r: BigRoomResult) =>
    `${pick(r)}${r === ceiling || !ceiling ? '' : ratio(pick(r), pick(ceiling))}`;
  const both = (pick: (r: BigRoomResult) => { p50: number; p99: number }) => (r: BigRoomResult) =>
    `${pick(r).p50} / ${pick(r).p99}`;
  const mark = (met: boolean) => (met ? '✓' : '✗');
  const first = results[0];
  const rows: Array<[string, (r: BigRoomResult) => string]> = [
    ['send ack p50 / p99 ms', both((r) => r.measured.sample.ack)],
    [`delivery p50 ms, sample of ${first?.sampled} clients`, versus((r) => r.measured.sample.delivery.p50)],
    [
      `delivery p99 ms, sample (goal ≤ ${GOAL_P99_MS}, all delivered)`,
      (r) => `${versus((x) => x.measured.sample.delivery.p99)(r)} ${mark(r.goals.deliveryP99Within100ms)}`,
    ],
    ['delivery p50 / p99 ms, the other members (raw clients)', both((r) => r.measured.others.delivery)],
    [
      'sends failed · deliveries missing · members cut by the server',
      (r) => {
        const { sample: s, others } = r.measured;
        const owed = s.deliveriesExpected + others.expected;
        return `${s.errors} of ${s.sent} · ${missingDeliveries(r.measured)} of ${owed} · ${others.closedByServer}`;
      },
    ],
    ['server CPU µs per delivery', versus((r) => r.measured.serverCpuUsPerDelivery)],
    ['PostgreSQL CPU µs per delivery (its backends)', (r) => String(r.measured.databaseCpuUsPerDelivery ?? '—')],
    [
      'connecting the room: s / server CPU s',
      ({ connecting: c }) => `${c.seconds} / ${c.serverCpuS}${c.settled ? '' : ' (still busy)'}`,
    ],
    [
      'events the members received while connecting',
      versus((r) => Object.values(r.connecting.events).reduce((a, b) => a + b, 0)),
    ],
  ];
  const title = first ? `big room: ${first.members} members, ${first.rate} msg/s` : 'big room';
  return markdownTable(
    [title, ...results.map((r) => r.target)],
    rows.map(([name, pick]) => [name, ...results.map(pick)]),
  );
}
