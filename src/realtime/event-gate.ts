import type { FastifyBaseLogger } from 'fastify';
import { AppError, TEXTS } from '../errors.js';
import { toWireError } from '../limits/rate-limited-error.js';
import { ANSWER_BYTES_COUNTED_FROM, type RateLimits } from '../limits/rate-limits.js';
import type { AbuseCooldown } from '../limits/abuse-cooldown.js';
import type { Turn, UserConcurrency } from '../limits/user-concurrency.js';
import type { Metrics } from '../observability/metrics.js';
import { parseInput } from '../validation.js';
import type { EngineTuning } from './engine-internals.js';
import type { EventTable } from './event-table.js';
import type { ParleySocket } from './socket-types.js';
import type { InFlight } from './in-flight.js';
import { measure, watchAnswerBytes } from './answer-bytes.js';
import { sendLargeAnswer } from './large-answers.js';

type Acknowledge = (answer: unknown) => void;

type Budget = (limits: RateLimits, userId: string) => Promise<void>;

/**
 * What each event costs its user beyond the events budget that every event and HTTP request
 * takes from: message changes, reads (pages of messages or chats), read positions and typing
 * each have a budget of their own (README "Security"). leave_chat and unknown names take only
 * from the events budget.
 */
/** The reads: also checked against their user's answer bytes when their turn comes. */
const READS = new Set([
  'join_chat',
  'get_chat_messages',
  'get_my_chats',
  'sync',
  'get_pinned_messages',
  'search_messages',
]);

const USER_BUDGETS = new Map<string, Budget>([
  ['send_message', (limits, userId) => limits.message(userId)],
  ['edit_message', (limits, userId) => limits.message(userId)],
  ['delete_message', (limits, userId) => limits.message(userId)],
  // Reactions and pins change a message for the whole chat: counted with the message changes.
  ...['add_reaction', 'remove_reaction', 'pin_message', 'unpin_message'].map((event): [string, Budget] => [
    event,
    (limits, userId) => limits.message(userId),
  ]),
  ...[...READS].map((event): [string, Budget] => [event, (limits, userId) => limits.read(userId)]),
  ['mark_read', (limits, userId) => limits.markRead(userId)],
  ['typing', (limits, userId) => limits.typing(userId)],
  ['stop_typing', (limits, userId) => limits.typing(userId)],
]);

/**
 * The one way in for a socket's events: a packet middleware that admits each event against its
 * user's rate limits (every socket and node of the user together), waits for the user's turn on
 * this node (user-concurrency.ts), validates the payload with the event's schema, runs the
 * event's shared definition, and answers through the acknowledgement with the `success` envelope.
 * An event sent without a callback is still carried out; an unknown one is answered
 * VALIDATION_ERROR; nothing a client sends can throw out of here.
 */
export function serveEvents(
  socket: ParleySocket,
  events: EventTable,
  deps: {
    limits: RateLimits;
    concurrency: UserConcurrency;
    metrics: Metrics;
    log: FastifyBaseLogger;
    inFlight: InFlight;
    tuning: EngineTuning;
    abuse: AbuseCooldown;
  },
): void {
  const { limits, concurrency, metrics, log, inFlight, tuning, abuse } = deps;
  const user = socket.data.user;
  watchAnswerBytes(socket.conn);

  socket.use((packet) => {
    const event = String(packet[0]);
    const args = packet.slice(1);
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as Acknowledge) : undefined;
    const definition = events.get(event);
    // Only names with a definition become label values, so clients cannot grow the metric.
    const label = definition ? event : 'unknown';
    const admitted = limits.event(user.id).then(() => USER_BUDGETS.get(event)?.(limits, user.id));
    // The event is consumed here: it never reaches Socket.IO's listeners (next is not called).
    void admitted.then(
      () => {
        // As Socket.IO itself does: an event admitted after its socket went away is dropped.
        if (!socket.connected) return;
        if (!definition) {
          metrics.eventHandled(label, 'VALIDATION_ERROR', 0);
          ack?.(toWireError(new AppError('VALIDATION_ERROR', `${TEXTS.unknownEvent}: ${event.slice(0, 64)}`, 'event')));
          return;
        }
        return inFlight.track(async () => {
          const started = performance.now();
          // Work a handler asks to run after its answer (join_chat's); rare, so made on demand.
          let afterAnswer: Array<() => void> | undefined;
          let turn: Turn | undefined;
          try {
            // The rate limits bound how fast events arrive; the user's turn bounds how many of them
            // hold the node at once, whatever number of sockets they come from.
            turn = concurrency.enter(user.id, READS.has(event) ? 'read' : 'other');
            if (turn.started) {
              await turn.started;
              if (READS.has(event)) await limits.answerBytesLeft(user.id);
            }
            // A socket that went away while its event waited is not served, as above.
            if (!socket.connected) return;
            const payload = parseInput(definition.schema, args[0]);
            const result = await definition.run(
              { socket, user, afterAnswer: (work) => (afterAnswer ??= []).push(work) },
              payload,
            );
            const answer = { success: true, ...result };
            const bytes = !ack
              ? 0
              : measure(
                  () => {
                    if (!sendLargeAnswer(socket, packet, answer, tuning)) ack(answer);
                  },
                  answer,
                  tuning.active.answerBytesFromPackets,
                );
            // Big answers to reads are paid for by weight (the read budget's bytes): reads wait
            // after them. A send's answer carries back only the sender's own text.
            if (bytes >= ANSWER_BYTES_COUNTED_FROM && READS.has(event)) limits.answered(user.id, bytes);
            for (const work of afterAnswer ?? []) work();
            metrics.eventHandled(event, 'success', (performance.now() - started) / 1000);
          } catch (error) {
            const envelope = toWireError(error);
            if (envelope.code === 'RATE_LIMITED') abuse.refused(user.id);
            metrics.eventHandled(event, envelope.code, (performance.now() - started) / 1000);
            const where = { socketId: socket.id, userId: user.id, event };
            if (envelope.code === 'INTERNAL') log.error({ ...where, err: error }, 'event failed');
            else log.debug({ ...where, code: envelope.code }, 'event refused');
            ack?.(envelope);
          } finally {
            turn?.end();
          }
        });
      },
      (error: unknown) => {
        metrics.eventHandled(label, 'RATE_LIMITED', 0);
        // Events still queued from sockets a cut-off has just closed do not count again.
        if (socket.connected) abuse.refused(user.id);
        ack?.(toWireError(error));
      },
    );
  });
}
