import { describe, expect, it } from 'vitest';
import type { MessagesRead } from '../../src/protocol/types.js';
import { ask, collect, connect, createChat, registerUser, sleep, useServer } from '../helpers/server.js';
import {
  chatPair,
  emitRaw,
  expectValidationError,
  FORBIDDEN_ANSWER,
  joinOk,
  MALFORMED_CHAT_ID,
  NON_OBJECT_PAYLOADS,
  QUIET_MS,
  sendMany,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
} from '../helpers/socket-fixtures.js';

const UNKNOWN_MESSAGE_ANSWER = Object.freeze({
  success: false,
  error: 'Сообщение не найдено в этом чате',
  code: 'NOT_FOUND',
  field: 'messageId',
});

async function unreadIn(socket: Parameters<typeof ask>[0], chatId: string): Promise<number | undefined> {
  const answer = await ask(socket, 'get_my_chats');
  return answer.chats.find((c: { id: string }) => c.id === chatId)?.unreadCount;
}

/** The read positions get_my_chats lists for the chat, as {userId: seq}. */
async function readPositionsIn(socket: Parameters<typeof ask>[0], chatId: string): Promise<Record<string, number>> {
  const answer = await ask(socket, 'get_my_chats');
  const chat = answer.chats.find((c: { id: string }) => c.id === chatId);
  return Object.fromEntries(chat.readPositions.map((p: { userId: string; seq: number }) => [p.userId, p.seq]));
}

