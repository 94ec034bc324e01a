import type { ErrorCode } from '../errors.js';

/**
 * The error a handshake middleware passes to `next` to refuse a connection: Socket.IO answers the
 * client with a connect_error whose `message` is `text` and whose `data` is `{ code }` (and
 * `retryAfterMs` when the refusal says when to try again).
 */
export type HandshakeRefusal = Error & { data: { code: ErrorCode; retryAfterMs?: number } };

export function handshakeRefusal(text: string, code: ErrorCode, retryAfterMs?: number): HandshakeRefusal {
  return Object.assign(new Error(text), { data: retryAfterMs === undefined ? { code } : { code, retryAfterMs } });
}

/** Whether `error` is a refusal made by handshakeRefusal (thrown by a check that runs inside authentication). */
export function isHandshakeRefusal(error: unknown): error is HandshakeRefusal {
  return error instanceof Error && typeof (error as Partial<HandshakeRefusal>).data?.code === 'string';
}
