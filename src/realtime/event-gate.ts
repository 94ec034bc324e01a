import type { FastifyBaseLogger } from 'fastify';
import { AppError, TEXTS } from '../errors.js';
import { RateLimitedError, toWireError } from '../limits/rate-limited-error.js';
import type { RateLimits } from '../limits/rate-limits.js';
import type { Metrics } from '../observability/metrics.js';
import { parseInput } from '../validation.js';
import type { EventTable } from './event-table.js';
import type { ParleySocket } from './socket-types.js';
import type { InFlight } from './in-flight.js';
import { sendLargeAnswer } from './large-answers.js';

type Acknowledge = (answer: unknown) => void;

/** Unanswered events one socket may have; a client that waits for its answers never gets near. */
const MAX_EVENTS_IN_FLIGHT_PER_SOCKET = 32;

/** Events also counted per user, across all the user's sockets and nodes. */
const PER_USER_LIMIT = new Map<string, (limits: RateLimits, userId: string) => Promise<void>>([
  ['send_message', (limits, userId) => limits.message(userId)],
  ['sync', (limits, userId) => limits.sync(userId)],
]);
const RETRY_BUSY_MS = 1_000;

/**
 * The one way in for a socket's events: a packet middleware that admits each event against the
 * rate limits (the socket's events per second; a send_message or sync also its user's, shared by
 * all the user's sockets and nodes), validates the payload with the event's schema, runs the
 * event's shared definition, and answers through the acknowledgement with the `success` envelope.
 * An event sent without a callback is still carried out; an unknown one is answered
 * VALIDATION_ERROR; nothing a client sends can throw out of here.
 */
export function serveEvents(
  socket: ParleySocket,
  events: EventTable,
  deps: { limits: RateLimits; metrics: Metrics; log: FastifyBaseLogger; inFlight: InFlight },
): void {
  const { limits, metrics, log, inFlight } = deps;
  const user = socket.data.user;
  /** Events of this socket still being handled. */
  let running = 0;

  socket.use((packet) => {
    const event = String(packet[0]);
    const args = packet.slice(1);
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as Acknowledge) : undefined;
    const definition = events.get(event);
    // Only names with a definition become label values, so clients cannot grow the metric.
    const label = definition ? event : 'unknown';
    const admitted = limits.event(socket.id).then(() => PER_USER_LIMIT.get(event)?.(limits, user.id));
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
          running++;
          try {
            // The rate limit bounds how fast events arrive, not how many wait on a slow database:
            // past this many unanswered events a socket is refused instead of queueing more work.
            if (running > MAX_EVENTS_IN_FLIGHT_PER_SOCKET) throw new RateLimitedError(RETRY_BUSY_MS, TEXTS.tooManyInFlight);
            const payload = definition.schema === null ? undefined : parseInput(definition.schema, args[0]);
            const result = await definition.run({ socket, user, afterAnswer: (work) => (afterAnswer ??= []).push(work) }, payload);
            const answer = { success: true, ...result };
            if (ack && !sendLargeAnswer(socket, packet, answer)) ack(answer);
            for (const work of afterAnswer ?? []) work();
            metrics.eventHandled(event, 'success', (performance.now() - started) / 1000);
          } catch (error) {
            const envelope = toWireError(error);
            metrics.eventHandled(event, envelope.code, (performance.now() - started) / 1000);
            const where = { socketId: socket.id, userId: user.id, event };
            if (envelope.code === 'INTERNAL') log.error({ ...where, err: error }, 'event failed');
            else log.debug({ ...where, code: envelope.code }, 'event refused');
            ack?.(envelope);
          } finally {
            running--;
          }
        });
      },
      (error: unknown) => {
        metrics.eventHandled(label, 'RATE_LIMITED', 0);
        ack?.(toWireError(error));
      },
    );
  });
}
