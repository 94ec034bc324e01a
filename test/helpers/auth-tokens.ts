import { SignJWT, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import { connect, TEST_JWT_SECRET } from './server.js';

/** The test secret as jose wants it for HS* algorithms. */
export const TEST_KEY = new TextEncoder().encode(TEST_JWT_SECRET);

/** Seconds since the epoch, as JWT time claims count. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Signs exactly `claims` (nothing added: no exp unless given) with `key` and `alg`
 * (HS256 with the test secret by default).
 */
export function signToken(
  claims: JWTPayload & Record<string, unknown>,
  options: { alg?: string; key?: Parameters<SignJWT['sign']>[0] } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .sign(options.key ?? TEST_KEY);
}

/** A well-formed HS256 token for `sub`, valid for an hour, plus any extra claims. */
export function validClaims(sub: string, extra: Record<string, unknown> = {}): JWTPayload & Record<string, unknown> {
  const now = nowSeconds();
  return { sub, iat: now, exp: now + 3600, ...extra };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned `alg: none` token, built by hand (jose refuses to verify these, as it should). */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
}

/** The error a refused handshake rejects `connect` with. */
export interface HandshakeError extends Error {
  data?: unknown;
}

/** Connects with `token` and expects the handshake to be refused; returns the connect_error. */
export async function expectRefused(
  server: { url: string },
  token: string | undefined,
  via: 'auth' | 'header' = 'auth',
): Promise<HandshakeError> {
  let refusal: HandshakeError | undefined;
  try {
    const socket = await connect(server, token, { via });
    socket.close();
  } catch (error) {
    refusal = error as HandshakeError;
  }
  if (!refusal) throw new Error('the handshake was accepted but should have been refused');
  expect(refusal.data).toEqual({ code: 'UNAUTHORIZED' });
  expectRussianText(refusal.message);
  return refusal;
}

/** A non-empty sentence in Cyrillic with no Latin words (no leaked library or English message). */
export function expectRussianText(text: unknown): void {
  expect(text).toEqual(expect.any(String));
  expect(text as string).toMatch(/^[А-ЯЁ][а-яёА-ЯЁ0-9 ,.:;«»()-]*$/u);
}
