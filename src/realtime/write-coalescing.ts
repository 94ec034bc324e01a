import type { Socket as EngineSocket } from 'engine.io';
import type { ParleyServer } from './gateway.js';

/**
 * Coalesces what one turn of the event loop writes to a connection into one system call. A batch
 * of committed sends is broadcast in one go: each member's socket gets a `new_message` frame per
 * message (and the senders their acknowledgements), which the WebSocket library writes one
 * `writev` each — the largest single cost of the server under load. The connection's TCP stream
 * is corked when Engine.IO first flushes packets to it in the turn, and uncorked once the turn's
 * work is done (process.nextTick runs after every promise continuation queued so far), so the frames
 * leave together, in the same order and with no added latency.
 *
 * The stream is the one the connection's first request arrived on: for a client that connects
 * over WebSocket directly (the SDK's recommended setting) it is the WebSocket's; for one that
 * upgraded from long-polling it is an HTTP connection, and corking it for a turn does nothing.
 */
export function coalesceWritesPerTurn(io: ParleyServer): void {
  const corked = new Set<NodeJS.WritableStream & { cork(): void; uncork(): void; destroyed: boolean }>();
  const uncorkAll = () => {
    for (const stream of corked) stream.uncork();
    corked.clear();
  };
  // Engine.IO hands a connection's buffered packets to its transport in one flush.
  io.engine.on('flush', (connection: EngineSocket) => {
    const stream = connection.request.socket;
    if (corked.has(stream) || stream.destroyed) return;
    stream.cork();
    corked.add(stream);
    if (corked.size === 1) process.nextTick(uncorkAll);
  });
}
