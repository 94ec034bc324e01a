import { AppError, toErrorEnvelope, type ErrorEnvelope } from '../errors.js';

/**
 * RATE_LIMITED with a hint: how many milliseconds until the caller may try again. Made without a
 * stack trace: a refusal is an expected answer, not a fault anyone debugs, and a flooding client
 * has thousands of them made a second.
 */
export class RateLimitedError extends AppError {
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number, message?: string) {
    const stackFrames = Error.stackTraceLimit;
    // AppError's constructor cannot throw: the limit is always put back.
    Error.stackTraceLimit = 0;
    super('RATE_LIMITED', message);
    Error.stackTraceLimit = stackFrames;
    this.retryAfterMs = retryAfterMs;
  }
}

export type WireError = ErrorEnvelope & { retryAfterMs?: number };

/** `toErrorEnvelope`, plus `retryAfterMs` when the error is a rate-limit refusal. */
export function toWireError(error: unknown): WireError {
  const envelope = toErrorEnvelope(error);
  return error instanceof RateLimitedError ? { ...envelope, retryAfterMs: error.retryAfterMs } : envelope;
}
