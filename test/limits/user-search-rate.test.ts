import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import { api, registerUser, useServer, type TestUser } from '../helpers/server.js';
import { expectRateLimited } from './rate-limit-answer.js';

/**
 * Issue 17: each search answers up to 20 users with their emails, so one account could list the
 * whole directory by trying prefixes. Searches are limited per user (RATE_LIMIT_USER_SEARCHES_PER_MINUTE;
 * shared through Redis: test/limits/shared-limits.test.ts).
 */
describe('GET /users?search= per user', () => {
  const LIMIT = 3;
  const server = useServer({ RATE_LIMIT_USER_SEARCHES_PER_MINUTE: String(LIMIT) });

  const search = (caller: TestUser, query: string) => api(server, 'GET', `/users?${query}`, { token: caller.token });

  it('answers 429 RATE_LIMITED with Retry-After past the limit, and only for that user', async () => {
    const [crawler, bystander, target] = await Promise.all([
      registerUser(server, 'crawler'),
      registerUser(server, 'bystander'),
      registerUser(server, 'target'),
    ]);
    for (let i = 0; i < LIMIT; i++) {
      expect(await search(crawler, `search=${target.user.username}`)).toEqual({
        status: 200,
        body: { success: true, users: [target.user] },
      });
    }
    const refused = await fetch(`${server.url}/users?search=${target.user.username}`, {
      headers: { authorization: `Bearer ${crawler.token}` },
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expectRateLimited(await refused.json(), RATE_LIMIT_TEXTS.userSearch, 60_000);
    // A crawl goes on being refused, by username and by email alike.
    for (const query of ['search=a', 'search=b', `search=${encodeURIComponent(target.user.email)}`]) {
      expect((await search(crawler, query)).status).toBe(429);
    }

    expect(await search(bystander, `search=${target.user.username}`)).toEqual({
      status: 200,
      body: { success: true, users: [target.user] },
    });
  });

  it('counts searches refused as invalid (missing, repeated, oversize, NUL) too: probing is not free', async () => {
    const [crawler, target] = await Promise.all([registerUser(server, 'prober'), registerUser(server, 'target')]);
    const invalid = ['', 'search=a&search=b', `search=${'a'.repeat(101)}`];
    for (const query of invalid) expect((await search(crawler, query)).status).toBe(400);
    const refused = await search(crawler, `search=${target.user.username}`);
    expect(refused.status).toBe(429);
    expectRateLimited(refused.body, RATE_LIMIT_TEXTS.userSearch, 60_000);
    expect((await search(crawler, 'search=a%00b')).status).toBe(429);
  });

  it('answers 401 without a valid token, before counting anything', async () => {
    const caller = await registerUser(server, 'anon');
    for (let i = 0; i < LIMIT + 2; i++) {
      expect((await api(server, 'GET', '/users?search=ab', { token: 'garbage' })).status).toBe(401);
    }
    expect((await search(caller, 'search=ab')).status).toBe(200);
  });
});
