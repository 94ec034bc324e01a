import { randomUUID } from 'node:crypto';
import { exportSPKI, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, TEXTS } from '../../src/errors.js';
import { expectRefused, nowSeconds, signToken, unsignedToken, validClaims } from '../helpers/auth-tokens.js';
import {
  ask,
  closeSockets,
  connect,
  registerUser,
  startServer,
  type TestServer,
  type TestUser,
} from '../helpers/server.js';

/** Contract §2 (identity) and §3 "Connecting": who may open a socket, and how a refusal looks. */
describe('Socket.IO handshake', () => {
  let server: TestServer;
  let alice: TestUser;

  beforeAll(async () => {
    server = await startServer();
    alice = await registerUser(server, 'alice');
  });
  afterAll(async () => {
    closeSockets();
    await server.close();
  });

  /** A connected socket really is the token's user: it can ask for that user's chats. */
  async function expectWorks(token: string, via: 'auth' | 'header' = 'auth'): Promise<void> {
    const socket = await connect(server, token, { via });
    try {
      expect(socket.connected).toBe(true);
      expect(await ask(socket, 'get_my_chats')).toEqual({ success: true, chats: [] });
    } finally {
      socket.close();
    }
  }

  describe('accepts', () => {
    it('auth.token without the Bearer prefix', async () => {
      await expectWorks(alice.token);
    });

    it('auth.token with the Bearer prefix', async () => {
      await expectWorks(`Bearer ${alice.token}`);
    });

    it('extraHeaders Authorization: Bearer …', async () => {
      await expectWorks(alice.token, 'header');
    });

    it('a token whose user is named by the `id` claim when `sub` is absent', async () => {
      const now = nowSeconds();
      await expectWorks(await signToken({ id: alice.user.id, iat: now, exp: now + 600 }));
    });

    it('a token whose user is named by the `userId` claim when `sub` is absent', async () => {
      const now = nowSeconds();
      await expectWorks(await signToken({ userId: alice.user.id, iat: now, exp: now + 600 }));
    });

    it('a hand-signed HS256 token with the right secret for a real user', async () => {
      await expectWorks(await signToken(validClaims(alice.user.id)));
    });
  });

  describe('refuses with connect_error { message in Russian, data: { code: UNAUTHORIZED } }', () => {
    it('no token at all', async () => {
      const refusal = await expectRefused(server, undefined);
      expect(refusal.message).toBe(ERRORS.UNAUTHORIZED.text);
    });

    it('no Authorization header at all', async () => {
      const refusal = await expectRefused(server, undefined, 'header');
      expect(refusal.message).toBe(ERRORS.UNAUTHORIZED.text);
    });

    it('an empty token', async () => {
      const refusal = await expectRefused(server, '');
      expect(refusal.message).toBe(ERRORS.UNAUTHORIZED.text);
    });

    it('"Bearer " with nothing after it', async () => {
      const refusal = await expectRefused(server, 'Bearer ');
      expect(refusal.message).toBe(ERRORS.UNAUTHORIZED.text);
    });

    it('a garbage string, in auth.token and in the header', async () => {
      expect((await expectRefused(server, 'not-a-jwt')).message).toBe(TEXTS.invalidToken);
      expect((await expectRefused(server, 'not.a.jwt', 'header')).message).toBe(TEXTS.invalidToken);
    });

    it('a token signed with another secret', async () => {
      const key = new TextEncoder().encode('a-completely-different-secret-of-enough-length');
      const token = await signToken(validClaims(alice.user.id), { key });
      expect((await expectRefused(server, token)).message).toBe(TEXTS.invalidToken);
      expect((await expectRefused(server, token, 'header')).message).toBe(TEXTS.invalidToken);
    });

    it('a token with a real token’s signature but a changed payload', async () => {
      const [header, , signature] = alice.token.split('.');
      const forged = Buffer.from(JSON.stringify(validClaims(randomUUID()))).toString('base64url');
      expect((await expectRefused(server, `${header}.${forged}.${signature}`)).message).toBe(TEXTS.invalidToken);
    });

    it('an unsigned `alg: none` token for a real user', async () => {
      const token = unsignedToken(validClaims(alice.user.id));
      expect((await expectRefused(server, token)).message).toBe(TEXTS.invalidToken);
      // Some libraries only look at the lower-case spelling.
      const shouted = `${Buffer.from(JSON.stringify({ alg: 'NONE', typ: 'JWT' })).toString('base64url')}.${token.split('.')[1]}.`;
      expect((await expectRefused(server, shouted)).message).toBe(TEXTS.invalidToken);
    });

    it.each(['HS384', 'HS512'])(
      'a %s token signed with the right secret (the algorithm is pinned to HS256)',
      async (alg) => {
        const token = await signToken(validClaims(alice.user.id), { alg });
        expect((await expectRefused(server, token)).message).toBe(TEXTS.invalidToken);
      },
    );

    it('an RS256 token (algorithm confusion), and an HS256 token keyed with the RSA public key', async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      const rs256 = await signToken(validClaims(alice.user.id), { alg: 'RS256', key: privateKey });
      expect((await expectRefused(server, rs256)).message).toBe(TEXTS.invalidToken);

      const publicPem = new TextEncoder().encode(await exportSPKI(publicKey));
      const confused = await signToken(validClaims(alice.user.id), { key: publicPem });
      expect((await expectRefused(server, confused)).message).toBe(TEXTS.invalidToken);
    });

    it('an expired token, saying that it expired', async () => {
      const now = nowSeconds();
      const token = await signToken({ sub: alice.user.id, iat: now - 7200, exp: now - 60 });
      expect((await expectRefused(server, token)).message).toBe(TEXTS.expiredToken);
      expect((await expectRefused(server, token, 'header')).message).toBe(TEXTS.expiredToken);
    });

    it('a token that is not valid yet (nbf in the future)', async () => {
      const token = await signToken(validClaims(alice.user.id, { nbf: nowSeconds() + 600 }));
      expect((await expectRefused(server, token)).message).toBe(TEXTS.invalidToken);
    });

    it('a token without exp', async () => {
      const token = await signToken({ sub: alice.user.id, iat: nowSeconds() });
      expect((await expectRefused(server, token)).message).toBe(TEXTS.invalidToken);
    });

    it('a token with no subject claim at all', async () => {
      const now = nowSeconds();
      const token = await signToken({ iat: now, exp: now + 600, email: alice.user.email });
      expect((await expectRefused(server, token)).message).toBe(TEXTS.invalidToken);
    });

    it.each([
      ['a number', 12345],
      ['an object', { id: 'x' }],
      ['null', null],
      ['an empty string', ''],
    ])('a token whose sub is %s', async (_label, sub) => {
      const now = nowSeconds();
      const token = await signToken({ sub: sub as string, iat: now, exp: now + 600 });
      expect((await expectRefused(server, token)).message).toBe(TEXTS.invalidToken);
    });

    it('an empty sub does not fall through to an `id` claim', async () => {
      // `sub` is present, so `id` must not be consulted (contract: id/userId only when sub is absent).
      const token = await signToken(validClaims('', { id: alice.user.id }));
      expect((await expectRefused(server, token)).message).toBe(TEXTS.invalidToken);
    });

    it('a token for a user that does not exist', async () => {
      const token = await signToken(validClaims(randomUUID()));
      expect((await expectRefused(server, token)).message).toBe(TEXTS.unknownUser);
    });

    it('a token whose sub is not even an id the store could hold', async () => {
      const token = await signToken(validClaims("1' OR '1'='1"));
      expect((await expectRefused(server, token)).message).toBe(TEXTS.unknownUser);
    });

    it('a token issued by this server for a user who was deleted since', async () => {
      const doomed = await registerUser(server, 'doomed');
      await expectWorks(doomed.token);
      await server.app.store.users.deleteAccount(doomed.user.id);
      expect((await expectRefused(server, doomed.token)).message).toBe(TEXTS.unknownUser);
      expect((await expectRefused(server, doomed.token, 'header')).message).toBe(TEXTS.unknownUser);
    });
  });

  it('a refused handshake leaves the server serving everyone else', async () => {
    await expectRefused(server, 'garbage');
    await expectWorks(alice.token);
  });
});
