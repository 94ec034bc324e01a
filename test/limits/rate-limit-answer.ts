import { expect } from 'vitest';

/** The contract's RATE_LIMITED envelope with its retry hint, and `error` in Russian. */
export function expectRateLimited(answer: unknown, error: string, maxRetryMs: number): void {
  expect(answer).toStrictEqual({ success: false, code: 'RATE_LIMITED', error, retryAfterMs: expect.any(Number) });
  const { retryAfterMs } = answer as { retryAfterMs: number };
  expect(Number.isInteger(retryAfterMs)).toBe(true);
  expect(retryAfterMs).toBeGreaterThan(0);
  expect(retryAfterMs).toBeLessThanOrEqual(maxRetryMs);
}

/** Splits answers into successes and the rest. */
export function tally(answers: readonly { success: boolean }[]): { ok: number; refused: unknown[] } {
  return { ok: answers.filter((a) => a.success).length, refused: answers.filter((a) => !a.success) };
}
