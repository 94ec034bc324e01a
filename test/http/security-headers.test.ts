import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ask,
  closeSockets,
  connect,
  registerUser,
  startServer,
  type TestServer,
  type TestUser,
} from '../helpers/server.js';

/**
 * README "Security": every response carries the security headers (helmet). The web client's own
 * page and assets are checked in a real browser by test/browser/web-client.test.ts.
 */

/** The headers every answer must carry, whatever its route, status or origin. */
function expectSecurityHeaders(headers: Headers, what: string): void {
  const csp = headers.get('content-security-policy') ?? '';
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name, values.join(' ')]),
  );
  expect(directives.get('default-src'), `${what}: ${csp}`).toBe("'self'");
  expect(directives.get('frame-ancestors'), what).toBe("'none'");
  expect(directives.get('script-src'), what).toBe("'self'");
  expect(directives.get('style-src'), what).toBe("'self'");
  expect(directives.get('object-src'), what).toBe("'none'");
  expect(directives.has('upgrade-insecure-requests'), what).toBe(false);
  expect(csp, what).not.toContain('unsafe');
  expect(headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(headers.get('referrer-policy'), what).toBe('no-referrer');
  expect(headers.get('x-frame-options'), what).toBe('DENY');
  expect(headers.get('x-powered-by'), what).toBeNull();
}

async function fetchHeaders(
  server: TestServer,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, init);
  await response.arrayBuffer();
  return { status: response.status, headers: response.headers };
}

describe('security headers', () => {
  let server: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    server = await startServer();
    user = await registerUser(server, 'headers');
  });
  afterAll(async () => {
    closeSockets();
    await server.close();
  });

  it.each<[string, string, RequestInit | undefined, number]>([
    ['a public route', '/health', undefined, 200],
    ['the docs page', '/docs', undefined, 200],
    ['the docs stylesheet', '/docs/style.css', undefined, 200],
    ['the OpenAPI document', '/docs/openapi.json', undefined, 200],
    ['metrics', '/metrics', undefined, 200],
    ['a route without its token', '/users/me', undefined, 401],
    ['an unknown route', '/no/such/route', undefined, 404],
    ['a malformed URL', '/chats/%E0%A4%A/messages', undefined, 400],
    [
      'bad JSON',
      '/auth/login',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' },
      400,
    ],
    [
      'a body over 64 KiB',
      '/auth/login',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: `"${'x'.repeat(70_000)}"` },
      413,
    ],
    ['the Socket.IO long-polling handshake', '/socket.io/?EIO=4&transport=polling', undefined, 200],
    ['a refused Engine.IO request', '/socket.io/?EIO=4&transport=carrier-pigeon', undefined, 400],
  ])('on %s', async (what, path, init, status) => {
    const response = await fetchHeaders(server, path, init);
    expect(response.status, what).toBe(status);
    expectSecurityHeaders(response.headers, what);
  });

  it('on answers with a token, and on a login', async () => {
    const me = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(me.status).toBe(200);
    expectSecurityHeaders(me.headers, 'GET /users/me');
    const login = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.user.username, password: user.password }),
    });
    expect(login.status).toBe(200);
    expectSecurityHeaders(login.headers, 'POST /auth/login');
  });

  it('the docs page needs nothing inline: its style is a file of this origin', async () => {
    const page = await (await fetch(`${server.url}/docs`)).text();
    expect(page).not.toMatch(/<style|<script|\sstyle=/i);
    expect(page).toContain('<link rel="stylesheet" href="/docs/style.css">');
    const style = await fetch(`${server.url}/docs/style.css`);
    expect(style.headers.get('content-type')).toContain('text/css');
    expect(await style.text()).toContain('font:15px');
  });

  it('leaves Socket.IO working over WebSocket and long polling', async () => {
    const socket = await connect(server, user.token);
    expect(await ask(socket, 'get_my_chats')).toEqual({ success: true, chats: [] });
    const polling = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    expect(await polling.text()).toMatch(/^0\{"sid":/);
  });
});

describe('security headers with CORS_ORIGINS', () => {
  const ALLOWED = 'https://chat.example.com';
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ CORS_ORIGINS: ALLOWED });
  });
  afterAll(async () => {
    await server.close();
  });

  it('on a request from a refused origin (403), and CORS still answers the listed one', async () => {
    const refused = await fetchHeaders(server, '/health', { headers: { origin: 'https://evil.example.net' } });
    expect(refused.status).toBe(403);
    expectSecurityHeaders(refused.headers, 'refused origin');

    const preflight = await fetchHeaders(server, '/users/me', {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expectSecurityHeaders(preflight.headers, 'preflight');

    const allowed = await fetchHeaders(server, '/health', { headers: { origin: ALLOWED } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expectSecurityHeaders(allowed.headers, 'listed origin');
  });
});
