import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SignJWT,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, TEXTS } from '../../src/errors.js';
import { expectRefused, expectRussianText, nowSeconds, signToken, unsignedToken } from '../helpers/auth-tokens.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';
import {
  api,
  ask,
  closeSockets,
  connect,
  createChat,
  registerUser,
  startServer,
  type TestServer,
  type TestUser,
} from '../helpers/server.js';

/**
 * Contract §1–§2, issue 5 item 4: tokens from an external identity provider (JWT_PUBLIC_KEY or
 * JWKS_URL), users created from their claims on first sight. Every key pair and the JWKS are made
 * and served by this file.
 */

const ISSUER = 'https://id.example.test';
const AUDIENCE = 'parley-test';

type KeyPair = { privateKey: CryptoKey; publicKey: CryptoKey };

/** Claims an identity provider would send for `sub`, valid for ten minutes. */
function providerClaims(sub: string, extra: Record<string, unknown> = {}): JWTPayload & Record<string, unknown> {
  const now = nowSeconds();
  return { sub, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 600, ...extra };
}

function providerSign(
  claims: JWTPayload & Record<string, unknown>,
  key: CryptoKey,
  alg: string,
  kid?: string,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) }).sign(key);
}

/** A fresh subject with a unique email and username, as a provider would describe its user. */
function newIdentity(prefix = 'ext') {
  const tag = randomUUID().slice(0, 8);
  return {
    sub: `idp|${randomUUID()}`,
    email: `${prefix.toLowerCase()}-${tag}@idp.example`,
    preferred_username: `${prefix}_${tag}`,
  };
}

/** The token must be refused on HTTP (401 UNAUTHORIZED) and at the handshake, with `text`. */
async function expectRefusedEverywhere(
  server: TestServer,
  token: string,
  text: string = TEXTS.invalidToken,
): Promise<void> {
  const { status, body } = await api(server, 'GET', '/users/me', { token });
  expect(status).toBe(401);
  expect(body).toEqual({ success: false, error: text, code: 'UNAUTHORIZED' });
  expect((await expectRefused(server, token)).message).toBe(text);
  expect((await expectRefused(server, token, 'header')).message).toBe(text);
}

/** The token's user, through GET /users/me. */
async function me(server: TestServer, token: string) {
  const { status, body } = await api(server, 'GET', '/users/me', { token });
  expect(status, JSON.stringify(body)).toBe(200);
  return body.user as { id: string; email: string; username: string };
}

/** Users whose username or email starts with `prefix` (what a search from `viewer` sees). */
async function search(server: TestServer, viewer: TestUser, prefix: string) {
  const { body } = await api(server, 'GET', `/users?search=${encodeURIComponent(prefix)}`, { token: viewer.token });
  return body.users as { id: string }[];
}

