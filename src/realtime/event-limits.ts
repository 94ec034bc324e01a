import { toWireError } from '../limits/rate-limited-error.js';
import type { RateLimits } from '../limits/rate-limits.js';
import type { Metrics } from '../observability/metrics.js';
import type { ParleySocket } from './gateway.js';

/**
 * Packet middleware of one socket, in front of every event handler: each event counts against the
 * socket's events-per-second limit, and each send_message also against its user's message limit
 * (shared by all the user's sockets and nodes). A refused event is not handled; its callback, if
 * any, gets `{ success: false, code: 'RATE_LIMITED', error, retryAfterMs }`.
 */
export function limitEvents(socket: ParleySocket, limits: RateLimits, metrics: Metrics): void {
  socket.use((packet, next) => {
    const event = String(packet[0]);
    const admitted = limits
      .event(socket.id)
      .then(() => (event === 'send_message' ? limits.message(socket.data.user.id) : undefined));
    admitted.then(
      () => {
        // An unknown event is answered by the catch-all listener; it is counted here.
        if (socket.listeners(event as 'send_message').length === 0) metrics.eventHandled('unknown', 'VALIDATION_ERROR', 0);
        next();
      },
      (error: unknown) => {
        // Only names with a handler become label values, so clients cannot grow the metric.
        const known = socket.listeners(event as 'send_message').length > 0;
        metrics.eventHandled(known ? event : 'unknown', 'RATE_LIMITED', 0);
        const ack = packet.at(-1);
        if (typeof ack === 'function') ack(toWireError(error));
      },
    );
  });
}
