import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import { ask, closeSockets, connect, registerUser, startServer, type TestServer } from '../helpers/server.js';
import { chatPair, emitRaw } from '../helpers/socket-fixtures.js';
import { expectRateLimited, tally } from './rate-limit-answer.js';

/** Issue 5 §1: every event counts against its socket's events-per-second limit. */
const PER_SECOND = 5;
const BURST = 10;
const MAX_PASSING = BURST + PER_SECOND;

describe('events per socket', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ RATE_LIMIT_EVENTS_PER_SECOND: String(PER_SECOND), RATE_LIMIT_EVENT_BURST: String(BURST) });
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    await server.close();
  });

  it('refuses events past the burst with RATE_LIMITED, for every event name', async () => {
    const { chatId, aliceSocket } = await chatPair(server);
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => ask(aliceSocket, 'get_my_chats')),
      ...Array.from({ length: 10 }, () => ask(aliceSocket, 'get_chat_messages', { chatId })),
      ...Array.from({ length: 10 }, () => ask(aliceSocket, 'join_chat', { chatId })),
      ...Array.from({ length: 10 }, () => ask(aliceSocket, 'leave_chat', { chatId })),
    ]);
    const { ok, refused } = tally(answers);
    expect(ok).toBeGreaterThanOrEqual(BURST);
    expect(ok).toBeLessThanOrEqual(MAX_PASSING);
    expect(refused).toHaveLength(40 - ok);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.events, 10_000);
  });

  it('counts unknown events and events without a callback, and limits only the flooding socket', async () => {
    const user = await registerUser(server, 'flood');
    const [flooder, sibling] = await Promise.all([connect(server, user.token), connect(server, user.token)]);
    for (let i = 0; i < 50; i++) emitRaw(flooder, 'no_such_event', { i });
    for (let i = 0; i < 50; i++) emitRaw(flooder, 'get_my_chats');
    const after = await ask(flooder, 'get_my_chats');
    expectRateLimited(after, RATE_LIMIT_TEXTS.events, 10_000);
    expect(flooder.connected).toBe(true);
    // The same user's other socket has a budget of its own.
    expect(await ask(sibling, 'get_my_chats')).toMatchObject({ success: true, chats: [] });
  });
});
