import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { ask, closeAll, connectAll } from '../clients.js';
import { now, round, summarize, type LatencySummary } from '../stats.js';
import type { Target } from '../targets.js';

/**
 * Group chats where every member has joined; each message reaches every member's socket.
 * `members[i]` are the tokens of chat `chatIds[i]`.
 */
export interface FanoutSetup {
  chatIds: string[];
  members: string[][];
}

export interface SaturatedResult {
  /** Acknowledged messages per second with `window` sends in flight per client. */
  ackedPerSecond: number;
  /** new_message events received per second across all sockets. */
  deliveredPerSecond: number;
  errors: number;
}

export interface OpenLoopResult {
  targetRate: number;
  sent: number;
  ack: LatencySummary;
  /** Send → new_message at the other members of the chat. */
  delivery: LatencySummary;
  /** new_message events the acknowledged sends owed the other joined members. */
  deliveriesExpected: number;
  /** Sends refused, or not acknowledged within the time allowed. */
  errors: number;
  /** The errors by code; 'no answer' for those not acknowledged in time. */
  errorCodes: Record<string, number>;
}

/** Clients that have each joined their chat: `chatOf[i]` is the chat of `sockets[i]`. */
export interface Joined {
  sockets: Socket[];
  chatOf: string[];
}

export async function joinAll(target: Target, setup: FanoutSetup): Promise<Joined> {
  const tokens = setup.members.flat();
  const chatOf = setup.members.flatMap((members, i) => members.map(() => setup.chatIds[i]!));
  const sockets = await connectAll(target.url, tokens);
  await Promise.all(sockets.map((socket, i) => ask(socket, 'join_chat', { chatId: chatOf[i] })));
  return { sockets, chatOf };
}

/** Every client keeps `window` sends in flight for `durationMs`; counts what is acknowledged. */
export async function saturated(
  target: Target,
  setup: FanoutSetup,
  window: number,
  durationMs: number,
): Promise<SaturatedResult> {
  const { sockets, chatOf } = await joinAll(target, setup);
  let delivered = 0;
  for (const socket of sockets) socket.on('new_message', () => delivered++);
  let acked = 0;
  let errors = 0;
  let running = true;
  const start = now();
  const deadline = start + durationMs;
  await Promise.all(
    sockets.flatMap((socket, i) =>
      Array.from({ length: window }, async () => {
        let n = 0;
        while (running && now() < deadline) {
          const answer = (await socket
            .timeout(30_000)
            .emitWithAck('send_message', { chatId: chatOf[i], text: `saturated ${i}-${n++}` })
            .catch(() => undefined)) as { success?: boolean } | undefined;
          if (answer?.success) acked++;
          else errors++;
        }
      }),
    ),
  );
  running = false;
  const seconds = (now() - start) / 1000;
  closeAll(sockets);
  return { ackedPerSecond: round(acked / seconds, 0), deliveredPerSecond: round(delivered / seconds, 0), errors };
}

/** Sends at a fixed total `rate` (messages/s) for `durationMs`, round-robin over the clients. */
export async function openLoop(
  target: Target,
  setup: FanoutSetup,
  rate: number,
  durationMs: number,
): Promise<OpenLoopResult> {
  const joined = await joinAll(target, setup);
  try {
    return await sendAtRate(joined, rate, durationMs);
  } finally {
    closeAll(joined.sockets);
  }
}

/**
 * openLoop on clients already joined, which stay open. A send not acknowledged within
 * `ackTimeoutMs` counts as an error, so a stalled server cannot stall the measurement. `onSend`
 * learns each message's text and when it was sent (now()), for receivers outside these clients.
 */
export async function sendAtRate(
  { sockets, chatOf }: Joined,
  rate: number,
  durationMs: number,
  ackTimeoutMs = 30_000,
  onSend?: (text: string, sentAt: number) => void,
): Promise<OpenLoopResult> {
  // Each run's texts carry a tag of their own: a late delivery of an earlier run on the same
  // clients must not be taken for this run's message of the same number.
  const tag = randomUUID().slice(0, 8);
  const sentAt = new Map<number, number>();
  const senderOf = new Map<number, number>();
  const ackLatencies: number[] = [];
  const deliveryLatencies: number[] = [];
  const joinedTo = new Map<string, number>();
  for (const chatId of chatOf) joinedTo.set(chatId, (joinedTo.get(chatId) ?? 0) + 1);
  let deliveriesExpected = 0;
  let errors = 0;
  const errorCodes: Record<string, number> = {};
  const fail = (code: string) => {
    errors++;
    errorCodes[code] = (errorCodes[code] ?? 0) + 1;
  };
  const receivers = sockets.map((socket, receiver) => {
    const receive = (message: { text: string }) => {
      if (!message.text.startsWith(`open loop ${tag}#`)) return;
      const seq = Number(message.text.slice(message.text.indexOf('#') + 1));
      const t0 = sentAt.get(seq);
      if (t0 !== undefined && senderOf.get(seq) !== receiver) deliveryLatencies.push(now() - t0);
    };
    socket.on('new_message', receive);
    return receive;
  });

  const pending: Promise<void>[] = [];
  const start = now();
  let seq = 0;
  // Ticks of 5 ms; each sends what the schedule owes so far, so a late tick catches up.
  while (now() - start < durationMs) {
    const owed = Math.floor(((now() - start) / 1000) * rate);
    while (seq < owed) {
      const client = seq % sockets.length;
      const mySeq = seq++;
      const text = `open loop ${tag}#${mySeq}`;
      const t0 = now();
      sentAt.set(mySeq, t0);
      senderOf.set(mySeq, client);
      onSend?.(text, t0);
      pending.push(
        sockets[client]!.timeout(ackTimeoutMs)
          .emitWithAck('send_message', { chatId: chatOf[client], text })
          .then(
            (answer: { success?: boolean; code?: string }) => {
              if (!answer?.success) return fail(String(answer?.code));
              ackLatencies.push(now() - t0);
              deliveriesExpected += joinedTo.get(chatOf[client]!)! - 1;
            },
            () => fail('no answer'),
          ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(pending);
  // Let the last broadcasts arrive.
  await new Promise((resolve) => setTimeout(resolve, 500));
  sockets.forEach((socket, i) => socket.off('new_message', receivers[i]));
  const [ack, delivery] = [summarize(ackLatencies), summarize(deliveryLatencies)];
  return { targetRate: rate, sent: seq, ack, delivery, deliveriesExpected, errors, errorCodes };
}
