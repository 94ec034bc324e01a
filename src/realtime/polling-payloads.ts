import type { Socket as EngineSocket } from 'engine.io';
import type { ParleyServer } from './socket-types.js';

/**
 * Packets one long-polling request body may carry. A body is bounded in bytes (64 KiB), but
 * Engine.IO decodes every packet packed into it at once: ~4,000 one-line events fit, each then an
 * event to admit, refuse and answer. A WebSocket frame is one packet, so WebSocket needs no such
 * bound. socket.io-client packs into one body the packets queued while its previous request was
 * out: far fewer, unless it emits hundreds of events at once, which the rate limits would refuse.
 */
export const MAX_PACKETS_PER_POLLING_REQUEST = 256;

/**
 * Closes a long-polling connection whose request body carries more than
 * MAX_PACKETS_PER_POLLING_REQUEST packets: the packets after that are not processed (Engine.IO
 * drops what arrives for a closed connection), the request is aborted, and the client has to
 * connect again. Engine.IO hands a body's packets over one after another in one synchronous
 * loop, so the packets counted until the end of the current turn are those of one body.
 *
 * Only public API is used (the `packet` event, `transport.name`), but the synchronous loop is
 * Engine.IO's behaviour, not its promise; test/limits/polling-payloads.test.ts fails if it changes.
 * Were a body's packets spread over turns, the count would restart and this cap never trigger:
 * memory would stay bounded by the body's 64 KiB (maxHttpBufferSize) and each event's work by the
 * rate limits.
 */
export function limitPollingPayloads(
  io: ParleyServer,
  /** Told of a connection about to be closed. */
  onCut: (connection: EngineSocket) => void,
): void {
  let counting: EngineSocket | undefined;
  let count = 0;

  // One listener shared by every long-polling connection (`this` is the connection).
  function onPacket(this: EngineSocket): void {
    if (this.transport.name !== 'polling') return;
    if (counting !== this) {
      // eslint-disable-next-line @typescript-eslint/no-this-alias -- which connection is counted, not a closure's `this`
      counting = this;
      count = 0;
      queueMicrotask(() => {
        counting = undefined;
      });
    }
    if (++count !== MAX_PACKETS_PER_POLLING_REQUEST + 1) return;
    onCut(this);
    // Closed at once, from inside the loop: the rest of the body finds the connection closed.
    this.close(true);
  }

  io.engine.on('connection', (connection: EngineSocket) => {
    // A connection that starts on WebSocket never falls back to long-polling.
    if (connection.transport.name === 'polling') connection.on('packet', onPacket);
  });
}
