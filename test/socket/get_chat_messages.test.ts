import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { ask, closeSockets, collect, connect, registerUser, startServer, type TestServer } from '../helpers/server.js';
import {
  chatPair,
  expectValidationError,
  FORBIDDEN_ANSWER,
  history,
  idsOf,
  joinOk,
  MALFORMED_CHAT_ID,
  NON_OBJECT_PAYLOADS,
  sendMany,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
} from '../helpers/socket-fixtures.js';

const NOT_FOUND_TEXT = 'Сообщение не найдено в этом чате';

describe('get_chat_messages', () => {
  let server: TestServer;
  /** One chat with 60 messages, shared by the read-only tests (created once, never written again). */
  let shared: { chatId: string; sent: Message[]; reader: Awaited<ReturnType<typeof chatPair>> };

  beforeAll(async () => {
    server = await startServer();
    const pair = await chatPair(server);
    shared = { chatId: pair.chatId, sent: await sendMany(pair.aliceSocket, pair.chatId, 60, 'page'), reader: pair };
  });
  afterAll(async () => {
    closeSockets();
    await server.close();
  });

  /** A fresh socket of the shared chat's reader (sockets are closed after each test). */
  const reader = () => connect(server, shared.reader.bob.token);
  afterEach(() => closeSockets());

  it('answers {success, messages: [], hasMore: false} for a chat without messages', async () => {
    const { chatId, aliceSocket } = await chatPair(server);
    expect(await ask(aliceSocket, 'get_chat_messages', { chatId })).toStrictEqual({
      success: true,
      messages: [],
      hasMore: false,
    });
  });

  it('defaults to the latest 50, oldest first, with hasMore when older ones exist', async () => {
    const answer = await ask(await reader(), 'get_chat_messages', { chatId: shared.chatId });
    expect(answer).toStrictEqual({ success: true, messages: shared.sent.slice(10), hasMore: true });
  });

  it('hasMore is false when the page reaches the first message', async () => {
    const { chatId, aliceSocket } = await chatPair(server);
    const sent = await sendMany(aliceSocket, chatId, 3);
    expect(await history(aliceSocket, { chatId })).toStrictEqual({ success: true, messages: sent, hasMore: false });
    expect(await history(aliceSocket, { chatId, limit: 3 })).toStrictEqual({
      success: true,
      messages: sent,
      hasMore: false,
    });
    expect(await history(aliceSocket, { chatId, limit: 2 })).toStrictEqual({
      success: true,
      messages: sent.slice(1),
      hasMore: true,
    });
  });

  describe('limit', () => {
    it('accepts 1 and 100', async () => {
      const socket = await reader();
      expect(await history(socket, { chatId: shared.chatId, limit: 1 })).toStrictEqual({
        success: true,
        messages: shared.sent.slice(59),
        hasMore: true,
      });
      expect(await history(socket, { chatId: shared.chatId, limit: 100 })).toStrictEqual({
        success: true,
        messages: shared.sent,
        hasMore: false,
      });
    });

    it.each([
      ['0', 0],
      ['101', 101],
      ['1.5', 1.5],
      ['negative', -5],
      ['a numeric string', '5'],
      ['a non-numeric string', 'ten'],
      ['null', null],
      ['a boolean', true],
      ['an array', [5]],
      ['an object', { n: 5 }],
      ['huge', 1e9],
    ])('refuses a limit that is %s with VALIDATION_ERROR on `limit`', async (_, limit) => {
      const answer = await ask(await reader(), 'get_chat_messages', { chatId: shared.chatId, limit });
      expectValidationError(answer, 'limit');
      expect(answer.error).toContain('«limit»');
    });
  });

  describe('cursors', () => {
    it('before: the page of older messages, hasMore while older ones remain', async () => {
      const socket = await reader();
      const { sent, chatId } = shared;
      expect(await history(socket, { chatId, before: sent[30]!.id, limit: 10 })).toStrictEqual({
        success: true,
        messages: sent.slice(20, 30),
        hasMore: true,
      });
      expect(await history(socket, { chatId, before: sent[10]!.id, limit: 10 })).toStrictEqual({
        success: true,
        messages: sent.slice(0, 10),
        hasMore: false,
      });
      expect(await history(socket, { chatId, before: sent[0]!.id })).toStrictEqual({
        success: true,
        messages: [],
        hasMore: false,
      });
    });

    it('paging backwards with before visits every message once, in order', async () => {
      const socket = await reader();
      const seen: Message[] = [];
      let page = await history(socket, { chatId: shared.chatId, limit: 7 });
      seen.unshift(...page.messages);
      while (page.hasMore) {
        page = await history(socket, { chatId: shared.chatId, limit: 7, before: seen[0]!.id });
        seen.unshift(...page.messages);
      }
      expect(idsOf(seen)).toEqual(idsOf(shared.sent));
    });

    it('after: the oldest page after the cursor, oldest first, hasMore while newer ones remain', async () => {
      const socket = await reader();
      const { sent, chatId } = shared;
      expect(await history(socket, { chatId, after: sent[9]!.id, limit: 10 })).toStrictEqual({
        success: true,
        messages: sent.slice(10, 20),
        hasMore: true,
      });
      expect(await history(socket, { chatId, after: sent[49]!.id, limit: 10 })).toStrictEqual({
        success: true,
        messages: sent.slice(50),
        hasMore: false,
      });
      expect(await history(socket, { chatId, after: sent[59]!.id })).toStrictEqual({
        success: true,
        messages: [],
        hasMore: false,
      });
      // Default limit applies to `after` too.
      expect(await history(socket, { chatId, after: sent[0]!.id })).toStrictEqual({
        success: true,
        messages: sent.slice(1, 51),
        hasMore: true,
      });
    });

    it('before and after together: the messages strictly between them', async () => {
      const socket = await reader();
      const { sent, chatId } = shared;
      expect(await history(socket, { chatId, after: sent[10]!.id, before: sent[16]!.id })).toStrictEqual({
        success: true,
        messages: sent.slice(11, 16),
        hasMore: false,
      });
      expect(await history(socket, { chatId, after: sent[10]!.id, before: sent[16]!.id, limit: 3 })).toStrictEqual({
        success: true,
        messages: sent.slice(11, 14),
        hasMore: true,
      });
      expect(await history(socket, { chatId, after: sent[10]!.id, before: sent[11]!.id })).toStrictEqual({
        success: true,
        messages: [],
        hasMore: false,
      });
    });

    it('after fills the gap of a reconnect with exactly the missed messages, in order', async () => {
      const { bob, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const live = collect<Message>(bobSocket, 'new_message');
      const seen = await sendMany(aliceSocket, chatId, 3, 'seen');
      await waitFor(() => live.length >= 3, 3_000, 'live deliveries');
      expect(idsOf(live)).toEqual(idsOf(seen));

      bobSocket.disconnect();
      const missed = await sendMany(aliceSocket, chatId, 7, 'missed');

      const back = await connect(server, bob.token);
      const lastSeen = live.at(-1)!.id;
      expect(await history(back, { chatId, after: lastSeen })).toStrictEqual({
        success: true,
        messages: missed,
        hasMore: false,
      });

      // The same gap, paged.
      const paged: Message[] = [];
      let cursor = lastSeen;
      for (;;) {
        const page = await history(back, { chatId, after: cursor, limit: 3 });
        paged.push(...page.messages);
        if (!page.hasMore) break;
        cursor = page.messages.at(-1)!.id;
      }
      expect(paged).toStrictEqual(missed);

      // After catching up, the rejoined socket is live again.
      await joinOk(back, chatId);
      const liveAgain = collect<Message>(back, 'new_message');
      const next = await sendOk(aliceSocket, chatId, 'live again');
      await waitFor(() => liveAgain.length >= 1, 3_000, 'live delivery after reconnect');
      expect(liveAgain).toStrictEqual([next]);
    });

    it('a cursor from another chat, an unknown id or a malformed id → NOT_FOUND naming the cursor', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      await sendMany(aliceSocket, chatId, 2);
      // A message of another chat alice belongs to.
      const foreign = shared.sent[5]!.id;
      const aliceInShared = await connect(server, shared.reader.alice.token);
      expect((await history(aliceInShared, { chatId: shared.chatId, before: foreign })).messages).toHaveLength(5);

      for (const field of ['before', 'after'] as const) {
        const expected = { success: false, error: NOT_FOUND_TEXT, code: 'NOT_FOUND', field };
        for (const cursor of [foreign, UNKNOWN_CHAT_ID, 'not-a-message-id']) {
          expect(await ask(aliceSocket, 'get_chat_messages', { chatId, [field]: cursor })).toStrictEqual(expected);
        }
      }
    });

    it.each([
      ['a number', { before: 5 }, 'before'],
      ['null', { after: null }, 'after'],
      ['an empty string', { before: '' }, 'before'],
      ['an object', { after: { id: 'x' } }, 'after'],
    ])('refuses a cursor that is %s with VALIDATION_ERROR naming it', async (_, cursor, field) => {
      const answer = await ask(await reader(), 'get_chat_messages', { chatId: shared.chatId, ...cursor });
      expectValidationError(answer, field);
    });
  });

  describe('access', () => {
    it('answers the same FORBIDDEN for a non-member (even with a valid cursor), an unknown and a malformed id', async () => {
      const eve = await connect(server, (await registerUser(server, 'eve')).token);
      const { chatId, sent } = shared;
      const answers = [
        await ask(eve, 'get_chat_messages', { chatId }),
        await ask(eve, 'get_chat_messages', { chatId, after: sent[0]!.id }),
        await ask(eve, 'get_chat_messages', { chatId, before: 'not-a-message-id' }),
        await ask(eve, 'get_chat_messages', { chatId: UNKNOWN_CHAT_ID }),
        await ask(eve, 'get_chat_messages', { chatId: MALFORMED_CHAT_ID, limit: 10 }),
      ];
      for (const answer of answers) expect(answer).toStrictEqual(FORBIDDEN_ANSWER);
    });
  });

  describe('payload validation', () => {
    it.each([
      ['missing', {}],
      ['a number', { chatId: 1 }],
      ['null', { chatId: null }],
    ])('refuses a chatId that is %s with VALIDATION_ERROR on `chatId`', async (_, payload) => {
      const answer = await ask(await reader(), 'get_chat_messages', payload);
      expectValidationError(answer, 'chatId');
    });

    it.each(NON_OBJECT_PAYLOADS)('refuses a payload that is %s', async (_, payload) => {
      expectValidationError(await ask(await reader(), 'get_chat_messages', payload), undefined);
    });

    it('ignores unknown extra fields', async () => {
      const answer = await ask(await reader(), 'get_chat_messages', {
        chatId: shared.chatId,
        limit: 2,
        order: 'desc',
        offset: 5,
      });
      expect(answer).toStrictEqual({ success: true, messages: shared.sent.slice(58), hasMore: true });
    });
  });
});
