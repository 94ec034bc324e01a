import { randomUUID } from 'node:crypto';
import { exportSPKI, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEXTS } from '../../src/errors.js';
import { nowSeconds, signToken, unsignedToken, validClaims } from '../helpers/auth-tokens.js';
import { api, registerUser, useServer, type TestUser } from '../helpers/server.js';

/**
 * Issue 5 §3 on the HTTP side: every token attack refused at the handshake (handshake.test.ts) is
 * refused by the bearer guard too, with 401 and the same reason, and never reaches a route.
 */
describe('bearer tokens on HTTP (GET /users/me)', () => {
  const server = useServer();
  let alice: TestUser;
  beforeAll(async () => {
    alice = await registerUser(server, 'alice');
  });

  const attacks: Array<[string, () => Promise<string>, string]> = [
    ['alg: none', async () => unsignedToken(validClaims(alice.user.id)), TEXTS.invalidToken],
    [
      'signed with another secret',
      () => signToken(validClaims(alice.user.id), { key: new TextEncoder().encode('x'.repeat(48)) }),
      TEXTS.invalidToken,
    ],
    [
      'HS384 with the right secret (algorithm pinned)',
      () => signToken(validClaims(alice.user.id), { alg: 'HS384' }),
      TEXTS.invalidToken,
    ],
    [
      'RS256 signed by some key pair (algorithm confusion)',
      async () =>
        signToken(validClaims(alice.user.id), { alg: 'RS256', key: (await generateKeyPair('RS256')).privateKey }),
      TEXTS.invalidToken,
    ],
    [
      'HS256 keyed with an RSA public key',
      async () => {
        const { publicKey } = await generateKeyPair('RS256', { extractable: true });
        return signToken(validClaims(alice.user.id), { key: new TextEncoder().encode(await exportSPKI(publicKey)) });
      },
      TEXTS.invalidToken,
    ],
    [
      'expired',
      () => signToken({ sub: alice.user.id, iat: nowSeconds() - 7200, exp: nowSeconds() - 60 }),
      TEXTS.expiredToken,
    ],
    [
      'not valid yet (nbf in the future)',
      () => signToken(validClaims(alice.user.id, { nbf: nowSeconds() + 600 })),
      TEXTS.invalidToken,
    ],
    ['without exp', () => signToken({ sub: alice.user.id, iat: nowSeconds() }), TEXTS.invalidToken],
    [
      'without any subject',
      () => signToken({ iat: nowSeconds(), exp: nowSeconds() + 600, email: alice.user.email }),
      TEXTS.invalidToken,
    ],
    [
      'with a numeric sub',
      () => signToken({ sub: 12345 as unknown as string, exp: nowSeconds() + 600 }),
      TEXTS.invalidToken,
    ],
    [
      'with an object sub',
      () => signToken({ sub: { id: alice.user.id } as unknown as string, exp: nowSeconds() + 600 }),
      TEXTS.invalidToken,
    ],
    [
      'with an empty sub and a valid id claim',
      () => signToken(validClaims('', { id: alice.user.id })),
      TEXTS.invalidToken,
    ],
    ['for a user that does not exist', () => signToken(validClaims(randomUUID())), TEXTS.unknownUser],
    ['whose sub is SQL', () => signToken(validClaims("1' OR '1'='1")), TEXTS.unknownUser],
  ];

  it.each(attacks)('refuses a token %s with 401 UNAUTHORIZED', async (_label, makeToken, reason) => {
    const response = await api(server, 'GET', '/users/me', { token: await makeToken() });
    expect(response).toEqual({ status: 401, body: { success: false, error: reason, code: 'UNAUTHORIZED' } });
  });

  it('refuses a token of a user deleted since it was issued', async () => {
    const doomed = await registerUser(server, 'doomed');
    expect((await api(server, 'GET', '/users/me', { token: doomed.token })).status).toBe(200);
    await server.app.store.users.deleteAccount(doomed.user.id);
    const response = await api(server, 'GET', '/chats', { token: doomed.token });
    expect(response).toEqual({ status: 401, body: { success: false, error: TEXTS.unknownUser, code: 'UNAUTHORIZED' } });
  });
});
