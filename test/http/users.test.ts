import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, freshTag } from '../helpers/http-envelope.js';
import { api, registerUser, startServer, TEST_JWT_SECRET, type TestServer, type TestUser } from '../helpers/server.js';

/** Contract §2: who am I, and finding other users to chat with. */

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

const UNAUTHORIZED = { success: false, error: 'Требуется авторизация', code: 'UNAUTHORIZED' };
const INVALID_TOKEN = { success: false, error: 'Недействительный токен', code: 'UNAUTHORIZED' };

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function sign(
  claims: Record<string, unknown>,
  options: { secret?: string; alg?: string; expiresIn?: string | number | null } = {},
): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' }).setIssuedAt();
  const expiresIn = options.expiresIn === undefined ? '1h' : options.expiresIn;
  if (expiresIn !== null) jwt = jwt.setExpirationTime(expiresIn);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

/** Registers a user with a chosen username and email, both of which must be unique. */
async function registerAs(username: string, email: string): Promise<TestUser> {
  const password = `pw-${randomUUID()}`;
  const { status, body } = await api(server, 'POST', '/auth/register', { body: { email, username, password } });
  if (status !== 201) throw new Error(`register failed: ${status} ${JSON.stringify(body)}`);
  return { user: body.user, token: body.accessToken, password };
}

async function search(caller: TestUser, term: string) {
  return api(server, 'GET', `/users?search=${encodeURIComponent(term)}`, { token: caller.token });
}

