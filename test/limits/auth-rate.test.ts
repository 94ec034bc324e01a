import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import { expectError, newCredentials } from '../helpers/http-envelope.js';
import { api, startServer, type ApiResponse, type TestServer } from '../helpers/server.js';
import { expectRateLimited } from './rate-limit-answer.js';

/** Issue 5 §1: login and registration are limited per client address and per account. */

function expect429(response: ApiResponse & { headers: Headers }, text: string, maxRetryMs: number): void {
  expect(response.status).toBe(429);
  expectRateLimited(response.body, text, maxRetryMs);
  // Retry-After (seconds) says the same as retryAfterMs, rounded up.
  expect(Number(response.headers.get('retry-after'))).toBe(Math.ceil(response.body.retryAfterMs / 1000));
}

/** api() without the body parsing shortcut, keeping the headers. */
async function post(server: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json(), headers: response.headers } as ApiResponse & {
    headers: Headers;
  };
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  await server?.close();
});

describe('per client address', () => {
  const LIMIT = 5;

  it('counts logins and registrations together and then answers 429 with Retry-After', async () => {
    server = await startServer({ RATE_LIMIT_AUTH_PER_IP: String(LIMIT) });
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await post(server, '/auth/login', { email: `nobody${i}@example.com`, password: 'wrong-password' }));
    answers.push(await post(server, '/auth/register', newCredentials('ip')));
    answers.push(await post(server, '/auth/register', newCredentials('ip')));
    answers.push(await post(server, '/auth/login', { broken: true }));
    answers.push(await post(server, '/auth/login', '{not json'));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 201, 429, 429, 400]);
    for (const refused of answers.slice(5, 7)) {
      expect429(refused, RATE_LIMIT_TEXTS.auth, 60_000);
    }
    // Other routes are not limited.
    expect((await api(server, 'GET', '/health')).status).toBe(200);
  });

  it('does not believe X-Forwarded-For unless TRUST_PROXY says so', async () => {
    server = await startServer({ RATE_LIMIT_AUTH_PER_IP: '2' });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const r = await post(
        server,
        '/auth/login',
        { email: 'x@example.com', password: 'wrong-password' },
        { 'x-forwarded-for': `10.0.0.${i}` },
      );
      statuses.push(r.status);
    }
    expect(statuses).toEqual([401, 401, 429, 429]);
  });

  it('with TRUST_PROXY, counts each forwarded client address on its own', async () => {
    server = await startServer({ RATE_LIMIT_AUTH_PER_IP: '2', TRUST_PROXY: 'true' });
    const statuses = [];
    for (const ip of ['10.0.0.1', '10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.2']) {
      const r = await post(
        server,
        '/auth/login',
        { email: 'x@example.com', password: 'wrong-password' },
        { 'x-forwarded-for': ip },
      );
      statuses.push(r.status);
    }
    expect(statuses).toEqual([401, 401, 429, 401, 401]);
  });
});

describe('failed logins per account', () => {
  const FAILURES = 3;

  async function registered(s: TestServer) {
    const credentials = newCredentials('acct');
    expect((await post(s, '/auth/register', credentials)).status).toBe(201);
    return credentials;
  }

  it('locks the account after too many failures, even against the right password, and only that account', async () => {
    server = await startServer({ RATE_LIMIT_LOGIN_FAILURES: String(FAILURES) });
    const victim = await registered(server);
    const bystander = await registered(server);
    for (let i = 0; i < FAILURES; i++) {
      expectError(
        await post(server, '/auth/login', { email: victim.email, password: `guess-${i}-xx` }),
        401,
        'UNAUTHORIZED',
      );
    }
    // The address is the same, the email differs only in case: still the same account.
    const locked = await post(server, '/auth/login', { email: victim.email.toUpperCase(), password: victim.password });
    expect429(locked, RATE_LIMIT_TEXTS.login, 15 * 60_000);
    expect(locked.body).not.toHaveProperty('accessToken');
    // The bystander, from the same address, logs in.
    const ok = await post(server, '/auth/login', { email: bystander.email, password: bystander.password });
    expect(ok.status).toBe(200);
    expect(ok.body.user.email).toBe(bystander.email);
  });

  it('concurrent guesses cannot outrun the limit: only the budget is checked, the rest answer 429', async () => {
    server = await startServer({ RATE_LIMIT_LOGIN_FAILURES: String(FAILURES) });
    const victim = await registered(server);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post(server!, '/auth/login', { email: victim.email, password: `guess-${i}-xx` }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(FAILURES).fill(401), ...Array(12 - FAILURES).fill(429)]);
  });

  it('a successful login clears the failures; usernames count per account too', async () => {
    server = await startServer({ RATE_LIMIT_LOGIN_FAILURES: String(FAILURES) });
    const user = await registered(server);
    const attempt = (password: string) => post(server!, '/auth/login', { username: user.username, password });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < FAILURES - 1; i++) expect((await attempt('wrong-password')).status).toBe(401);
      expect((await attempt(user.password)).status).toBe(200);
    }
    for (let i = 0; i < FAILURES; i++) expect((await attempt('wrong-password')).status).toBe(401);
    expect429(await attempt(user.password), RATE_LIMIT_TEXTS.login, 15 * 60_000);
  });

  it('counts one budget per account whichever of its names is typed: failures by email lock logins by username', async () => {
    server = await startServer({ RATE_LIMIT_LOGIN_FAILURES: String(FAILURES) });
    const victim = await registered(server);
    const byEmail = (password: string) => post(server!, '/auth/login', { email: victim.email, password });
    const byUsername = (password: string) =>
      post(server!, '/auth/login', { username: victim.username.toUpperCase(), password });
    for (let i = 0; i < FAILURES; i++) expect((await byEmail(`guess-${i}-xx`)).status).toBe(401);
    expect429(await byUsername(victim.password), RATE_LIMIT_TEXTS.login, 15 * 60_000);
    expect429(await byEmail(victim.password), RATE_LIMIT_TEXTS.login, 15 * 60_000);

    // Mixed: the guesses add up across both names.
    const other = await registered(server);
    const statuses = [];
    for (let i = 0; i < FAILURES + 1; i++) {
      const body =
        i % 2 === 0
          ? { email: other.email, password: `guess-${i}-xx` }
          : { username: other.username, password: `guess-${i}-xx` };
      statuses.push((await post(server, '/auth/login', body)).status);
    }
    expect(statuses).toEqual([...Array(FAILURES).fill(401), 429]);
  });

  it('failures on an account that does not exist are limited the same way (no account probing)', async () => {
    server = await startServer({ RATE_LIMIT_LOGIN_FAILURES: String(FAILURES) });
    const ghost = { email: `ghost-${Date.now()}@example.com`, password: 'whatever-password' };
    const statuses = [];
    for (let i = 0; i < FAILURES + 2; i++) statuses.push((await post(server, '/auth/login', ghost)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
