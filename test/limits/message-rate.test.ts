import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import { ask, closeSockets, collect, connect, startServer, type TestServer } from '../helpers/server.js';
import { chatPair, emitRaw, expectValidationError, history, QUIET_MS, sendOk } from '../helpers/socket-fixtures.js';
import { sleep } from '../helpers/server.js';
import { expectRateLimited, tally } from './rate-limit-answer.js';

/**
 * Issue 5 §1: send_message is limited per user (a token bucket of RATE_LIMIT_MESSAGES_PER_SECOND
 * with a burst of RATE_LIMIT_MESSAGE_BURST). Counts refusals; never measures time. A burst sent
 * at once lands in one or two one-second windows, so at most BURST + PER_SECOND pass.
 */
const PER_SECOND = 2;
const BURST = 5;
const MAX_PASSING = BURST + PER_SECOND;
/** The longest wait the limiter can announce: the burst reserve refills every 10 s. */
const MAX_RETRY_MS = 10_000;

describe('send_message rate limit per user', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ RATE_LIMIT_MESSAGES_PER_SECOND: String(PER_SECOND), RATE_LIMIT_MESSAGE_BURST: String(BURST) });
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    await server.close();
  });

  const burst = (socket: Parameters<typeof ask>[0], chatId: string, count: number, tag: string) =>
    Promise.all(Array.from({ length: count }, (_, i) => ask(socket, 'send_message', { chatId, text: `${tag} ${i}` })));

  it('lets a burst through, then answers RATE_LIMITED with a retry hint and stores nothing more', async () => {
    const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const delivered = collect(bobSocket, 'new_message');
    const answers = await burst(aliceSocket, chatId, 30, 'flood');
    const { ok, refused } = tally(answers);
    expect(ok).toBeGreaterThanOrEqual(BURST);
    expect(ok).toBeLessThanOrEqual(MAX_PASSING);
    expect(refused).toHaveLength(30 - ok);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.messages, MAX_RETRY_MS);

    // Only accepted messages exist and were delivered.
    const page = await history(bobSocket, { chatId, limit: 100 });
    expect(page.messages).toHaveLength(ok);
    await sleep(QUIET_MS);
    expect(delivered).toHaveLength(ok);
  });

  it('counts every socket of the user together, and no other user', async () => {
    const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const aliceSecond = await connect(server, alice.token);
    const answers = await Promise.all([burst(aliceSocket, chatId, 10, 'one'), burst(aliceSecond, chatId, 10, 'two')]);
    const { ok, refused } = tally(answers.flat());
    expect(ok).toBeLessThanOrEqual(MAX_PASSING);
    expect(refused.length).toBeGreaterThanOrEqual(20 - MAX_PASSING);

    // Bob is not limited by Alice's flood, and neither are Alice's other events.
    const bobAnswer = await sendOk(bobSocket, chatId, 'bob is fine');
    expect(bobAnswer.sender).toBe(bob.user.id);
    expect(await ask(aliceSocket, 'get_my_chats')).toMatchObject({ success: true, chats: [{ id: chatId }] });
    expect(await ask(aliceSocket, 'join_chat', { chatId })).toMatchObject({ success: true });
  });

  it('counts malformed and foreign-chat sends too, and refuses them as RATE_LIMITED once over', async () => {
    const { chatId, aliceSocket } = await chatPair(server);
    const other = await chatPair(server);
    // Before the limit: the usual answers.
    expectValidationError(await ask(aliceSocket, 'send_message', { chatId, text: 42 }), 'text');
    expect(await ask(aliceSocket, 'send_message', { chatId: other.chatId, text: 'not mine' })).toMatchObject({
      success: false,
      code: 'FORBIDDEN',
    });
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => ask(aliceSocket, 'send_message', 'not an object')),
      ...Array.from({ length: 10 }, () => ask(aliceSocket, 'send_message', { chatId: other.chatId, text: 'x'.repeat(5000) })),
    ]);
    const refused = answers.filter((a) => a.code === 'RATE_LIMITED');
    expect(refused.length).toBeGreaterThanOrEqual(20 + 2 - MAX_PASSING);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.messages, MAX_RETRY_MS);
    // Nothing reached the other pair's chat.
    expect((await history(other.aliceSocket, { chatId: other.chatId })).messages).toEqual([]);
  });

  it('refuses sends without a callback silently: nothing stored, nothing broken', async () => {
    const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    for (let i = 0; i < 30; i++) emitRaw(aliceSocket, 'send_message', { chatId, text: `quiet ${i}` });
    const page = await history(bobSocket, { chatId, limit: 100 });
    expect(page.messages.length).toBeLessThanOrEqual(MAX_PASSING);
    expect(aliceSocket.connected).toBe(true);
    expect(await ask(aliceSocket, 'get_my_chats')).toMatchObject({ success: true });
  });
});