describe('mark_read', () => {
  const server = useServer();

  it('answers {success, unreadCount, seq} and get_my_chats counts from the new position', async () => {
    const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
    const sent = await sendMany(aliceSocket, chatId, 3);
    expect(await unreadIn(bobSocket, chatId)).toBe(3);
    expect(await readPositionsIn(bobSocket, chatId)).toStrictEqual({ [alice.user.id]: 0, [bob.user.id]: 0 });

    expect(await ask(bobSocket, 'mark_read', { chatId, messageId: sent[1]!.id })).toStrictEqual({
      success: true,
      unreadCount: 1,
      unreadMentionCount: 0,
      seq: 2,
    });
    expect(await unreadIn(bobSocket, chatId)).toBe(1);
    expect(await readPositionsIn(aliceSocket, chatId)).toStrictEqual({ [alice.user.id]: 0, [bob.user.id]: 2 });
    expect(await ask(bobSocket, 'mark_read', { chatId, messageId: sent[2]!.id })).toStrictEqual({
      success: true,
      unreadCount: 0,
      unreadMentionCount: 0,
      seq: 3,
    });
    expect(await unreadIn(bobSocket, chatId)).toBe(0);
    expect(await readPositionsIn(aliceSocket, chatId)).toStrictEqual({ [alice.user.id]: 0, [bob.user.id]: 3 });
    // Alice's own messages were never unread for her; her read position is her own.
    expect(await unreadIn(aliceSocket, chatId)).toBe(0);

    await sendOk(aliceSocket, chatId, 'one more');
    expect(await unreadIn(bobSocket, chatId)).toBe(1);
  });

  it('is monotonic: marking an older message leaves the position where it is', async () => {
    const { chatId, aliceSocket, bobSocket } = await chatPair(server);
    const sent = await sendMany(aliceSocket, chatId, 4);
    expect(await ask(bobSocket, 'mark_read', { chatId, messageId: sent[2]!.id })).toStrictEqual({
      success: true,
      unreadCount: 1,
      unreadMentionCount: 0,
      seq: 3,
    });
    // The answer's seq is the position's, which stays at the third message.
    expect(await ask(bobSocket, 'mark_read', { chatId, messageId: sent[0]!.id })).toStrictEqual({
      success: true,
      unreadCount: 1,
      unreadMentionCount: 0,
      seq: 3,
    });
    expect(await ask(bobSocket, 'mark_read', { chatId, messageId: sent[2]!.id })).toStrictEqual({
      success: true,
      unreadCount: 1,
      unreadMentionCount: 0,
      seq: 3,
    });
    expect(await unreadIn(bobSocket, chatId)).toBe(1);
  });

  it('concurrent marks end at the newest of them', async () => {
    const { bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
    const sent = await sendMany(aliceSocket, chatId, 6);
    await Promise.all(sent.map((m) => ask(bobSocket, 'mark_read', { chatId, messageId: m.id })));
    expect(await unreadIn(bobSocket, chatId)).toBe(0);
    expect((await readPositionsIn(bobSocket, chatId))[bob.user.id]).toBe(6);
  });

  it('a member may mark their own message as read', async () => {
    const { chatId, aliceSocket, bobSocket } = await chatPair(server);
    await sendOk(bobSocket, chatId, 'from bob');
    const own = await sendOk(aliceSocket, chatId, 'from alice');
    expect(await ask(aliceSocket, 'mark_read', { chatId, messageId: own.id })).toStrictEqual({
      success: true,
      unreadCount: 0,
      unreadMentionCount: 0,
      seq: 2,
    });
  });

  describe('messages_read', () => {
    it('reaches every socket in the chat room: other members, the reader’s other tabs and the marking socket', async () => {
      const { bob, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const bobOtherTab = await connect(server, bob.token);
      await joinOk(bobOtherTab, chatId);
      const sent = await sendOk(aliceSocket, chatId, 'read me');

      const toAlice = collect<MessagesRead>(aliceSocket, 'messages_read');
      const toOtherTab = collect<MessagesRead>(bobOtherTab, 'messages_read');
      const toMarker = collect<MessagesRead>(bobSocket, 'messages_read');
      await ask(bobSocket, 'mark_read', { chatId, messageId: sent.id });

      const expected = { chatId, userId: bob.user.id, messageId: sent.id, seq: 1 };
      await waitFor(
        () => toAlice.length >= 1 && toOtherTab.length >= 1 && toMarker.length >= 1,
        3_000,
        'messages_read',
      );
      await sleep(QUIET_MS);
      expect(toAlice).toStrictEqual([expected]);
      expect(toOtherTab).toStrictEqual([expected]);
      // Published by the domain after commit: the marking socket hears of its own read too, once.
      expect(toMarker).toStrictEqual([expected]);
    });

    it('is not sent when the position does not move', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const [older, newer] = await sendMany(aliceSocket, chatId, 2);
      const toAlice = collect<MessagesRead>(aliceSocket, 'messages_read');
      await ask(bobSocket, 'mark_read', { chatId, messageId: newer!.id });
      await ask(bobSocket, 'mark_read', { chatId, messageId: older!.id });
      await ask(bobSocket, 'mark_read', { chatId, messageId: newer!.id });
      await waitFor(() => toAlice.length >= 1, 3_000, 'the first messages_read');
      await sleep(QUIET_MS);
      expect(toAlice.map((r) => r.messageId)).toEqual([newer!.id]);
    });

    it('does not reach sockets that have not joined the chat', async () => {
      const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const notJoined = await connect(server, alice.token);
      const sent = await sendOk(aliceSocket, chatId, 'x');
      const toJoined = collect<MessagesRead>(aliceSocket, 'messages_read');
      const toNotJoined = collect<MessagesRead>(notJoined, 'messages_read');
      await ask(bobSocket, 'mark_read', { chatId, messageId: sent.id });
      await waitFor(() => toJoined.length >= 1, 3_000, 'messages_read to the joined socket');
      await sleep(QUIET_MS);
      expect(toNotJoined).toEqual([]);
    });
  });

  describe('access', () => {
    it('refuses a chat the caller is not a member of, an unknown chat and a malformed id alike', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const sent = await sendOk(aliceSocket, chatId, 'private');
      const stranger = await connect(server, (await registerUser(server, 'stranger')).token);
      expect(await ask(stranger, 'mark_read', { chatId, messageId: sent.id })).toStrictEqual(FORBIDDEN_ANSWER);
      expect(await ask(stranger, 'mark_read', { chatId: UNKNOWN_CHAT_ID, messageId: sent.id })).toStrictEqual(
        FORBIDDEN_ANSWER,
      );
      expect(await ask(stranger, 'mark_read', { chatId: MALFORMED_CHAT_ID, messageId: sent.id })).toStrictEqual(
        FORBIDDEN_ANSWER,
      );
    });

    it('answers NOT_FOUND for a message that is not in the chat: unknown, malformed, or of another chat', async () => {
      const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const otherChat = await createChat(server, alice, [bob], 'other');
      const elsewhere = await sendOk(aliceSocket, otherChat, 'in the other chat');
      for (const messageId of [UNKNOWN_CHAT_ID, 'not-a-message-id', elsewhere.id]) {
        expect(await ask(bobSocket, 'mark_read', { chatId, messageId })).toStrictEqual(UNKNOWN_MESSAGE_ANSWER);
      }
    });

    it('checks membership before the message: a stranger learns nothing about message ids', async () => {
      const { chatId } = await chatPair(server);
      const stranger = await connect(server, (await registerUser(server, 'stranger')).token);
      expect(await ask(stranger, 'mark_read', { chatId, messageId: 'not-a-message-id' })).toStrictEqual(
        FORBIDDEN_ANSWER,
      );
    });
  });

  describe('bad input', () => {
    it.each([
      ['chatId missing', { messageId: UNKNOWN_CHAT_ID }, 'chatId'],
      ['messageId missing', { chatId: UNKNOWN_CHAT_ID }, 'messageId'],
      ['chatId a number', { chatId: 1, messageId: UNKNOWN_CHAT_ID }, 'chatId'],
      ['messageId an object', { chatId: UNKNOWN_CHAT_ID, messageId: { id: 1 } }, 'messageId'],
      ['messageId empty', { chatId: UNKNOWN_CHAT_ID, messageId: '' }, 'messageId'],
      ['messageId oversize', { chatId: UNKNOWN_CHAT_ID, messageId: 'x'.repeat(101) }, 'messageId'],
      ['messageId with a NUL', { chatId: UNKNOWN_CHAT_ID, messageId: `${UNKNOWN_CHAT_ID}\u0000` }, 'messageId'],
      ['chatId with a lone surrogate', { chatId: '\ud83d', messageId: UNKNOWN_CHAT_ID }, 'chatId'],
    ])('refuses %s', async (_, payload, field) => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'mark_read', payload), field);
    });

    it.each(NON_OBJECT_PAYLOADS)('refuses a payload that is %s', async (_, payload) => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'mark_read', payload), undefined);
    });

    it('without a callback the read position still moves, and the socket keeps working', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const sent = await sendOk(aliceSocket, chatId, 'x');
      emitRaw(bobSocket, 'mark_read', { chatId, messageId: sent.id });
      emitRaw(bobSocket, 'mark_read', 'garbage');
      const deadline = Date.now() + 3_000;
      while ((await unreadIn(bobSocket, chatId)) !== 0 && Date.now() < deadline) await sleep(20);
      expect(await unreadIn(bobSocket, chatId)).toBe(0);
    });
  });
});