describe('GET /users/me', () => {
  it('answers 200 with exactly the caller', async () => {
    const alice = await registerUser(server, 'me');
    const response = await api(server, 'GET', '/users/me', { token: alice.token });
    expect(response).toEqual({ status: 200, body: { success: true, user: alice.user } });
    expect(Object.keys(response.body.user).sort()).toEqual(['email', 'id', 'username']);
  });

  it('accepts the scheme name in any case', async () => {
    const alice = await registerUser(server, 'me');
    const response = await api(server, 'GET', '/users/me', { headers: { authorization: `bearer ${alice.token}` } });
    expect(response).toEqual({ status: 200, body: { success: true, user: alice.user } });
  });

  it('answers 401 without a token', async () => {
    expect(await api(server, 'GET', '/users/me')).toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it('answers 401 with an empty Bearer header', async () => {
    // fetch trims the value to "Bearer", which the server reads as a (bad) token.
    const response = await api(server, 'GET', '/users/me', { headers: { authorization: 'Bearer ' } });
    expectError(response, 401, 'UNAUTHORIZED');
  });

  it('answers 401 with a garbage token', async () => {
    const response = await api(server, 'GET', '/users/me', { token: 'not.a.jwt' });
    expect(response).toEqual({ status: 401, body: INVALID_TOKEN });
  });

  it('answers 401 with a token signed with another secret', async () => {
    const alice = await registerUser(server, 'me');
    const forged = await sign({ sub: alice.user.id }, { secret: 'another-secret-that-is-long-enough-for-hs256' });
    expect(await api(server, 'GET', '/users/me', { token: forged })).toEqual({ status: 401, body: INVALID_TOKEN });
  });

  it('answers 401 with an unsigned alg:none token', async () => {
    const alice = await registerUser(server, 'me');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: alice.user.id, iat: now, exp: now + 3600 })}.`;
    expect(await api(server, 'GET', '/users/me', { token: unsigned })).toEqual({ status: 401, body: INVALID_TOKEN });
  });

  it('answers 401 with a token of another HMAC algorithm, even with the right secret', async () => {
    const alice = await registerUser(server, 'me');
    const hs512 = await sign({ sub: alice.user.id }, { alg: 'HS512' });
    expect(await api(server, 'GET', '/users/me', { token: hs512 })).toEqual({ status: 401, body: INVALID_TOKEN });
  });

  it('answers 401 with a token whose signature was tampered with', async () => {
    const alice = await registerUser(server, 'me');
    const bob = await registerUser(server, 'me');
    // Alice's signature on a payload that names Bob.
    const [header, , signature] = alice.token.split('.');
    const [, bobPayload] = bob.token.split('.');
    const spliced = `${header}.${bobPayload}.${signature}`;
    expect(await api(server, 'GET', '/users/me', { token: spliced })).toEqual({ status: 401, body: INVALID_TOKEN });
  });

  it('answers 401 with an expired token, saying so', async () => {
    const alice = await registerUser(server, 'me');
    const expired = await sign({ sub: alice.user.id }, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const response = await api(server, 'GET', '/users/me', { token: expired });
    expect(response).toEqual({
      status: 401,
      body: { success: false, error: 'Срок действия токена истёк', code: 'UNAUTHORIZED' },
    });
  });

  it('answers 401 with a token without exp', async () => {
    const alice = await registerUser(server, 'me');
    const eternal = await sign({ sub: alice.user.id }, { expiresIn: null });
    expect(await api(server, 'GET', '/users/me', { token: eternal })).toEqual({ status: 401, body: INVALID_TOKEN });
  });

  it('answers 401 with a valid token whose user does not exist', async () => {
    const ghost = await sign({ sub: randomUUID() });
    const response = await api(server, 'GET', '/users/me', { token: ghost });
    expect(response).toEqual({
      status: 401,
      body: { success: false, error: 'Пользователь не найден', code: 'UNAUTHORIZED' },
    });
  });

  it('answers 401 once the user has been deleted', async () => {
    const alice = await registerUser(server, 'me');
    await server.app.store.users.deleteAccount(alice.user.id);
    const response = await api(server, 'GET', '/users/me', { token: alice.token });
    expectError(response, 401, 'UNAUTHORIZED', 'Пользователь не найден');
  });

  it('accepts a token that names the user in `userId` instead of `sub`', async () => {
    const alice = await registerUser(server, 'me');
    const token = await sign({ userId: alice.user.id });
    expect(await api(server, 'GET', '/users/me', { token })).toEqual({
      status: 200,
      body: { success: true, user: alice.user },
    });
  });
});

describe('GET /users?search=', () => {
  it('finds users by username prefix, answering exactly {id, email, username} each', async () => {
    const tag = freshTag();
    const caller = await registerUser(server, 'caller');
    const match = await registerAs(`${tag}_match`, `m-${tag}@example.com`);
    await registerAs(`x${tag}_infix`, `i-${tag}@example.com`); // contains the tag, does not start with it
    const response = await search(caller, tag);
    expect(response).toEqual({ status: 200, body: { success: true, users: [match.user] } });
  });

  it('finds a user by their whole email, in any case, but never by a part of it: addresses cannot be crawled by prefix', async () => {
    const tag = freshTag();
    const caller = await registerUser(server, 'caller');
    const match = await registerAs(`e_${tag}`, `${tag}.someone@example.com`);
    expect(await search(caller, `${tag}.someone@example.com`)).toEqual({
      status: 200,
      body: { success: true, users: [match.user] },
    });
    expect(await search(caller, `${tag}.SomeOne@Example.COM`)).toEqual({
      status: 200,
      body: { success: true, users: [match.user] },
    });
    for (const part of [
      tag,
      `${tag}.some`,
      `${tag}.someone@`,
      `${tag}.someone@example.co`,
      '@example.com',
      `${tag}.someone@example.com.`,
    ]) {
      expect(await search(caller, part), part).toEqual({ status: 200, body: { success: true, users: [] } });
    }
  });

  it('matches usernames case-insensitively', async () => {
    const tag = freshTag();
    const caller = await registerUser(server, 'caller');
    const byName = await registerAs(`${tag}_Name`, `n-${tag}@example.com`);
    await registerAs(`m_${tag}`, `${tag}.mail@example.com`); // only its email starts with the tag
    const response = await search(caller, tag.toUpperCase());
    expect(response).toEqual({ status: 200, body: { success: true, users: [byName.user] } });
  });

  it('trims the search term', async () => {
    const tag = freshTag();
    const caller = await registerUser(server, 'caller');
    const match = await registerAs(`${tag}_trim`, `t-${tag}@example.com`);
    const response = await search(caller, `  ${tag}  `);
    expect(response).toEqual({ status: 200, body: { success: true, users: [match.user] } });
  });

  it('excludes the caller', async () => {
    const tag = freshTag();
    const caller = await registerAs(`${tag}_self`, `${tag}.self@example.com`);
    const other = await registerAs(`${tag}_other`, `o-${tag}@example.com`);
    const response = await search(caller, tag);
    expect(response).toEqual({ status: 200, body: { success: true, users: [other.user] } });
  });

  it('answers at most 20 users', async () => {
    const tag = freshTag();
    const caller = await registerUser(server, 'caller');
    await Promise.all(Array.from({ length: 22 }, (_, i) => registerAs(`${tag}_${i}`, `l${i}-${tag}@example.com`)));
    const response = await search(caller, tag);
    expect(response.status).toBe(200);
    expect(response.body.users).toHaveLength(20);
    expect(new Set(response.body.users.map((u: { id: string }) => u.id)).size).toBe(20);
    for (const user of response.body.users) expect(user.username.startsWith(`${tag}_`)).toBe(true);
  });

  it('matches `%` literally, not as a wildcard', async () => {
    const tag = freshTag();
    const caller = await registerUser(server, 'caller');
    await registerAs(`${tag}_pct`, `p-${tag}@example.com`);
    // Other users exist, so a wildcard would find them.
    expect((await search(caller, tag)).body.users).toHaveLength(1);
    expect(await search(caller, '%')).toEqual({ status: 200, body: { success: true, users: [] } });
    expect(await search(caller, `${tag.slice(0, 4)}%`)).toEqual({ status: 200, body: { success: true, users: [] } });
  });

  it('matches `_` literally, not as a wildcard', async () => {
    const tag = freshTag();
    const caller = await registerUser(server, 'caller');
    const underscored = await registerAs(`${tag}_u`, `u-${tag}@example.com`);
    await registerAs(`${tag}xu`, `x-${tag}@example.com`); // `_` as a wildcard would match this `x`
    expect(await search(caller, `${tag}_`)).toEqual({
      status: 200,
      body: { success: true, users: [underscored.user] },
    });
    expect(await search(caller, '_')).toEqual({ status: 200, body: { success: true, users: [] } });
  });

  it('matches a backslash literally', async () => {
    const tag = freshTag();
    const caller = await registerUser(server, 'caller');
    await registerAs(`${tag}_bs`, `b-${tag}@example.com`);
    expect(await search(caller, `${tag}\\`)).toEqual({ status: 200, body: { success: true, users: [] } });
  });

  it('answers 400 VALIDATION_ERROR without `search`', async () => {
    const caller = await registerUser(server, 'caller');
    const response = await api(server, 'GET', '/users', { token: caller.token });
    expectError(response, 400, 'VALIDATION_ERROR', /«search»/);
    expect(response.body.field).toBe('search');
  });

  it.each<[string, string]>([
    ['empty', 'search='],
    ['blank', 'search=%20%20%20'],
    ['over 100 characters', `search=${'a'.repeat(101)}`],
    ['repeated', 'search=ab&search=cd'],
    ['containing NUL', 'search=a%00b'],
  ])('answers 400 VALIDATION_ERROR when `search` is %s', async (_label, query) => {
    const caller = await registerUser(server, 'caller');
    const response = await api(server, 'GET', `/users?${query}`, { token: caller.token });
    expectError(response, 400, 'VALIDATION_ERROR', /«search»/);
    expect(response.body.field).toBe('search');
  });

  it('answers 401 without a token', async () => {
    expect(await api(server, 'GET', '/users?search=ab')).toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it('answers 401 with a garbage token, before looking at the query', async () => {
    expect(await api(server, 'GET', '/users', { token: 'garbage' })).toEqual({ status: 401, body: INVALID_TOKEN });
  });
});
