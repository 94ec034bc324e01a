import { RawWebSocket } from './raw-socket-io.js';
import { summarize, type LatencySummary } from './stats.js';

/**
 * The big room's members other than the sampled ones (scenarios/big-room.ts), in a process of
 * their own so that receiving tens of thousands of events a second does not delay the sampled
 * clients' clocks: raw WebSocket connections (raw-socket-io.ts) that join one chat and note when
 * each `new_message` arrives, by its text, without parsing the rest of it. Driven over IPC:
 * `join` → connects and joins those members, answers `joined`; `collect`, with the texts sent and
 * when → answers `collected` with their deliveries, and forgets every delivery noted so far;
 * `stop` → closes the connections and exits.
 */
export interface MembersTally {
  members: number;
  /** `new_message` events of the collected texts received, across every member. */
  delivered: number;
  /**
   * Send → receipt, each time read from the clock of its own process (performance.timeOrigin +
   * performance.now(): both processes' clocks are the machine's).
   */
  delivery: LatencySummary;
  /** Members whose connection the server closed since they joined. */
  closedByServer: number;
}

export type ToMembers =
  /** `tokens` connect and join `chatId`, at most `concurrency` at a time. */
  | { type: 'join'; url: string; chatId: string; tokens: string[]; concurrency: number }
  /** Each text sent, with when, in ms since the epoch. */
  | { type: 'collect'; sent: Array<[text: string, sentAt: number]> }
  | { type: 'stop' };
export type FromMembers =
  /** Members joined so far, and the events other than `new_message` they have received, by name (presence, …). */
  | { type: 'joined'; members: number; otherEvents: Record<string, number>; error?: string }
  | { type: 'collected'; tally: MembersTally };

const CONNECT_TIMEOUT_MS = 30_000;
const NEW_MESSAGE = Buffer.from('42["new_message",');
const TEXT_KEY = '"text":"';
/** The message's text is among its first fields (id, text, …): no need to read further. */
const HEAD_BYTES = 300;

const clock = () => performance.timeOrigin + performance.now();
/** When each text arrived, at every member that received it. */
let arrivals = new Map<string, number[]>();
let closedByServer = 0;
const sockets: RawWebSocket[] = [];

const otherEvents: Record<string, number> = {};
const EVENT_NAME_AT = '42["'.length;

function noteArrival(frame: Buffer): void {
  const at = clock();
  if (NEW_MESSAGE.compare(frame, 0, NEW_MESSAGE.length) !== 0) {
    // The event's name runs up to its closing quote (0x22).
    const name = frame.toString('latin1', EVENT_NAME_AT, frame.indexOf(0x22, EVENT_NAME_AT));
    otherEvents[name] = (otherEvents[name] ?? 0) + 1;
    return;
  }
  const head = frame.toString('latin1', NEW_MESSAGE.length, Math.min(frame.length, NEW_MESSAGE.length + HEAD_BYTES));
  const start = head.indexOf(TEXT_KEY);
  if (start < 0) return;
  const text = head.slice(start + TEXT_KEY.length, head.indexOf('"', start + TEXT_KEY.length));
  const times = arrivals.get(text);
  if (times) times.push(at);
  else arrivals.set(text, [at]);
}

async function joinMember(url: string, chatId: string, token: string): Promise<RawWebSocket> {
  const socket = await RawWebSocket.connect(url, token, CONNECT_TIMEOUT_MS);
  socket.onEvent(noteArrival);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('join_chat: no answer')), CONNECT_TIMEOUT_MS);
    socket.emit('join_chat', { chatId }, ({ outcome }, frame) => {
      clearTimeout(timer);
      if (outcome === 'served') resolve();
      else reject(new Error(`join_chat: ${frame.toString().slice(0, 200)}`));
    });
  });
  socket.onClose(() => closedByServer++);
  return socket;
}

async function joinAll({ url, chatId, tokens, concurrency }: Extract<ToMembers, { type: 'join' }>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tokens.length) }, async () => {
      while (next < tokens.length) sockets.push(await joinMember(url, chatId, tokens[next++]!));
    }),
  );
}

function collect(sent: Array<[string, number]>): MembersTally {
  const latencies: number[] = [];
  for (const [text, sentAt] of sent) for (const at of arrivals.get(text) ?? []) latencies.push(at - sentAt);
  arrivals = new Map();
  return { members: sockets.length, delivered: latencies.length, delivery: summarize(latencies), closedByServer };
}

const send = (message: FromMembers) => process.send!(message);

process.on('message', (message: ToMembers) => {
  if (message.type === 'join') {
    joinAll(message).then(
      () => send({ type: 'joined', members: sockets.length, otherEvents }),
      (error: unknown) => send({ type: 'joined', members: sockets.length, otherEvents, error: String(error) }),
    );
  } else if (message.type === 'collect') {
    send({ type: 'collected', tally: collect(message.sent) });
  } else {
    for (const socket of sockets) socket.close();
    process.exit(0);
  }
});
