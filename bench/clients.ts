import { io, type Socket } from 'socket.io-client';

/**
 * Load-tool clients: WebSocket only, no reconnection, as many as the scenario needs. A handshake
 * that does not complete within `timeoutMs` fails (Socket.IO's own default: 20 s).
 */
export function connectClient(url: string, token: string, timeoutMs = 20_000): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token }, timeout: timeoutMs });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** Connects every token, at most `concurrency` handshakes at a time; keeps the input order. */
export async function connectAll(url: string, tokens: string[], concurrency = 50): Promise<Socket[]> {
  const sockets: Socket[] = new Array(tokens.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tokens.length) }, async () => {
      while (next < tokens.length) {
        const index = next++;
        sockets[index] = await connectClient(url, tokens[index]!);
      }
    }),
  );
  return sockets;
}

export async function ask<T = any>(socket: Socket, event: string, payload?: unknown): Promise<T> {
  const answer = await socket.timeout(30_000).emitWithAck(event, payload);
  if (!answer?.success) throw new Error(`${event} failed: ${JSON.stringify(answer)}`);
  return answer as T;
}

export function closeAll(sockets: Socket[]): void {
  for (const socket of sockets) socket?.close();
}