describe.each(storeTargets)('external identity provider, JWT_PUBLIC_KEY (RS256) on $name', (target) => {
  let server: TestServer;
  let rsa: KeyPair;
  let publicPem: string;
  let alice: TestUser;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    publicPem = await exportSPKI(rsa.publicKey);
    // JWT_SECRET stays set (startServer's default): this server issues its own tokens too.
    server = await startServer({
      ...serverEnvFor(target.name),
      JWT_PUBLIC_KEY: publicPem,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      MODERATOR_ROLE_CLAIM: 'realm_access.roles',
      MODERATOR_ROLE_VALUE: 'chat-moderator',
    });
    alice = await registerUser(server, 'alice');
  });
  afterAll(async () => {
    closeSockets();
    await server.close();
  });

  const sign = (claims: JWTPayload & Record<string, unknown>) => providerSign(claims, rsa.privateKey, 'RS256');

  it('a token carrying the moderators’ role (MODERATOR_ROLE_CLAIM, a dotted path) makes its user a moderator, per token', async () => {
    const identity = newIdentity('mod');
    const audit = async (roles: unknown) =>
      (
        await api(server, 'GET', '/moderation/audit', {
          token: await sign(providerClaims(identity.sub, { ...identity, realm_access: { roles } })),
        })
      ).status;
    expect(await audit(['user', 'chat-moderator'])).toBe(200);
    expect(await audit('chat-moderator')).toBe(200);
    expect(await audit(['user'])).toBe(403);
    expect(await audit('chat-moderator-not')).toBe(403);
    // The same user with a token of this server: not a moderator.
    expect((await api(server, 'GET', '/moderation/audit', { token: alice.token })).status).toBe(403);
  });

  it('an email claim is stored lower-cased, as registration stores it', async () => {
    const identity = newIdentity('mixed');
    const user = await me(
      server,
      await sign(providerClaims(identity.sub, { ...identity, email: identity.email.toUpperCase() })),
    );
    expect(user.email).toBe(identity.email);
  });

  it('the first HTTP call creates the user from the claims; later tokens map to the same user', async () => {
    const identity = newIdentity();
    const first = await me(server, await sign(providerClaims(identity.sub, identity)));
    expect(first).toEqual({ id: expect.any(String), email: identity.email, username: identity.preferred_username });
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(first.id).not.toBe(identity.sub);
    // A later token (other claims, even other email) is still the same user, unchanged.
    const later = await me(
      server,
      await sign(providerClaims(identity.sub, { email: 'changed@idp.example', iat: nowSeconds() - 1 })),
    );
    expect(later).toEqual(first);
  });

  it('the first handshake creates the user; a second connect is the same user (it sees its chats)', async () => {
    const identity = newIdentity('sock');
    const socket = await connect(server, await sign(providerClaims(identity.sub, identity)));
    expect(await ask(socket, 'get_my_chats')).toEqual({ success: true, chats: [] });
    socket.close();

    const user = await me(server, await sign(providerClaims(identity.sub)));
    expect(user).toMatchObject({ email: identity.email, username: identity.preferred_username });
    const chatId = await createChat(server, alice, [{ user, token: '', password: '' }], 'with the provider user');

    const again = await connect(server, await sign(providerClaims(identity.sub)), { via: 'header' });
    const { chats } = await ask(again, 'get_my_chats');
    expect(chats.map((chat: { id: string }) => chat.id)).toEqual([chatId]);
    again.close();
  });

  it('concurrent first connects of one subject (handshakes and HTTP) create exactly one user', async () => {
    const identity = newIdentity('race');
    const tokens = await Promise.all(Array.from({ length: 12 }, () => sign(providerClaims(identity.sub, identity))));
    const [sockets, users] = await Promise.all([
      Promise.all(tokens.slice(0, 6).map((token) => connect(server, token))),
      Promise.all(tokens.slice(6).map((token) => me(server, token))),
    ]);
    expect(new Set(users.map((user) => user.id)).size).toBe(1);
    expect(users[0]).toMatchObject({ email: identity.email, username: identity.preferred_username });
    for (const socket of sockets) socket.close();
    // No stray second account under a derived name.
    expect(await search(server, alice, identity.preferred_username)).toEqual([users[0]]);
  });

  it('`id` and `userId` claims stand in for a missing sub', async () => {
    for (const claim of ['id', 'userId']) {
      const identity = newIdentity(claim);
      const claims = providerClaims('', identity);
      delete claims.sub;
      const first = await me(server, await sign({ ...claims, [claim]: identity.sub }));
      expect(first).toMatchObject({ email: identity.email, username: identity.preferred_username });
      const { sub: _sub, ...noSub } = providerClaims('');
      expect(await me(server, await sign({ ...noSub, [claim]: identity.sub }))).toEqual(first);
    }
  });

  it('`username` is used when there is no `preferred_username`', async () => {
    const identity = newIdentity('plain');
    const user = await me(
      server,
      await sign(providerClaims(identity.sub, { email: identity.email, username: identity.preferred_username })),
    );
    expect(user.username).toBe(identity.preferred_username);
  });

  it('a missing, invalid or taken username is derived into a unique valid one', async () => {
    const usernames = new Set<string>();
    const cases: Record<string, unknown>[] = [
      {}, // neither name claim: from the email's local part
      { preferred_username: 'x' }, // too short: from the email
      { preferred_username: 'Имя Фамилия <script>' }, // invalid characters dropped
      { preferred_username: alice.user.username }, // taken by a local user
      { preferred_username: alice.user.username.toUpperCase() }, // taken, whatever the case
    ];
    for (const extra of cases) {
      const identity = newIdentity('derive');
      const user = await me(server, await sign(providerClaims(identity.sub, { email: identity.email, ...extra })));
      expect(user.username).toMatch(/^[\p{L}\p{N}_.-]{3,32}$/u);
      expect(user.username.toLowerCase()).not.toBe(alice.user.username.toLowerCase());
      usernames.add(user.username.toLowerCase());
    }
    expect(usernames.size).toBe(cases.length);
    // Neither email nor any name claim: still a user.
    const bare = await me(server, await sign(providerClaims(`idp|${randomUUID()}`)));
    expect(bare.username).toMatch(/^user_[0-9a-f]{10}$/);
    expect(bare.email).toMatch(/^[0-9a-f]{24}@external\.invalid$/);
  });

  it('an email taken by a local account is not linked to it: the new user gets a placeholder address', async () => {
    const identity = newIdentity('takeover');
    const user = await me(
      server,
      await sign(providerClaims(identity.sub, { ...identity, email: alice.user.email.toUpperCase() })),
    );
    expect(user.id).not.toBe(alice.user.id);
    expect(user.email).toMatch(/@external\.invalid$/);
    expect(user.username).toBe(identity.preferred_username);
  });

  it('this server’s own HS256 tokens keep working alongside the provider’s', async () => {
    expect(await me(server, alice.token)).toEqual(alice.user);
    const socket = await connect(server, alice.token);
    expect(socket.connected).toBe(true);
    socket.close();
  });

  describe('refuses on the handshake and on HTTP', () => {
    it('a wrong issuer, or none', async () => {
      await expectRefusedEverywhere(server, await sign(providerClaims(randomUUID(), { iss: 'https://evil.example' })));
      const { iss: _iss, ...noIssuer } = providerClaims(randomUUID());
      await expectRefusedEverywhere(server, await sign(noIssuer));
    });

    it('a wrong audience, or none', async () => {
      await expectRefusedEverywhere(server, await sign(providerClaims(randomUUID(), { aud: 'someone-else' })));
      const { aud: _aud, ...noAudience } = providerClaims(randomUUID());
      await expectRefusedEverywhere(server, await sign(noAudience));
    });

    it('an expired token, saying that it expired', async () => {
      const now = nowSeconds();
      await expectRefusedEverywhere(
        server,
        await sign(providerClaims(randomUUID(), { iat: now - 7200, exp: now - 60 })),
        TEXTS.expiredToken,
      );
    });

    it('a token without exp', async () => {
      const { exp: _exp, ...noExpiry } = providerClaims(randomUUID());
      await expectRefusedEverywhere(server, await sign(noExpiry));
    });

    it('a token not valid yet', async () => {
      await expectRefusedEverywhere(server, await sign(providerClaims(randomUUID(), { nbf: nowSeconds() + 600 })));
    });

    it('an unsigned `alg: none` token', async () => {
      await expectRefusedEverywhere(server, unsignedToken(providerClaims(randomUUID())));
    });

    it('HS256 "signed" with the provider’s PEM public key as the HMAC secret (key confusion)', async () => {
      const identity = newIdentity('confused');
      for (const secret of [publicPem, publicPem.trim(), `${publicPem.trim()}\n`]) {
        const token = await signToken(providerClaims(identity.sub, identity), {
          key: new TextEncoder().encode(secret),
        });
        await expectRefusedEverywhere(server, token);
      }
      expect(await search(server, alice, identity.preferred_username)).toEqual([]);
    });

    it('a token signed by another key pair', async () => {
      const other = await generateKeyPair('RS256');
      await expectRefusedEverywhere(
        server,
        await providerSign(providerClaims(randomUUID()), other.privateKey, 'RS256'),
      );
    });

    it('an algorithm other than the key’s own (RS384, PS256 with the right RSA key; ES256 and EdDSA)', async () => {
      const privatePem = await exportPKCS8(rsa.privateKey);
      for (const alg of ['RS384', 'PS256']) {
        const sameKey = await importPKCS8(privatePem, alg);
        await expectRefusedEverywhere(server, await providerSign(providerClaims(randomUUID()), sameKey, alg));
      }
      const ec = await generateKeyPair('ES256');
      await expectRefusedEverywhere(server, await providerSign(providerClaims(randomUUID()), ec.privateKey, 'ES256'));
      const ed = await generateKeyPair('EdDSA');
      await expectRefusedEverywhere(server, await providerSign(providerClaims(randomUUID()), ed.privateKey, 'EdDSA'));
    });

    it('a forged payload under a real signature', async () => {
      const [header, , signature] = (await sign(providerClaims(randomUUID()))).split('.');
      const forged = Buffer.from(JSON.stringify(providerClaims(randomUUID()))).toString('base64url');
      await expectRefusedEverywhere(server, `${header}.${forged}.${signature}`);
    });

    it('a subject, email or name that no database can store (NUL, lone surrogate): 401, not 500', async () => {
      const identity = newIdentity('unstorable');
      for (const claims of [
        providerClaims(identity.sub, { ...identity, sub: `${identity.sub}\u0000` }),
        providerClaims(identity.sub, { ...identity, sub: `${identity.sub}\ud800` }),
        providerClaims(identity.sub, { ...identity, email: `nul\u0000${identity.email}` }),
        providerClaims(identity.sub, { ...identity, preferred_username: `nul\u0000${identity.preferred_username}` }),
      ]) {
        await expectRefusedEverywhere(server, await sign(claims));
      }
      // Nothing was created: the subject's first good token makes its user now.
      expect(await search(server, alice, identity.preferred_username)).toEqual([]);
      expect(await me(server, await sign(providerClaims(identity.sub, identity)))).toMatchObject({
        email: identity.email,
      });
    });
  });
});

