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
  errors: number;
}

interface Joined {
  sockets: Socket[];
  chatOf: string[];
}

async function joinAll(target: Target, setup: FanoutSetup): Promise<Joined> {
  const tokens = setup.members.flat();
  const chatOf = setup.members.flatMap((members, i) => members.map(() => setup.chatIds[i]!));
  const sockets = await connectAll(target.url, tokens);
  await Promise.all(sockets.map((socket, i) => ask(socket, 'join_chat', { chatId: chatOf[i] })));
  return { sockets, chatOf };
}

/** Every client keeps `window` sends in flight for `durationMs`; counts what is acknowledged. */
export async function saturated(target: Target, setup: FanoutSetup, window: number, durationMs: number): Promise<SaturatedResult> {
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
          const answer = await socket
            .timeout(30_000)
            .emitWithAck('send_message', { chatId: chatOf[i], text: `saturated ${i}-${n++}` })
            .catch(() => undefined);
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
export async function openLoop(target: Target, setup: FanoutSetup, rate: number, durationMs: number): Promise<OpenLoopResult> {
  const { sockets, chatOf } = await joinAll(target, setup);
  const sentAt = new Map<number, number>();
  const senderOf = new Map<number, number>();
  const ackLatencies: number[] = [];
  const deliveryLatencies: number[] = [];
  let errors = 0;
  sockets.forEach((socket, receiver) => {
    socket.on('new_message', (message: { text: string }) => {
      const seq = Number(message.text.slice(message.text.indexOf('#') + 1));
      const t0 = sentAt.get(seq);
      if (t0 !== undefined && senderOf.get(seq) !== receiver) deliveryLatencies.push(now() - t0);
    });
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
      const t0 = now();
      sentAt.set(mySeq, t0);
      senderOf.set(mySeq, client);
      pending.push(
        sockets[client]!
          .timeout(30_000)
          .emitWithAck('send_message', { chatId: chatOf[client], text: `open loop #${mySeq}` })
          .then(
            (answer: { success?: boolean }) => {
              if (answer?.success) ackLatencies.push(now() - t0);
              else errors++;
            },
            () => {
              errors++;
            },
          ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(pending);
  // Let the last broadcasts arrive.
  await new Promise((resolve) => setTimeout(resolve, 500));
  closeAll(sockets);
  return { targetRate: rate, sent: seq, ack: summarize(ackLatencies), delivery: summarize(deliveryLatencies), errors };
}
