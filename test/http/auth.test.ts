import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, newCredentials } from '../helpers/http-envelope.js';
import { api, registerUser, startServer, type TestServer } from '../helpers/server.js';

/** Contract §2: registration and login over HTTP. */

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** No key that smells of a password or its hash, anywhere in the body, and not the password itself. */
function expectNoSecrets(body: unknown, password: string): void {
  const text = JSON.stringify(body);
  expect(text).not.toContain(password);
  expect(text).not.toMatch(/pass|hash|scrypt|argon/i);
}

describe('POST /auth/register', () => {
  it('answers 201 with success, a token and exactly {id, email, username}', async () => {
    const credentials = newCredentials('reg');
    const response = await api(server, 'POST', '/auth/register', { body: credentials });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      success: true,
      accessToken: expect.stringMatching(JWT),
      user: { id: expect.any(String), email: credentials.email, username: credentials.username },
    });
    expect(Object.keys(response.body.user).sort()).toEqual(['email', 'id', 'username']);
    expectNoSecrets(response.body, credentials.password);
  });

  it('issues a token that works on GET /users/me', async () => {
    const credentials = newCredentials('reg');
    const { body } = await api(server, 'POST', '/auth/register', { body: credentials });
    const me = await api(server, 'GET', '/users/me', { token: body.accessToken });
    expect(me).toEqual({ status: 200, body: { success: true, user: body.user } });
  });

  it('lowercases and trims the email, trims the username and keeps its case', async () => {
    const { tag, password } = newCredentials();
    const response = await api(server, 'POST', '/auth/register', {
      body: { email: `  Mixed.${tag}@Example.COM `, username: ` Mixed_${tag} `, password },
    });
    expect(response.status).toBe(201);
    expect(response.body.user.email).toBe(`mixed.${tag}@example.com`);
    expect(response.body.user.username).toBe(`Mixed_${tag}`);
  });

  it('ignores unknown fields and never lets the client choose the id', async () => {
    const credentials = newCredentials('reg');
    const response = await api(server, 'POST', '/auth/register', {
      body: { ...credentials, id: 'chosen-id', passwordHash: 'x', isAdmin: true },
    });
    expect(response.status).toBe(201);
    expect(response.body.user).toEqual({
      id: expect.any(String),
      email: credentials.email,
      username: credentials.username,
    });
    expect(response.body.user.id).not.toBe('chosen-id');
  });

  it('accepts the boundaries: password of 8 and 128 characters, username of 3 and 32', async () => {
    const a = newCredentials();
    const short = await api(server, 'POST', '/auth/register', {
      body: { email: a.email, username: `a${a.tag.slice(0, 2)}`, password: '12345678' },
    });
    expect(short.status).toBe(201);
    const b = newCredentials();
    const long = await api(server, 'POST', '/auth/register', {
      body: { email: b.email, username: `${b.tag}${'x'.repeat(22)}`, password: 'p'.repeat(128) },
    });
    expect(long.status).toBe(201);
    expect(long.body.user.username).toHaveLength(32);
    const login = await api(server, 'POST', '/auth/login', { body: { email: b.email, password: 'p'.repeat(128) } });
    expect(login.status).toBe(200);
  });

  it('refuses a duplicate email with 409 CONFLICT, whatever its case', async () => {
    const first = newCredentials('dup');
    expect((await api(server, 'POST', '/auth/register', { body: first })).status).toBe(201);
    const other = newCredentials('dup');
    const same = await api(server, 'POST', '/auth/register', { body: { ...other, email: first.email } });
    expectError(same, 409, 'CONFLICT', 'Пользователь с таким email уже существует');
    const upper = await api(server, 'POST', '/auth/register', { body: { ...other, email: first.email.toUpperCase() } });
    expectError(upper, 409, 'CONFLICT', 'Пользователь с таким email уже существует');
  });

  it('refuses a duplicate username with 409 CONFLICT, case-insensitively', async () => {
    const first = newCredentials('dup');
    expect((await api(server, 'POST', '/auth/register', { body: first })).status).toBe(201);
    const other = newCredentials('dup');
    const same = await api(server, 'POST', '/auth/register', { body: { ...other, username: first.username } });
    expectError(same, 409, 'CONFLICT', 'Пользователь с таким именем уже существует');
    const upper = await api(server, 'POST', '/auth/register', {
      body: { ...other, username: first.username.toUpperCase() },
    });
    expectError(upper, 409, 'CONFLICT', 'Пользователь с таким именем уже существует');
  });

  it('leaves the existing account untouched after a conflicting registration', async () => {
    const first = newCredentials('dup');
    const created = await api(server, 'POST', '/auth/register', { body: first });
    const stolen = await api(server, 'POST', '/auth/register', {
      body: { email: first.email, username: newCredentials().username, password: 'attacker-password' },
    });
    expect(stolen.status).toBe(409);
    const asOwner = await api(server, 'POST', '/auth/login', {
      body: { email: first.email, password: first.password },
    });
    expect(asOwner.status).toBe(200);
    expect(asOwner.body.user).toEqual(created.body.user);
    const asAttacker = await api(server, 'POST', '/auth/login', {
      body: { email: first.email, password: 'attacker-password' },
    });
    expect(asAttacker.status).toBe(401);
  });

  // Each case is a valid registration with one thing wrong; `field` is the field the error names.
  const invalid: Array<[string, (c: ReturnType<typeof newCredentials>) => unknown, string | undefined]> = [
    ['email is a number', (c) => ({ ...c, email: 42 }), 'email'],
    ['username is a number', (c) => ({ ...c, username: 12345 }), 'username'],
    ['password is a number', (c) => ({ ...c, password: 12345678 }), 'password'],
    ['password is null', (c) => ({ ...c, password: null }), 'password'],
    ['username is an object', (c) => ({ ...c, username: { $ne: '' } }), 'username'],
    ['email is missing', ({ username, password }) => ({ username, password }), 'email'],
    ['username is missing', ({ email, password }) => ({ email, password }), 'username'],
    ['password is missing', ({ email, username }) => ({ email, username }), 'password'],
    ['password has 7 characters', (c) => ({ ...c, password: '1234567' }), 'password'],
    ['password has 129 characters', (c) => ({ ...c, password: 'p'.repeat(129) }), 'password'],
    ['password contains NUL', (c) => ({ ...c, password: 'pass\u0000word' }), 'password'],
    ['username has 2 characters', (c) => ({ ...c, username: 'ab' }), 'username'],
    ['username has 33 characters', (c) => ({ ...c, username: `${c.tag}${'x'.repeat(23)}` }), 'username'],
    ['username contains a space', (c) => ({ ...c, username: `a b${c.tag}` }), 'username'],
    ['username contains @', (c) => ({ ...c, username: `a@${c.tag}` }), 'username'],
    ['email is empty', (c) => ({ ...c, email: '' }), 'email'],
    ['email has no @', (c) => ({ ...c, email: `${c.tag}.example.com` }), 'email'],
    ['email has no domain', (c) => ({ ...c, email: `${c.tag}@` }), 'email'],
    [
      'email is over 254 characters',
      (c) => ({ ...c, email: `${c.tag}${'a'.repeat(50)}@${'b'.repeat(200)}.com` }),
      'email',
    ],
    ['body is an array', (c) => [c], undefined],
    ['body is a JSON string', () => 'a string', undefined],
    ['body is JSON null', () => null, undefined],
  ];

  it.each(invalid)('answers 400 VALIDATION_ERROR when %s', async (_label, build, field) => {
    const credentials = newCredentials('bad');
    const payload = build(credentials);
    // JSON.stringify so that strings and null are sent as JSON documents, not raw text.
    const response = await api(server, 'POST', '/auth/register', { body: JSON.stringify(payload) });
    expectError(response, 400, 'VALIDATION_ERROR', /^Некорректные данные/);
    expect(response.body.field).toBe(field);
    if (field) expect(response.body.error).toContain(`«${field}»`);
    // Nothing was stored: the same email and username are still free.
    const retry = await api(server, 'POST', '/auth/register', {
      body: { email: credentials.email, username: credentials.username, password: credentials.password },
    });
    expect(retry.status).toBe(201);
  });

  it('answers 400 VALIDATION_ERROR for a body that is not JSON', async () => {
    const response = await api(server, 'POST', '/auth/register', { body: '{"email": "a@b.c",' });
    expectError(response, 400, 'VALIDATION_ERROR', 'Некорректный JSON в теле запроса');
  });

  it('answers 400 VALIDATION_ERROR for an empty JSON body', async () => {
    const response = await api(server, 'POST', '/auth/register', {
      body: '',
      headers: { 'content-type': 'application/json' },
    });
    expectError(response, 400, 'VALIDATION_ERROR', 'Пустое тело запроса');
  });

  it('answers 400 VALIDATION_ERROR when there is no body at all', async () => {
    const response = await api(server, 'POST', '/auth/register');
    expectError(response, 400, 'VALIDATION_ERROR', /^Некорректные данные: данные запроса/);
  });
});