describe('external identity provider, JWT_PUBLIC_KEY (EdDSA, one line with \\n escapes) and no JWT_SECRET', () => {
  let server: TestServer;
  let ed: KeyPair;

  beforeAll(async () => {
    ed = await generateKeyPair('EdDSA', { extractable: true });
    const oneLine = (await exportSPKI(ed.publicKey)).trim().replace(/\n/g, '\\n');
    server = await startServer({ JWT_SECRET: undefined, JWT_PUBLIC_KEY: oneLine, JWT_AUDIENCE: '*' });
  });
  afterAll(async () => {
    closeSockets();
    await server.close();
  });

  it('accepts the provider’s EdDSA tokens of any audience or none (JWT_AUDIENCE=*, no JWT_ISSUER)', async () => {
    const identity = newIdentity('ed');
    const now = nowSeconds();
    const token = await providerSign(
      { sub: identity.sub, email: identity.email, preferred_username: identity.preferred_username, exp: now + 600 },
      ed.privateKey,
      'EdDSA',
    );
    expect(await me(server, token)).toMatchObject({ email: identity.email, username: identity.preferred_username });
    const forAnotherApp = await providerSign(
      { sub: identity.sub, aud: 'another-app', exp: now + 600 },
      ed.privateKey,
      'EdDSA',
    );
    expect(await me(server, forAnotherApp)).toMatchObject({ email: identity.email });
    const socket = await connect(server, token);
    expect(await ask(socket, 'get_my_chats')).toEqual({ success: true, chats: [] });
    socket.close();
  });

  it('issues no tokens: password registration and login answer 403 with a clear error', async () => {
    const register = await api(server, 'POST', '/auth/register', {
      body: { email: 'local@example.com', username: 'local_user', password: 'a-long-password' },
    });
    expect(register.status).toBe(403);
    expect(register.body).toEqual({ success: false, error: TEXTS.passwordLoginDisabled, code: 'FORBIDDEN' });
    expectRussianText(register.body.error.replace(/[^а-яёА-ЯЁ ,:]/g, ''));
    const login = await api(server, 'POST', '/auth/login', {
      body: { email: 'local@example.com', password: 'a-long-password' },
    });
    expect(login.status).toBe(403);
    expect(login.body.code).toBe('FORBIDDEN');
  });

  it('refuses every HS256 token: there is no secret, and the public key is never an HMAC key', async () => {
    const identity = newIdentity('hs');
    const pem = await exportSPKI(ed.publicKey);
    await expectRefusedEverywhere(
      server,
      await signToken(providerClaims(identity.sub), { key: new TextEncoder().encode(pem) }),
    );
    await expectRefusedEverywhere(server, await signToken(providerClaims(identity.sub)));
  });
});

