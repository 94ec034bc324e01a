import type { Duplex } from 'node:stream';
import type { Socket as EngineSocket } from 'engine.io';
import type { EngineTuning } from './engine-internals.js';
import type { ParleyServer } from './socket-types.js';

/**
 * Coalesces what one turn of the event loop writes to a WebSocket connection into one system
 * call. A batch of committed sends is broadcast in one go: each member's socket gets a
 * `new_message` frame per message (and the senders their acknowledgements), which the WebSocket
 * library writes one `writev` each — the largest single cost of the server under load. The
 * connection's TCP stream is corked when Engine.IO flushes packets to it and uncorked in
 * process.nextTick. A batch settles in one promise continuation, and a tick queued from there
 * runs after every continuation it started, so the whole broadcast leaves in one write per
 * connection, in the same order and with no added latency (from a timer or an I/O callback the
 * tick comes sooner and coalesces less).
 *
 * Long-polling connections are left alone: their packets already leave as one HTTP response.
 * Reaching the TCP stream takes private members of Engine.IO and ws (engine-internals.ts); when
 * the start-up probe found them changed, nothing is coalesced and each frame is its own write.
 */
export function coalesceWritesPerTurn(io: ParleyServer, tuning: EngineTuning): void {
  if (!tuning.active.writeCoalescing) return;
  const corked = new Set<Duplex>();
  const uncorkAll = () => {
    try {
      for (const stream of corked) stream.uncork();
    } finally {
      corked.clear();
    }
  };
  // Engine.IO hands a connection's buffered packets to its transport in one flush.
  io.engine.on('flush', (connection: EngineSocket) => {
    const stream = tuning.tcpStreamOf(connection);
    if (!stream || corked.has(stream)) return;
    stream.cork();
    corked.add(stream);
    if (corked.size === 1) process.nextTick(uncorkAll);
  });
}
