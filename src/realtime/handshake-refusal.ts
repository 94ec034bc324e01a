import type { ErrorCode } from '../errors.js';

/**
 * The error a handshake middleware passes to `next` to refuse a connection: Socket.IO answers the
 * client with a connect_error whose `message` is `text` and whose `data` is `{ code }`.
 */
export function handshakeRefusal(text: string, code: ErrorCode): Error & { data: { code: ErrorCode } } {
  return Object.assign(new Error(text), { data: { code } });
}
