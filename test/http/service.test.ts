import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectEnvelope, expectError, newCredentials } from '../helpers/http-envelope.js';
import { api, registerUser, startServer, type TestServer } from '../helpers/server.js';
import type { Database } from '../../src/store/database.js';

/** Contract §1–2: liveness, readiness, and the error envelope for whatever a client sends. */

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

const BODY_LIMIT = 64 * 1024;
const TOO_LARGE = 'Тело запроса слишком большое';
const BAD_JSON = 'Некорректный JSON в теле запроса';
const BAD_MEDIA_TYPE = 'Неподдерживаемый тип содержимого: ожидается application/json';

/** A registration body of exactly `bytes` bytes, padded with a field the server ignores. */
function registrationOfSize(bytes: number): string {
  const credentials = newCredentials('big');
  const bare = JSON.stringify({ ...credentials, padding: '' });
  return JSON.stringify({ ...credentials, padding: 'x'.repeat(bytes - Buffer.byteLength(bare)) });
}

describe('GET /health', () => {
  it('answers 200 while the process lives', async () => {
    expect(await api(server, 'GET', '/health')).toEqual({ status: 200, body: { success: true, status: 'ok' } });
  });
});

describe('GET /ready', () => {
  it('answers 200 with the database ok', async () => {
    expect(await api(server, 'GET', '/ready')).toEqual({
      status: 200,
      body: { success: true, status: 'ready', checks: { database: 'ok' } },
    });
  });

  it('answers 503 when the database does not answer, while /health stays 200', async () => {
    const broken = await startServer();
    try {
      // Reach the store's connection (its parts share one) to take the database away under a running server.
      await (broken.app.store.users as unknown as { db: Database }).db.close();
      expect(await api(broken, 'GET', '/ready')).toEqual({
        status: 503,
        body: {
          success: false,
          error: 'Сервис временно недоступен, попробуйте позже',
          code: 'UNAVAILABLE',
          status: 'unavailable',
          checks: { database: 'down' },
        },
      });
      expect((await api(broken, 'GET', '/health')).status).toBe(200);
    } finally {
      // The database is already closed, so closing it again as part of the app may reject.
      await broken.close().catch(() => undefined);
    }
  });
});

describe('unknown routes', () => {
  it.each<[string, string, string]>([
    ['GET', '/nope?x=1', 'GET /nope'],
    ['POST', '/auth/logout', 'POST /auth/logout'],
    ['DELETE', '/chats', 'DELETE /chats'],
    ['GET', '/chats/some-id', 'GET /chats/some-id'],
    ['PUT', '/users/me', 'PUT /users/me'],
  ])('%s %s answers 404 NOT_FOUND in the envelope', async (method, path, named) => {
    const response = await api(server, method, path);
    expect(response).toEqual({
      status: 404,
      body: { success: false, error: `Маршрут не найден: ${named}`, code: 'NOT_FOUND' },
    });
  });
});

