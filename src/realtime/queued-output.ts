import type { Socket as EngineSocket } from 'engine.io';
import type { EngineTuning } from './engine-internals.js';
import type { ParleyServer } from './socket-types.js';

/** A packet as Engine.IO queues it: what is sent is `data` (a string, or bytes). */
interface QueuedPacket {
  data?: unknown;
}

/**
 * A cap on the bytes queued for one connection and not yet taken by the network: Engine.IO's write
 * buffer (packets waiting for the transport — on long-polling, everything sent while the client
 * makes no request) plus, on WebSocket, what ws has not yet handed to the operating system
 * (`bufferedAmount`: one flush waits there while a client does not read, and Engine.IO buffers the
 * rest). Without it, a client that stops reading grows the server's memory by every answer and
 * broadcast addressed to it.
 *
 * When a packet is queued for a connection whose backlog is already past `maxBytes`, the backlog
 * is measured again once the current turn of the event loop is over: a turn's writes leave in one
 * go at its end (write-coalescing.ts), so a client that reads is back under the cap by then,
 * however much one batch of broadcasts sent it. A connection still past the cap is cut — its TCP
 * connection destroyed at once (a WebSocket close handshake would hold the backlog 30 s more) and
 * its queue dropped — so it holds at most `maxBytes` plus what one turn adds. Measured before the
 * packet, so one answer larger than the cap still reaches a client that keeps up. Text not yet
 * encoded is counted in characters (UTF-16 code units): one per byte of ASCII JSON, fewer than its
 * UTF-8 bytes for the rest. The client sees its connection drop, reconnects and syncs as after
 * any cut.
 *
 * What ws holds and the immediate cut reach ws's WebSocket through a private member of Engine.IO
 * (engine-internals.ts). When the start-up probe found it changed, the cap counts Engine.IO's write
 * buffer only and cuts with Engine.IO's close. Memory stays bounded: Engine.IO hands its transport
 * the next flush only once the previous one is written, so a client that stops reading leaves one
 * flush in ws (at most the cap plus one turn's writes, or it would have been cut) while the write
 * buffer grows past the cap and is cut; ws then holds its flush until its close handshake times
 * out (30 s).
 */
export function capQueuedOutput(
  io: ParleyServer,
  tuning: EngineTuning,
  maxBytes: number,
  /** Told of a connection about to be cut. */
  onCut: (connection: EngineSocket, queuedBytes: number) => void,
): void {
  /** Bytes in each connection's write buffer since its last flush to the transport. */
  const buffered = new WeakMap<EngineSocket, number>();
  const checking = new WeakSet<EngineSocket>();
  const backlogOf = (connection: EngineSocket) => (buffered.get(connection) ?? 0) + tuning.webSocketBacklog(connection);

  const check = (connection: EngineSocket) => {
    checking.delete(connection);
    const queuedBytes = backlogOf(connection);
    if (connection.readyState === 'closed' || queuedBytes <= maxBytes) return;
    onCut(connection, queuedBytes);
    tuning.terminate(connection);
    connection.close(true);
  };

  // One listener shared by every connection (`this` is the connection): nothing is allocated per
  // connection but its count, and only while packets wait.
  function onPacketCreate(this: EngineSocket, packet: QueuedPacket): void {
    const before = buffered.get(this) ?? 0;
    buffered.set(this, before + sizeOf(packet));
    const backlog = before + tuning.webSocketBacklog(this);
    if (backlog <= maxBytes || checking.has(this)) return;
    checking.add(this);
    setImmediate(check, this);
  }

  io.engine.on('connection', (connection: EngineSocket) => connection.on('packetCreate', onPacketCreate));
  // A connection's write buffer handed to its transport is empty again.
  io.engine.on('flush', (connection: EngineSocket) => buffered.delete(connection));
}

function sizeOf(packet: QueuedPacket): number {
  const { data } = packet;
  if (typeof data === 'string') return data.length;
  return ArrayBuffer.isView(data) || data instanceof ArrayBuffer ? data.byteLength : 0;
}
