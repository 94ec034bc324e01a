import { AppError, toErrorEnvelope, type ErrorEnvelope } from '../errors.js';

/** RATE_LIMITED with a hint: how many milliseconds until the caller may try again. */
export class RateLimitedError extends AppError {
  constructor(
    readonly retryAfterMs: number,
    message?: string,
  ) {
    super('RATE_LIMITED', message);
  }
}

export type WireError = ErrorEnvelope & { retryAfterMs?: number };

/** `toErrorEnvelope`, plus `retryAfterMs` when the error is a rate-limit refusal. */
export function toWireError(error: unknown): WireError {
  const envelope = toErrorEnvelope(error);
  return error instanceof RateLimitedError ? { ...envelope, retryAfterMs: error.retryAfterMs } : envelope;
}
