import { io, type Socket } from 'socket.io-client';

/**
 * Load-tool clients: WebSocket only, no reconnection, as many as the scenario needs. A handshake
 * (transport and namespace) that does not complete within `timeoutMs` fails.
 */
export function connectClient(url: string, token: string, timeoutMs = 20_000): Promise<Socket> {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { token },
    timeout: timeoutMs,
  });
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      clearTimeout(timer);
      socket.off('connect', settle).off('connect_error', settle).off('disconnect', closed);
      if (!error) return resolve(socket);
      socket.close();
      reject(error);
    };
    // A transport that opens and then closes before the namespace answers is no connect_error.
    const closed = (reason: string) => settle(new Error(`closed before connecting: ${reason}`));
    const timer = setTimeout(() => settle(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', settle).once('connect_error', settle).once('disconnect', closed);
  });
}

/** Connects every token, at most `concurrency` handshakes at a time; keeps the input order. */
export async function connectAll(url: string, tokens: string[], concurrency = 50): Promise<Socket[]> {
  const sockets = new Array<Socket>(tokens.length);
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

export async function ask<T>(socket: Socket, event: string, payload?: unknown): Promise<T> {
  const answer = (await socket.timeout(30_000).emitWithAck(event, payload)) as { success?: boolean } | undefined;
  if (!answer?.success) throw new Error(`${event} failed: ${JSON.stringify(answer)}`);
  return answer as T;
}

export function closeAll(sockets: Socket[]): void {
  for (const socket of sockets) socket?.close();
}
