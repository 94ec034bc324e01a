import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { transports, type Socket as EngineSocket } from 'engine.io';
import { WebSocket } from 'ws';

/**
 * The private members of Engine.IO and ws that Parley relies on, reached only from here and
 * checked when this module loads (a start-up failure names this file, rather than a connection
 * quietly left unbounded): Engine.IO's WebSocket transport keeps the ws WebSocket it serves as
 * `socket`, and ws keeps the TCP stream under a WebSocket as `_socket`. Neither has a public
 * accessor. What Parley does with them is public API: ws's `bufferedAmount` and `terminate()`,
 * the stream's `cork()`.
 */

/** The ws WebSocket under a connection, if it is on WebSocket now (it may have upgraded from long-polling). */
export function webSocketOf(connection: EngineSocket): WebSocket | undefined {
  const transport = connection.transport;
  if (transport?.name !== 'websocket') return undefined;
  return (transport as unknown as { socket?: WebSocket }).socket;
}

/** The TCP stream under a WebSocket; undefined once it is gone. */
export function tcpStreamOf(webSocket: WebSocket): Duplex | undefined {
  return (webSocket as unknown as { _socket?: Duplex | null })._socket ?? undefined;
}

const probe = new EventEmitter();
const probeTransport = new transports.websocket({ _query: { EIO: '4' }, websocket: probe } as never);
if ((probeTransport as unknown as { socket?: unknown }).socket !== probe) {
  throw new Error("engine.io's WebSocket transport no longer keeps its ws WebSocket as `socket`: see src/realtime/engine-internals.ts");
}
// A server-side WebSocket not yet given its stream: ws's constructor with a null address.
const probeWebSocket = new (WebSocket as unknown as new (address: null, protocols: undefined, options: object) => WebSocket)(null, undefined, {});
if (!('_socket' in probeWebSocket)) {
  throw new Error('ws no longer keeps the TCP stream of a WebSocket as `_socket`: see src/realtime/engine-internals.ts');
}
