import { connect as connectTcp, type Socket as TcpSocket } from 'node:net';
import { WebSocket } from 'ws';
import type { TestServer } from './server.js';

/**
 * Clients that speak Engine.IO v4 and Socket.IO v5 by hand, for tests about what a misbehaving
 * client costs the server: a WebSocket whose reader stops, a long-polling client that never asks
 * for what it is sent, a request body packed with packets. socket.io-client would do none of that.
 */

const ENGINE_PATH = '/socket.io/?EIO=4';
/** Engine.IO v4 separates the packets of one long-polling body with this character. */
export const PACKET_SEPARATOR = '\x1e';

/** An event with an acknowledgement id, as one Engine.IO message packet: `4` + `2<id>[name, payload]`. */
export function eventPacket(id: number, event: string, payload?: unknown): string {
  return `42${id}${JSON.stringify(payload === undefined ? [event] : [event, payload])}`;
}

/** Socket.IO's id of a socket, from its CONNECT answer `40{"sid":…}`. */
function connectedSid(packet: string): string | undefined {
  return packet.startsWith('40{') ? (JSON.parse(packet.slice(2)) as { sid?: string }).sid : undefined;
}

export interface RawWebSocket {
  webSocket: WebSocket;
  /** Socket.IO's id of the socket on the server. */
  sid: string;
  /** Resolves when the connection is closed, with its close code. */
  closed: Promise<number>;
}

/** A WebSocket connected and authenticated as `token` in the main namespace, answering the server's pings. */
export function rawWebSocket(server: TestServer, token: string): Promise<RawWebSocket> {
  const webSocket = new WebSocket(`${server.url.replace('http', 'ws')}${ENGINE_PATH}&transport=websocket`);
  const closed = new Promise<number>((resolve) => webSocket.once('close', resolve));
  return new Promise((resolve, reject) => {
    webSocket.once('error', reject);
    webSocket.on('message', (data: Buffer) => {
      const packet = data.toString();
      if (packet.startsWith('0{')) webSocket.send(`40${JSON.stringify({ token })}`);
      else if (packet === '2') webSocket.send('3');
      const sid = connectedSid(packet);
      if (sid) resolve({ webSocket, sid, closed });
      else if (packet.startsWith('44')) reject(new Error(`refused: ${packet}`));
    });
  });
}

/** A long-polling Engine.IO session authenticated as `token`, which asks for its packets only when told. */
export class RawPollingSession {
  /** Socket.IO's id of the socket on the server, once connected. */
  sid = '';

  private constructor(private readonly url: string) {}

  static async open(server: TestServer, token: string): Promise<RawPollingSession> {
    const handshake = await (await fetch(`${server.url}${ENGINE_PATH}&transport=polling`)).text();
    const engineId = (JSON.parse(handshake.slice(1)) as { sid: string }).sid;
    const session = new RawPollingSession(
      `${server.url}${ENGINE_PATH}&transport=polling&sid=${encodeURIComponent(engineId)}`,
    );
    if ((await session.post(`40${JSON.stringify({ token })}`)).status !== 200) throw new Error('CONNECT refused');
    // The CONNECT answer comes with the next poll: from then on the socket is connected.
    const sid = (await session.poll()).body.split(PACKET_SEPARATOR).map(connectedSid).find(Boolean);
    if (!sid) throw new Error('no CONNECT answer');
    session.sid = sid;
    return session;
  }

  /** One request body of `packets`; its status, or `aborted` when the server cut the request. */
  async post(...packets: string[]): Promise<{ status: number | 'aborted' }> {
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        body: packets.join(PACKET_SEPARATOR),
        headers: { 'content-type': 'text/plain' },
      });
      await response.text();
      return { status: response.status };
    } catch {
      return { status: 'aborted' };
    }
  }

  /** One poll: the packets the server queued for the session (or its refusal). */
  async poll(): Promise<{ status: number; body: string }> {
    const response = await fetch(this.url);
    return { status: response.status, body: await response.text() };
  }
}

/**
 * An HTTP request sent on a connection that then reads nothing: its response stays with the
 * server for as long as the client does not read it. `close` ends the connection.
 */
export function unreadRequest(server: TestServer, method: string, path: string, token: string): TcpSocket {
  const socket = connectTcp(server.port, '127.0.0.1');
  socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  // No 'data' listener: the socket reads until its buffer is full, then nothing more.
  socket.pause();
  socket.on('error', () => undefined);
  return socket;
}