describe('request bodies', () => {
  it(`accepts a body of exactly 64 KiB (${BODY_LIMIT} bytes)`, async () => {
    const response = await api(server, 'POST', '/auth/register', { body: registrationOfSize(BODY_LIMIT) });
    expect(response.status).toBe(201);
  });

  it('refuses a body one byte over 64 KiB with 413 VALIDATION_ERROR', async () => {
    const response = await api(server, 'POST', '/auth/register', { body: registrationOfSize(BODY_LIMIT + 1) });
    expect(response).toEqual({ status: 413, body: { success: false, error: TOO_LARGE, code: 'VALIDATION_ERROR' } });
  });

  it('refuses a 1 MiB body on a protected route in the envelope', async () => {
    const alice = await registerUser(server, 'alice');
    const response = await api(server, 'POST', '/chats', {
      token: alice.token,
      body: { userIds: Array.from({ length: 30_000 }, (_, i) => `user-${i}-${'x'.repeat(20)}`) },
    });
    expect(response).toEqual({ status: 413, body: { success: false, error: TOO_LARGE, code: 'VALIDATION_ERROR' } });
  });

  it.each(['application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'refuses content-type %s with 415 VALIDATION_ERROR',
    async (contentType) => {
      const response = await api(server, 'POST', '/auth/login', {
        body: 'email=a@example.com&password=secret-password',
        headers: { 'content-type': contentType },
      });
      expect(response).toEqual({
        status: 415,
        body: { success: false, error: BAD_MEDIA_TYPE, code: 'VALIDATION_ERROR' },
      });
    },
  );

  it('answers 400 VALIDATION_ERROR for a text/plain body, which is not an object', async () => {
    const response = await api(server, 'POST', '/auth/login', {
      body: JSON.stringify({ email: 'a@example.com', password: 'secret-password' }),
      headers: { 'content-type': 'text/plain' },
    });
    expect(response).toEqual({
      status: 400,
      body: {
        success: false,
        error: expect.stringMatching(/^Некорректные данные: данные запроса/),
        code: 'VALIDATION_ERROR',
      },
    });
  });

  it.each<[string, string]>([
    ['truncated JSON', '{"email": "a@example.com"'],
    ['a bare word', 'hello'],
    ['single quotes', "{'email': 'a@example.com'}"],
    [
      '__proto__ poisoning',
      '{"__proto__": {"isAdmin": true}, "email": "a@example.com", "password": "secret-password"}',
    ],
    ['constructor poisoning', '{"constructor": {"prototype": {"isAdmin": true}}, "email": "a@example.com"}'],
  ])('answers 400 VALIDATION_ERROR for %s', async (_label, raw) => {
    const response = await api(server, 'POST', '/auth/login', { body: raw });
    expect(response).toEqual({ status: 400, body: { success: false, error: BAD_JSON, code: 'VALIDATION_ERROR' } });
  });
});

describe('malformed URLs', () => {
  it('answers 400 VALIDATION_ERROR in the envelope for broken percent-encoding in the path', async () => {
    const alice = await registerUser(server, 'alice');
    const response = await api(server, 'GET', '/chats/%E0%A4%A/messages', { token: alice.token });
    expect(response).toEqual({
      status: 400,
      body: { success: false, error: 'Некорректный URL', code: 'VALIDATION_ERROR' },
    });
  });

  it('answers 414 VALIDATION_ERROR in the envelope for a path parameter over 100 characters', async () => {
    const alice = await registerUser(server, 'alice');
    const response = await api(server, 'GET', `/chats/${'x'.repeat(150)}/messages`, { token: alice.token });
    expect(response).toEqual({
      status: 414,
      body: { success: false, error: 'Слишком длинный параметр в пути запроса', code: 'VALIDATION_ERROR' },
    });
  });
});

describe('the error envelope', () => {
  it('is sent as JSON', async () => {
    const response = await fetch(`${server.url}/users/me`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('is exactly {success: false, error, code} (plus `field` naming bad input) on every route', async () => {
    const alice = await registerUser(server, 'alice');
    const requests: Array<[string, string, Parameters<typeof api>[3]]> = [
      ['POST', '/auth/register', { body: {} }],
      ['POST', '/auth/register', { body: { ...newCredentials(), username: alice.user.username } }],
      ['POST', '/auth/register', { body: '{oops' }],
      ['POST', '/auth/login', { body: { email: alice.user.email, password: 'wrong-password' } }],
      ['POST', '/auth/login', { body: [] }],
      ['GET', '/users/me', {}],
      ['GET', '/users/me', { token: 'garbage' }],
      ['GET', '/users', { token: alice.token }],
      ['GET', '/users?search=', { token: alice.token }],
      ['POST', '/chats', { token: alice.token, body: { userIds: 'nope' } }],
      ['POST', '/chats', { token: alice.token, body: { userIds: [alice.user.id] } }],
      ['POST', '/chats', { token: alice.token, body: { userIds: ['00000000-0000-4000-8000-000000000000'] } }],
      ['POST', '/chats', { token: alice.token, body: 'x'.repeat(BODY_LIMIT + 10) }],
      ['POST', '/chats', { token: alice.token, body: '<xml/>', headers: { 'content-type': 'application/xml' } }],
      ['GET', '/chats', {}],
      ['GET', '/chats/00000000-0000-4000-8000-000000000000/messages', { token: alice.token }],
      ['GET', '/chats/whatever/messages?limit=0', { token: alice.token }],
      ['GET', '/chats/%ZZ/messages', { token: alice.token }],
      ['GET', '/missing', {}],
    ];
    for (const [method, path, options] of requests) {
      const response = await api(server, method, path, options);
      expect(response.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${method} ${path}`).toBeLessThan(500);
      expectEnvelope(response.body);
      const keys = Object.keys(response.body).sort();
      expect(
        [
          ['code', 'error', 'success'],
          ['code', 'error', 'field', 'success'],
        ],
        `${method} ${path}`,
      ).toContainEqual(keys);
    }
  });

  it('carries the status the code implies', async () => {
    const alice = await registerUser(server, 'alice');
    expectError(await api(server, 'GET', '/users/me'), 401, 'UNAUTHORIZED');
    expectError(await api(server, 'GET', '/users', { token: alice.token }), 400, 'VALIDATION_ERROR');
    expectError(await api(server, 'GET', '/chats/x/messages', { token: alice.token }), 403, 'FORBIDDEN');
    expectError(await api(server, 'GET', '/x'), 404, 'NOT_FOUND');
    expectError(
      await api(server, 'POST', '/auth/register', { body: { ...newCredentials(), email: alice.user.email } }),
      409,
      'CONFLICT',
    );
  });
});