describe('POST /auth/login', () => {
  it('logs in by email with 200 {success, accessToken, user}', async () => {
    const registered = await registerUser(server, 'login');
    const response = await api(server, 'POST', '/auth/login', {
      body: { email: registered.user.email, password: registered.password },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ success: true, accessToken: expect.stringMatching(JWT), user: registered.user });
    expectNoSecrets(response.body, registered.password);
  });

  it('logs in by username, case-insensitively', async () => {
    const registered = await registerUser(server, 'login');
    for (const username of [registered.user.username, registered.user.username.toUpperCase()]) {
      const response = await api(server, 'POST', '/auth/login', { body: { username, password: registered.password } });
      expect(response.status).toBe(200);
      expect(response.body.user).toEqual(registered.user);
    }
  });

  it('matches the email case-insensitively and ignores surrounding spaces', async () => {
    const registered = await registerUser(server, 'login');
    const response = await api(server, 'POST', '/auth/login', {
      body: { email: `  ${registered.user.email.toUpperCase()} `, password: registered.password },
    });
    expect(response.status).toBe(200);
    expect(response.body.user).toEqual(registered.user);
  });

  it('gives the same 401 for a wrong password, an unknown email and an unknown username', async () => {
    const registered = await registerUser(server, 'login');
    const wrongPassword = await api(server, 'POST', '/auth/login', {
      body: { email: registered.user.email, password: `${registered.password}x` },
    });
    const unknownEmail = await api(server, 'POST', '/auth/login', {
      body: { email: `nobody-${registered.user.id}@example.com`, password: registered.password },
    });
    const unknownUsername = await api(server, 'POST', '/auth/login', {
      body: { username: `nobody_${registered.user.id.slice(0, 8)}`, password: registered.password },
    });
    const expected = {
      status: 401,
      body: { success: false, error: 'Неверный email или пароль', code: 'UNAUTHORIZED' },
    };
    expect(wrongPassword).toEqual(expected);
    expect(unknownEmail).toEqual(expected);
    expect(unknownUsername).toEqual(expected);
  });

  it('treats the password as case-sensitive', async () => {
    const registered = await registerUser(server, 'login');
    const response = await api(server, 'POST', '/auth/login', {
      body: { email: registered.user.email, password: registered.password.toUpperCase() },
    });
    expectError(response, 401, 'UNAUTHORIZED', 'Неверный email или пароль');
  });

  it('issues a token that works on GET /users/me', async () => {
    const registered = await registerUser(server, 'login');
    const login = await api(server, 'POST', '/auth/login', {
      body: { username: registered.user.username, password: registered.password },
    });
    const me = await api(server, 'GET', '/users/me', { token: login.body.accessToken });
    expect(me).toEqual({ status: 200, body: { success: true, user: registered.user } });
  });

  it.each<[string, unknown]>([
    ['the password is missing', { email: 'someone@example.com' }],
    ['both email and username are missing', { password: 'whatever-password' }],
    ['the email is a number', { email: 42, password: 'whatever-password' }],
    ['the password is a number', { email: 'someone@example.com', password: 12345678 }],
    ['the body is an array', [{ email: 'someone@example.com', password: 'whatever-password' }]],
    ['the body is JSON null', null],
  ])('answers 400 VALIDATION_ERROR when %s', async (_label, payload) => {
    const response = await api(server, 'POST', '/auth/login', { body: JSON.stringify(payload) });
    expectError(response, 400, 'VALIDATION_ERROR', /^Некорректные данные/);
  });

  // PostgreSQL cannot compare such text at all: refused before any lookup, never a 500.
  it.each<[string, unknown, string]>([
    ['the email holds a NUL', { email: 'nul\u0000@example.com', password: 'whatever-password' }, 'email'],
    ['the username holds a NUL', { username: 'nul\u0000name', password: 'whatever-password' }, 'username'],
    ['the username holds a lone surrogate', { username: 'half\ud83d', password: 'whatever-password' }, 'username'],
    ['the password holds a NUL', { email: 'someone@example.com', password: 'whatever\u0000password' }, 'password'],
  ])('answers 400 VALIDATION_ERROR, not 500, when %s', async (_label, payload, field) => {
    const response = await api(server, 'POST', '/auth/login', { body: JSON.stringify(payload) });
    expectError(response, 400, 'VALIDATION_ERROR', /^Некорректные данные/);
    expect(response.body.field).toBe(field);
  });

  it('answers 400 VALIDATION_ERROR for a body that is not JSON', async () => {
    const response = await api(server, 'POST', '/auth/login', {
      body: 'email=a@b.c&password=x',
      headers: { 'content-type': 'application/json' },
    });
    expectError(response, 400, 'VALIDATION_ERROR', 'Некорректный JSON в теле запроса');
  });
});
