import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io as connectClient } from 'socket.io-client';
import { ORIGIN_REFUSED_TEXT } from '../../src/limits/origins.js';
import { expectError } from '../helpers/http-envelope.js';
import { api, ask, registerUser, startServer, type TestServer, type TestUser } from '../helpers/server.js';

/** Issue 5 §1: with CORS_ORIGINS set, other origins are refused (cross-site WebSocket hijacking). */
const ALLOWED = 'https://chat.example.com';
const EVIL = 'https://evil.example.net';

/** Connects over WebSocket sending `origin` (as a browser would); resolves or rejects like connect(). */
function connectFrom(server: TestServer, token: string, origin: string | undefined) {
  const socket = connectClient(server.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { token },
    ...(origin ? { extraHeaders: { origin } } : {}),
  });
  return new Promise<typeof socket>((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  }).finally(() => setTimeout(() => socket.close(), 2_000).unref());
}

describe('CORS_ORIGINS set', () => {
  let server: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    server = await startServer({ CORS_ORIGINS: `${ALLOWED}, http://localhost:3000` });
    user = await registerUser(server, 'origin');
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses a WebSocket handshake from another origin, even with a valid token', async () => {
    await expect(connectFrom(server, user.token, EVIL)).rejects.toMatchObject({
      message: ORIGIN_REFUSED_TEXT,
      data: { code: 'FORBIDDEN' },
    });
  });

  it('accepts the listed origins and clients that send no Origin', async () => {
    for (const origin of [ALLOWED, 'http://localhost:3000', undefined]) {
      const socket = await connectFrom(server, user.token, origin);
      expect(await ask(socket as never, 'get_my_chats')).toMatchObject({ success: true });
      socket.close();
    }
  });

  it('refuses HTTP requests from another origin with 403 in the envelope, before any route runs', async () => {
    expectError(
      await api(server, 'GET', '/users/me', { token: user.token, headers: { origin: EVIL } }),
      403,
      'FORBIDDEN',
      ORIGIN_REFUSED_TEXT,
    );
    const login = await api(server, 'POST', '/auth/login', {
      body: { email: 'a@b.cd', password: 'x'.repeat(10) },
      headers: { origin: EVIL },
    });
    expectError(login, 403, 'FORBIDDEN', ORIGIN_REFUSED_TEXT);
    // A look-alike is not the origin.
    expectError(await api(server, 'GET', '/health', { headers: { origin: `${ALLOWED}.evil.net` } }), 403, 'FORBIDDEN');
    expectError(await api(server, 'GET', '/health', { headers: { origin: 'null' } }), 403, 'FORBIDDEN');
  });

  it('answers the listed origin with CORS headers, including a preflight', async () => {
    const response = await fetch(`${server.url}/users/me`, {
      headers: { origin: ALLOWED, authorization: `Bearer ${user.token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const preflight = await fetch(`${server.url}/chats`, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const evilPreflight = await fetch(`${server.url}/chats`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST' },
    });
    expect(evilPreflight.status).toBe(403);
    expect(evilPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS_ORIGINS unset', () => {
  let server: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    server = await startServer();
    user = await registerUser(server, 'anyorigin');
  });
  afterEach(() => {});
  afterAll(async () => {
    await server.close();
  });

  it('lets every origin in, as before', async () => {
    const socket = await connectFrom(server, user.token, EVIL);
    expect(await ask(socket as never, 'get_my_chats')).toMatchObject({ success: true });
    socket.close();
    const response = await api(server, 'GET', '/users/me', { token: user.token, headers: { origin: EVIL } });
    expect(response.status).toBe(200);
  });
});
