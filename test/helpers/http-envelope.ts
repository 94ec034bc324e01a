import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ApiResponse } from './server.js';

/** Every code the contract lets an error carry (§3 plus UNAUTHORIZED, CONFLICT and BANNED). */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'BANNED',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The seed's wording for a chat the caller may not see (contract §3). */
export const NO_CHAT_ACCESS = 'У вас нет доступа к этому чату';

/**
 * Asserts the contract's error envelope `{ success: false, error, code }`. The only other key
 * allowed is the optional `field` (a string) that names the bad input of a VALIDATION_ERROR.
 */
export function expectEnvelope(body: unknown): void {
  expect(body).toBeTypeOf('object');
  expect(body).not.toBeNull();
  const record = body as Record<string, unknown>;
  expect(
    Object.keys(record)
      .filter((key) => key !== 'field')
      .sort(),
  ).toEqual(['code', 'error', 'success']);
  expect(record.success).toBe(false);
  expect(record.error).toBeTypeOf('string');
  expect((record.error as string).length).toBeGreaterThan(0);
  expect(ERROR_CODES).toContain(record.code);
  if ('field' in record) expect(record.field).toBeTypeOf('string');
}

/** Asserts status, envelope and code; `error` pins the text exactly (string) or by pattern. */
export function expectError(response: ApiResponse, status: number, code: ErrorCode, error?: string | RegExp): void {
  expect({ status: response.status, code: response.body?.code }, JSON.stringify(response.body)).toEqual({
    status,
    code,
  });
  expectEnvelope(response.body);
  if (typeof error === 'string') expect(response.body.error).toBe(error);
  else if (error) expect(response.body.error).toMatch(error);
}

/** Unique, valid registration data; `tag` is a fresh lowercase prefix for search tests. */
export function newCredentials(prefix = 'u'): { email: string; username: string; password: string; tag: string } {
  const tag = randomUUID().replace(/-/g, '').slice(0, 10);
  return {
    email: `${prefix}-${tag}@example.com`,
    username: `${prefix}_${tag}`,
    password: `pw-${randomUUID()}`,
    tag,
  };
}

/** A random lowercase tag that no other test shares, usable in usernames and emails. */
export function freshTag(): string {
  return `t${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}
