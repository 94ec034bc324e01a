import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, TEXTS } from '../../src/errors.js';
import { expectRefused, expectRussianText, nowSeconds, signToken, validClaims } from '../helpers/auth-tokens.js';
import {
  api,
  ask,
  closeSockets,
  connect,
  nextEvent,
  registerUser,
  startServer,
  type TestServer,
  type TestUser,
} from '../helpers/server.js';

const ISSUER = 'https://id.parley.test';
const AUDIENCE = 'parley-api';

/**
 * Tokens over time (a socket lives no longer than its token) and the JWT_ISSUER / JWT_AUDIENCE
 * checks, on one server configured with both.
 */
describe('token lifetime, issuer and audience', () => {
  let server: TestServer;
  let alice: TestUser;

  beforeAll(async () => {
    server = await startServer({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });
    alice = await registerUser(server, 'alice');
  });
  afterAll(async () => {
    closeSockets();
    await server.close();
  });

  const claimsFor = (sub: string, extra: Record<string, unknown> = {}) =>
    validClaims(sub, { iss: ISSUER, aud: AUDIENCE, ...extra });

  describe('a socket whose token expires while connected', () => {
    it('is disconnected by the server at exp, not before', async () => {
      // exp has whole-second precision: 2 s after the next whole second is 2-3 s from now.
      const exp = Math.ceil(Date.now() / 1000) + 2;
      const token = await signToken(claimsFor(alice.user.id, { exp }));
      const socket = await connect(server, token);
      const connectedAt = Date.now();

      const reason = await nextEvent<string>(socket, 'disconnect', 10_000);
      const disconnectedAt = Date.now();

      expect(reason).toBe('io server disconnect');
      expect(disconnectedAt).toBeGreaterThanOrEqual(exp * 1000 - 250);
      expect(disconnectedAt).toBeLessThan(exp * 1000 + 3_000);
      expect(disconnectedAt - connectedAt).toBeGreaterThan(1_000);
      // Once gone, the same token cannot come back.
      expect((await expectRefused(server, token)).message).toBe(TEXTS.expiredToken);
    });

    it('keeps working until then', async () => {
      const exp = Math.ceil(Date.now() / 1000) + 3;
      const socket = await connect(server, await signToken(claimsFor(alice.user.id, { exp })));
      const reasons: string[] = [];
      socket.on('disconnect', (reason) => reasons.push(reason));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(reasons).toEqual([]);
      expect(await ask(socket, 'get_my_chats')).toEqual({ success: true, chats: [] });
      expect(await nextEvent<string>(socket, 'disconnect', 10_000)).toBe('io server disconnect');
    });

    it('does not touch sockets with longer-lived tokens', async () => {
      const shortLived = await connect(
        server,
        await signToken(claimsFor(alice.user.id, { exp: Math.ceil(Date.now() / 1000) + 1 })),
      );
      const longLived = await connect(server, alice.token);
      expect(await nextEvent<string>(shortLived, 'disconnect', 10_000)).toBe('io server disconnect');
      expect(longLived.connected).toBe(true);
      expect(await ask(longLived, 'get_my_chats')).toEqual({ success: true, chats: [] });
      longLived.close();
    });
  });

  describe('JWT_ISSUER and JWT_AUDIENCE', () => {
    it('tokens issued by /auth/register carry them and work on HTTP and on the socket', async () => {
      const [, payload] = alice.token.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
      expect(claims).toMatchObject({ sub: alice.user.id, iss: ISSUER, aud: AUDIENCE });

      expect(await api(server, 'GET', '/users/me', { token: alice.token })).toEqual({
        status: 200,
        body: { success: true, user: alice.user },
      });
      const socket = await connect(server, alice.token);
      expect(await ask(socket, 'get_my_chats')).toEqual({ success: true, chats: [] });
      socket.close();
    });

    it('tokens from /auth/login carry them too', async () => {
      const login = await api(server, 'POST', '/auth/login', {
        body: { email: alice.user.email, password: alice.password },
      });
      expect(login.status).toBe(200);
      const me = await api(server, 'GET', '/users/me', { token: login.body.accessToken });
      expect(me.body).toEqual({ success: true, user: alice.user });
    });

    it('a hand-signed token with the right iss and aud is accepted', async () => {
      const token = await signToken(claimsFor(alice.user.id));
      expect((await api(server, 'GET', '/users/me', { token })).status).toBe(200);
      const socket = await connect(server, token, { via: 'header' });
      expect(socket.connected).toBe(true);
      socket.close();
    });

    it('an audience list that includes ours is accepted', async () => {
      const token = await signToken(claimsFor(alice.user.id, { aud: ['another-api', AUDIENCE] }));
      expect((await api(server, 'GET', '/users/me', { token })).status).toBe(200);
    });

    it.each([
      ['a wrong iss', { iss: 'https://evil.example' }],
      ['a wrong aud', { aud: 'some-other-api' }],
      ['no iss', { iss: undefined }],
      ['no aud', { aud: undefined }],
    ])('a token with %s is refused on the handshake and on GET /users/me', async (_label, override) => {
      const claims: Record<string, unknown> = { ...claimsFor(alice.user.id), ...override };
      for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key];
      const token = await signToken(claims);

      expect((await expectRefused(server, token)).message).toBe(TEXTS.invalidToken);
      expect((await expectRefused(server, token, 'header')).message).toBe(TEXTS.invalidToken);

      const me = await api(server, 'GET', '/users/me', { token });
      expect(me).toEqual({ status: 401, body: { success: false, error: TEXTS.invalidToken, code: 'UNAUTHORIZED' } });
      expectRussianText(me.body.error);
    });

    it('GET /users/me without a token is 401 in the same envelope', async () => {
      expect(await api(server, 'GET', '/users/me')).toEqual({
        status: 401,
        body: { success: false, error: ERRORS.UNAUTHORIZED.text, code: 'UNAUTHORIZED' },
      });
    });

    it('an expired token is 401 on GET /users/me, saying so', async () => {
      const now = nowSeconds();
      const token = await signToken(claimsFor(alice.user.id, { iat: now - 600, exp: now - 5 }));
      expect(await api(server, 'GET', '/users/me', { token })).toEqual({
        status: 401,
        body: { success: false, error: TEXTS.expiredToken, code: 'UNAUTHORIZED' },
      });
    });
  });
});
