import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import { api, ask, closeSockets, connect, startServer, type TestServer } from '../helpers/server.js';
import { chatPair } from '../helpers/socket-fixtures.js';
import { expectRateLimited, tally } from './rate-limit-answer.js';

/**
 * `sync` is limited per user, over all the user's sockets and POST /sync: a bucket of
 * RATE_LIMIT_EVENTS_PER_SECOND with a burst of RATE_LIMIT_EVENT_BURST, the per-socket event
 * limit's figures. The per-socket limit is the same, so two sockets show the per-user one.
 * Counts refusals; never measures time.
 */
const PER_SECOND = 2;
const BURST = 5;
const MAX_PASSING = BURST + PER_SECOND;
const MAX_RETRY_MS = 10_000;

describe('sync rate limit per user', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ RATE_LIMIT_EVENTS_PER_SECOND: String(PER_SECOND), RATE_LIMIT_EVENT_BURST: String(BURST) });
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    await server.close();
  });

  it("counts a user's syncs from every socket together and answers RATE_LIMITED past the burst", async () => {
    const { alice, chatId, aliceSocket } = await chatPair(server);
    const second = await connect(server, alice.token);
    const payload = { chats: [{ chatId, version: 0 }] };
    // Three from each socket: within each socket's own limit, over the user's.
    const answers = await Promise.all([aliceSocket, second, aliceSocket, second, aliceSocket, second, aliceSocket, second].map((s) => ask(s, 'sync', payload)));
    const { ok, refused } = tally(answers);
    expect(ok).toBeGreaterThanOrEqual(BURST);
    expect(ok).toBeLessThanOrEqual(MAX_PASSING);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.sync, MAX_RETRY_MS);
  });

  it('counts POST /sync in the same budget and answers 429 with the envelope', async () => {
    const { alice, chatId } = await chatPair(server);
    const statuses: number[] = [];
    let refusedBody: unknown;
    for (let i = 0; i < 12; i++) {
      const { status, body } = await api(server, 'POST', '/sync', { token: alice.token, body: { chats: [{ chatId, version: 0 }] } });
      statuses.push(status);
      if (status === 429) refusedBody = body;
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(MAX_PASSING);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(refusedBody).toMatchObject({ success: false, code: 'RATE_LIMITED', error: RATE_LIMIT_TEXTS.sync });
    // Another user's budget is untouched.
    const other = await chatPair(server);
    expect((await api(server, 'POST', '/sync', { token: other.alice.token, body: { chats: [] } })).status).toBe(200);
  });
});
