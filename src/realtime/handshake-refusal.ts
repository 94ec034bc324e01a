import type { ErrorCode } from '../errors.js';

/**
 * The error a handshake middleware passes to `next` to refuse a connection: Socket.IO answers the
 * client with a connect_error whose `message` is `text` and whose `data` is `{ code }` (and
 * `retryAfterMs` when the refusal says when to try again).
 */
export function handshakeRefusal(
  text: string,
  code: ErrorCode,
  retryAfterMs?: number,
): Error & { data: { code: ErrorCode; retryAfterMs?: number } } {
  return Object.assign(new Error(text), { data: retryAfterMs === undefined ? { code } : { code, retryAfterMs } });
}
