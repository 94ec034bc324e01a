import type { Metrics } from '../observability/metrics.js';
import { handshakeRefusal } from './handshake-refusal.js';
import type { ParleyServer } from './socket-types.js';

type HandshakeMiddleware = Parameters<ParleyServer['use']>[0];

export const TOO_MANY_CONNECTIONS_TEXT = 'Слишком много одновременных подключений этого пользователя';

/**
 * At most `max` open sockets per user on this node: `middleware`, a handshake middleware (after
 * authentication), refuses one more with connect_error `{ code: 'RATE_LIMITED' }`. A slot is taken
 * when the handshake passes and given back exactly once, when the socket disconnects or, if it
 * never got to connect, when its transport closes. `full` tells beforehand, for a refusal that
 * costs less (before the user's account is read).
 */
export function limitConnectionsPerUser(
  max: number,
  metrics: Metrics,
): { full: (userId: string) => boolean; middleware: HandshakeMiddleware } {
  const open = new Map<string, number>();
  const full = (userId: string) => (open.get(userId) ?? 0) >= max;
  const middleware: HandshakeMiddleware = (socket, next) => {
    const userId = socket.data.user.id;
    const count = open.get(userId) ?? 0;
    if (count >= max) {
      metrics.limitRefused('connection');
      return next(handshakeRefusal(TOO_MANY_CONNECTIONS_TEXT, 'RATE_LIMITED'));
    }
    // A transport that closed while the handshake was being checked never becomes a socket; nothing
    // reaches its client any more, so this refusal only ends the handshake.
    if (socket.conn.readyState !== 'open') return next(new Error('the transport closed during the handshake'));
    open.set(userId, count + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      socket.conn.off('close', release);
      const left = (open.get(userId) ?? 1) - 1;
      if (left > 0) open.set(userId, left);
      else open.delete(userId);
    };
    socket.once('disconnect', release);
    socket.conn.once('close', release);
    next();
  };
  return { full, middleware };
}
