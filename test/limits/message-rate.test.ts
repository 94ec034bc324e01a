import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import { api, ask, closeSockets, collect, connect, startServer, type TestServer } from '../helpers/server.js';
import { chatPair, emitRaw, expectValidationError, history, QUIET_MS, sendOk } from '../helpers/socket-fixtures.js';
import { sleep } from '../helpers/server.js';
import { expectRateLimited, tally } from './rate-limit-answer.js';

/**
 * Issue 5 §1, issue 17 §2: send_message, edit_message and delete_message are limited per user,
 * together (a token bucket of RATE_LIMIT_MESSAGES_PER_SECOND with a burst of
 * RATE_LIMIT_MESSAGE_BURST). Counts refusals; never measures time. A burst sent at once lands in
 * one or two one-second windows, so at most BURST + PER_SECOND pass.
 */
const PER_SECOND = 2;
const BURST = 5;
const MAX_PASSING = BURST + PER_SECOND;
/** The longest wait the limiter can announce: the burst reserve refills every 10 s. */
const MAX_RETRY_MS = 10_000;

describe('message changes (send, edit, delete) rate limit per user', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      RATE_LIMIT_MESSAGES_PER_SECOND: String(PER_SECOND),
      RATE_LIMIT_MESSAGE_BURST: String(BURST),
    });
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
      ...Array.from({ length: 10 }, () =>
        ask(aliceSocket, 'send_message', { chatId: other.chatId, text: 'x'.repeat(5000) }),
      ),
    ]);
    const refused = answers.filter((a) => a.code === 'RATE_LIMITED');
    expect(refused.length).toBeGreaterThanOrEqual(20 + 2 - MAX_PASSING);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.messages, MAX_RETRY_MS);
    // Nothing reached the other pair's chat.
    expect((await history(other.aliceSocket, { chatId: other.chatId })).messages).toEqual([]);
  });

  it('counts edits and deletes with sends, from every socket: a refused edit or delete changes and broadcasts nothing', async () => {
    const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const [first, second] = [await sendOk(aliceSocket, chatId, 'first'), await sendOk(aliceSocket, chatId, 'second')];
    const third = await sendOk(aliceSocket, chatId, 'third');
    const aliceSecond = await connect(server, alice.token);
    const updates = collect(bobSocket, 'message_updated');
    const deletions = collect(bobSocket, 'message_deleted');
    const answers = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) =>
        ask(aliceSocket, 'edit_message', { messageId: first.id, text: `edit ${i}` }),
      ),
      ...Array.from({ length: 8 }, (_, i) =>
        ask(aliceSecond, 'edit_message', { messageId: second.id, text: `edit ${i}` }),
      ),
      ask(aliceSecond, 'delete_message', { messageId: third.id }),
    ]);
    const { ok, refused } = tally(answers);
    // Three sends were counted already.
    expect(ok).toBeLessThanOrEqual(MAX_PASSING - 3);
    expect(refused.length).toBeGreaterThanOrEqual(answers.length - (MAX_PASSING - 3));
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.messages, MAX_RETRY_MS);
    // And the budget is spent for sends as well.
    expectRateLimited(
      await ask(aliceSocket, 'send_message', { chatId, text: 'one more' }),
      RATE_LIMIT_TEXTS.messages,
      MAX_RETRY_MS,
    );
    // Only the accepted changes were broadcast.
    await sleep(QUIET_MS);
    expect(updates.length + deletions.length).toBe(ok);
  });

  it('counts reactions and pins with sends, over sockets and HTTP: a refused one changes and broadcasts nothing', async () => {
    const { bob, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const target = await sendOk(aliceSocket, chatId, 'popular');
    const reactions = collect(aliceSocket, 'message_reactions');
    const pins = collect(aliceSocket, 'chat_pins');
    const palette = [...'😀😁😂🤣😃😄😅😆'];
    const answers = await Promise.all([
      ...palette.map((emoji) => ask(bobSocket, 'add_reaction', { messageId: target.id, emoji })),
      ask(bobSocket, 'pin_message', { messageId: target.id }),
      ask(bobSocket, 'remove_reaction', { messageId: target.id, emoji: '🙃' }),
    ]);
    const { ok, refused } = tally(answers);
    expect(ok).toBeLessThanOrEqual(MAX_PASSING);
    expect(refused.length).toBeGreaterThanOrEqual(answers.length - MAX_PASSING);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.messages, MAX_RETRY_MS);
    // The budget is spent for sends and for the HTTP routes as well.
    expectRateLimited(
      await ask(bobSocket, 'send_message', { chatId, text: 'one more' }),
      RATE_LIMIT_TEXTS.messages,
      MAX_RETRY_MS,
    );
    const http = await api(server, 'POST', `/messages/${target.id}/pin`, { token: bob.token });
    expect(http.status).toBe(429);
    await sleep(QUIET_MS);
    const page = await history(aliceSocket, { chatId });
    const stored = page.messages[0]!;
    expect((stored.reactions?.length ?? 0) + (stored.pinnedAt ? 1 : 0)).toBe(reactions.length + pins.length);
    // The remove changed nothing, so it took no version: every accepted change but it was broadcast.
    const removeAccepted = (answers.at(-1) as { success: boolean }).success;
    expect(reactions.length + pins.length).toBe(ok - (removeAccepted ? 1 : 0));
  });

  it('counts malformed edits and deletes, and those of messages that are not the user’s', async () => {
    const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const bobs = await sendOk(bobSocket, chatId, 'not yours');
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => ask(aliceSocket, 'edit_message', { messageId: bobs.id, text: 'mine now' })),
      ...Array.from({ length: 5 }, () => ask(aliceSocket, 'delete_message', { messageId: bobs.id })),
      ...Array.from({ length: 5 }, () => ask(aliceSocket, 'edit_message', { messageId: 42 })),
      ...Array.from({ length: 5 }, () => ask(aliceSocket, 'delete_message', {})),
    ]);
    const refused = answers.filter((answer) => answer.code === 'RATE_LIMITED');
    expect(refused.length).toBeGreaterThanOrEqual(answers.length - MAX_PASSING);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.messages, MAX_RETRY_MS);
    for (const answer of answers.filter((a) => a.code !== 'RATE_LIMITED'))
      expect(['FORBIDDEN', 'VALIDATION_ERROR']).toContain(answer.code);
    // Bob's message is untouched, and Bob's own budget too.
    expect((await history(bobSocket, { chatId })).messages).toMatchObject([{ id: bobs.id, text: 'not yours' }]);
    await sendOk(bobSocket, chatId, 'bob is fine');
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