/** A JWKS endpoint on 127.0.0.1 that counts its requests; `status` other than 200 simulates an outage. */
async function serveJwks(
  keys: object[],
): Promise<{ url: string; requests: () => number; server: Server; status: { code: number } }> {
  let requests = 0;
  const status = { code: 200 };
  const server = createServer((request, response) => {
    requests++;
    if (request.url !== '/.well-known/jwks.json' || status.code !== 200) {
      response.writeHead(status.code === 200 ? 404 : status.code).end('unavailable');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, requests: () => requests, server, status };
}

const closeHttp = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('external identity provider, JWKS_URL served by the test', () => {
  let server: TestServer;
  let jwks: Awaited<ReturnType<typeof serveJwks>>;
  let rsa: KeyPair;
  let ec: KeyPair;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    jwks = await serveJwks([
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ]);
    server = await startServer({ JWKS_URL: jwks.url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });
  });
  afterAll(async () => {
    closeSockets();
    await server.close();
    await closeHttp(jwks.server);
  });

  it('accepts RS256 and ES256 tokens whose kid the JWKS holds, creating the user once', async () => {
    const identity = newIdentity('jwks');
    const first = await me(
      server,
      await providerSign(providerClaims(identity.sub, identity), rsa.privateKey, 'RS256', 'rsa-1'),
    );
    expect(first).toMatchObject({ email: identity.email, username: identity.preferred_username });
    const socket = await connect(
      server,
      await providerSign(providerClaims(identity.sub), ec.privateKey, 'ES256', 'ec-1'),
    );
    expect(await ask(socket, 'get_my_chats')).toEqual({ success: true, chats: [] });
    socket.close();
    expect(await me(server, await providerSign(providerClaims(identity.sub), ec.privateKey, 'ES256', 'ec-1'))).toEqual(
      first,
    );
    // jose caches the key set: not one fetch per token.
    expect(jwks.requests()).toBeLessThanOrEqual(2);
  });

  it('own HS256 tokens keep working (JWT_SECRET is set)', async () => {
    const local = await registerUser(server, 'local');
    expect(await me(server, local.token)).toEqual(local.user);
  });

  describe('refuses on the handshake and on HTTP', () => {
    it('a token signed by another key pair under a known kid, and under an unknown kid', async () => {
      const other = await generateKeyPair('RS256');
      await expectRefusedEverywhere(
        server,
        await providerSign(providerClaims(randomUUID()), other.privateKey, 'RS256', 'rsa-1'),
      );
      await expectRefusedEverywhere(
        server,
        await providerSign(providerClaims(randomUUID()), other.privateKey, 'RS256', 'nope'),
      );
    });

    it('a kid used with another algorithm than its key’s', async () => {
      await expectRefusedEverywhere(
        server,
        await providerSign(providerClaims(randomUUID()), rsa.privateKey, 'RS256', 'ec-1'),
      );
    });

    it('wrong iss, wrong aud, expired', async () => {
      const rs = (claims: JWTPayload & Record<string, unknown>) =>
        providerSign(claims, rsa.privateKey, 'RS256', 'rsa-1');
      await expectRefusedEverywhere(server, await rs(providerClaims(randomUUID(), { iss: 'https://evil.example' })));
      await expectRefusedEverywhere(server, await rs(providerClaims(randomUUID(), { aud: 'other' })));
      const now = nowSeconds();
      await expectRefusedEverywhere(
        server,
        await rs(providerClaims(randomUUID(), { iat: now - 900, exp: now - 30 })),
        TEXTS.expiredToken,
      );
    });

    it('alg none, and HS256 keyed with a JWK’s modulus or its JSON', async () => {
      await expectRefusedEverywhere(server, unsignedToken(providerClaims(randomUUID())));
      const jwk = await exportJWK(rsa.publicKey);
      for (const secret of [JSON.stringify(jwk), jwk.n!]) {
        await expectRefusedEverywhere(
          server,
          await signToken(providerClaims(randomUUID()), { key: new TextEncoder().encode(secret) }),
        );
      }
    });
  });
});

describe('external identity provider, JWKS that is down', () => {
  /** The JWKS cannot be reached: the token may be good, so the answer is UNAVAILABLE (retry), not UNAUTHORIZED. */
  async function expectUnavailable(server: TestServer, token: string): Promise<void> {
    const { status, body } = await api(server, 'GET', '/users/me', { token });
    expect(status).toBe(503);
    expect(body).toEqual({ success: false, error: ERRORS.UNAVAILABLE.text, code: 'UNAVAILABLE' });
    const refusal = await connect(server, token).then(
      (socket) => {
        socket.close();
        throw new Error('the handshake was accepted');
      },
      (error: Error & { data?: unknown }) => error,
    );
    expect(refusal.data).toEqual({ code: 'UNAVAILABLE' });
    expect(refusal.message).toBe(ERRORS.UNAVAILABLE.text);
  }

  it('nothing listening at JWKS_URL: UNAVAILABLE on HTTP (503) and at the handshake; the server carries on', async () => {
    const gone = await serveJwks([]);
    await closeHttp(gone.server);
    const server = await startServer({ JWKS_URL: gone.url, JWT_AUDIENCE: AUDIENCE });
    try {
      const key = await generateKeyPair('RS256');
      await expectUnavailable(server, await providerSign(providerClaims(randomUUID()), key.privateKey, 'RS256', 'k'));
      // Local accounts are unaffected.
      const local = await registerUser(server, 'local');
      expect(await me(server, local.token)).toEqual(local.user);
      // Garbage is still plainly invalid: no JWKS needed to refuse it.
      await expectRefusedEverywhere(server, 'not-a-jwt');
      await expectRefusedEverywhere(server, unsignedToken(providerClaims(randomUUID())));
    } finally {
      closeSockets();
      await server.close();
    }
  });

  it('a JWKS answering 503, then recovering: UNAVAILABLE, then accepted', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const jwks = await serveJwks([{ ...(await exportJWK(rsa.publicKey)), kid: 'k', alg: 'RS256' }]);
    jwks.status.code = 503;
    const server = await startServer({ JWKS_URL: jwks.url, JWT_AUDIENCE: AUDIENCE });
    try {
      const identity = newIdentity('recover');
      const token = await providerSign(providerClaims(identity.sub, identity), rsa.privateKey, 'RS256', 'k');
      await expectUnavailable(server, token);
      jwks.status.code = 200;
      expect(await me(server, token)).toMatchObject({ email: identity.email });
    } finally {
      closeSockets();
      await server.close();
      await closeHttp(jwks.server);
    }
  });
});
