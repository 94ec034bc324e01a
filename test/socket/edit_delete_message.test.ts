import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { ask, collect, connect, registerUser, sleep, useServer } from '../helpers/server.js';
import {
  chatPair,
  emitRaw,
  expectValidationError,
  FORBIDDEN_ANSWER,
  history,
  idsOf,
  ISO_MS,
  joinOk,
  NON_OBJECT_PAYLOADS,
  QUIET_MS,
  sendMany,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
} from '../helpers/socket-fixtures.js';

const NOT_AUTHOR_ANSWER = Object.freeze({
  success: false,
  error: 'Изменять и удалять можно только свои сообщения',
  code: 'FORBIDDEN',
});

/** The seed's fields first, then the ones added to every message (contract §3). */
const MESSAGE_KEYS = ['id', 'text', 'sender', 'chatId', 'createdAt', 'user', 'seq', 'version'];

describe('edit_message and delete_message', () => {
  const server = useServer();

  describe('edit_message', () => {
    it('answers the message with the new (trimmed) text and editedAt; id, createdAt and author stay', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const sent = await sendOk(aliceSocket, chatId, 'typo');
      expect(Object.keys(sent)).toEqual(MESSAGE_KEYS);
      expect(sent).toMatchObject({ seq: 1, version: 1 });

      const answer = await ask(aliceSocket, 'edit_message', { messageId: sent.id, text: '  fixed  ' });
      // The edit is the chat's next change: version 2; the position (seq) stays.
      expect(answer).toStrictEqual({
        success: true,
        message: { ...sent, text: 'fixed', version: 2, editedAt: expect.stringMatching(ISO_MS) },
      });
      expect(Object.keys(answer.message)).toEqual([...MESSAGE_KEYS, 'editedAt']);
      expect(Date.parse(answer.message.editedAt)).toBeGreaterThanOrEqual(Date.parse(sent.createdAt));
    });

    it('sends message_updated to every socket in the chat, the editor’s included; history and the chat list show the edit', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const [first, second] = await sendMany(aliceSocket, chatId, 2);
      const toBob = collect<Message>(bobSocket, 'message_updated');
      const toAlice = collect<Message>(aliceSocket, 'message_updated');

      const { message: edited } = await ask(aliceSocket, 'edit_message', { messageId: second!.id, text: 'edited' });
      expect(edited).toMatchObject({ seq: 2, version: 3 });
      await waitFor(() => toBob.length >= 1 && toAlice.length >= 1, 3_000, 'message_updated');
      expect(toBob).toStrictEqual([edited]);
      expect(toAlice).toStrictEqual([edited]);

      expect((await history(bobSocket, { chatId })).messages).toStrictEqual([first, edited]);
      const chats = await ask(bobSocket, 'get_my_chats');
      expect(chats.chats.find((c: { id: string }) => c.id === chatId).messages).toStrictEqual([edited]);
    });

    it('can edit again; the latest text and editedAt win', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const sent = await sendOk(aliceSocket, chatId, 'v1');
      const one = await ask(aliceSocket, 'edit_message', { messageId: sent.id, text: 'v2' });
      await sleep(5);
      const two = await ask(aliceSocket, 'edit_message', { messageId: sent.id, text: 'v3' });
      expect(two.message.text).toBe('v3');
      expect([sent.version, one.message.version, two.message.version]).toEqual([1, 2, 3]);
      expect(Date.parse(two.message.editedAt)).toBeGreaterThan(Date.parse(one.message.editedAt));
      expect((await history(aliceSocket, { chatId })).messages).toStrictEqual([two.message]);
    });

    it('applies the send_message text rules', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const sent = await sendOk(aliceSocket, chatId, 'original');
      expectValidationError(await ask(aliceSocket, 'edit_message', { messageId: sent.id, text: '   ' }), 'text');
      expectValidationError(
        await ask(aliceSocket, 'edit_message', { messageId: sent.id, text: 'x'.repeat(4001) }),
        'text',
      );
      expect((await history(aliceSocket, { chatId })).messages).toStrictEqual([sent]);
      // Exactly the maximum is fine (code points: an emoji counts as one).
      const max = await ask(aliceSocket, 'edit_message', { messageId: sent.id, text: '😀'.repeat(4000) });
      expect(max.success).toBe(true);
    });
  });

  describe('delete_message', () => {
    it('answers the tombstone: same id and createdAt, text "", deletedAt', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const sent = await sendOk(aliceSocket, chatId, 'regret');
      expect(await ask(aliceSocket, 'delete_message', { messageId: sent.id })).toStrictEqual({
        success: true,
        message: { ...sent, text: '', version: 2, deletedAt: expect.stringMatching(ISO_MS) },
      });
    });

    it('sends message_deleted to the chat; the tombstone keeps its place in history and hides the text', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const sent = await sendMany(aliceSocket, chatId, 3);
      const toBob = collect<Message>(bobSocket, 'message_deleted');
      const { message: tombstone } = await ask(aliceSocket, 'delete_message', { messageId: sent[1]!.id });
      expect(tombstone).toMatchObject({ seq: 2, version: 4 });
      await waitFor(() => toBob.length >= 1, 3_000, 'message_deleted');
      expect(toBob).toStrictEqual([tombstone]);

      const page = await history(bobSocket, { chatId });
      expect(idsOf(page.messages)).toEqual(idsOf(sent));
      expect(page.messages[1]).toStrictEqual(tombstone);
      expect(JSON.stringify(page)).not.toContain('message 1');
      // Keyset pagination still works around and from the tombstone.
      expect(idsOf((await history(bobSocket, { chatId, after: tombstone.id })).messages)).toEqual([sent[2]!.id]);
      expect(idsOf(await joinOk(bobSocket, chatId))).toEqual(idsOf(sent));
    });

    it('a deleted message is not unread', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const [, second] = await sendMany(aliceSocket, chatId, 2);
      await ask(aliceSocket, 'delete_message', { messageId: second!.id });
      const chats = await ask(bobSocket, 'get_my_chats');
      expect(chats.chats.find((c: { id: string }) => c.id === chatId).unreadCount).toBe(1);
    });

    it('deleting again answers the same tombstone and broadcasts nothing; a tombstone cannot be edited', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const sent = await sendOk(aliceSocket, chatId, 'gone');
      const toBob = collect<Message>(bobSocket, 'message_deleted');
      const first = await ask(aliceSocket, 'delete_message', { messageId: sent.id });
      expect(await ask(aliceSocket, 'delete_message', { messageId: sent.id })).toStrictEqual(first);
      expect(await ask(aliceSocket, 'edit_message', { messageId: sent.id, text: 'back' })).toStrictEqual({
        success: false,
        error: 'Сообщение удалено',
        code: 'NOT_FOUND',
        field: 'messageId',
      });
      await waitFor(() => toBob.length >= 1, 3_000, 'message_deleted');
      await sleep(QUIET_MS);
      expect(toBob).toHaveLength(1);
    });
  });

  describe('access', () => {
    it('another member cannot edit or delete someone else’s message, and nothing changes or is broadcast', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const sent = await sendOk(aliceSocket, chatId, 'mine');
      const updates = collect<Message>(aliceSocket, 'message_updated');
      const deletes = collect<Message>(aliceSocket, 'message_deleted');
      expect(await ask(bobSocket, 'edit_message', { messageId: sent.id, text: 'hijack' })).toStrictEqual(
        NOT_AUTHOR_ANSWER,
      );
      expect(await ask(bobSocket, 'delete_message', { messageId: sent.id })).toStrictEqual(NOT_AUTHOR_ANSWER);
      await sleep(QUIET_MS);
      expect(updates).toEqual([]);
      expect(deletes).toEqual([]);
      expect((await history(aliceSocket, { chatId })).messages).toStrictEqual([sent]);
    });

    it('a message of a chat the caller is not in, an unknown id and a malformed id all answer the seed’s “no access”', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const sent = await sendOk(aliceSocket, chatId, 'private');
      const stranger = await connect(server, (await registerUser(server, 'stranger')).token);
      for (const messageId of [sent.id, UNKNOWN_CHAT_ID, 'not-a-message-id']) {
        expect(await ask(stranger, 'edit_message', { messageId, text: 'x' })).toStrictEqual(FORBIDDEN_ANSWER);
        expect(await ask(stranger, 'delete_message', { messageId })).toStrictEqual(FORBIDDEN_ANSWER);
      }
      // The author gets the same answer for an unknown id.
      expect(await ask(aliceSocket, 'delete_message', { messageId: UNKNOWN_CHAT_ID })).toStrictEqual(FORBIDDEN_ANSWER);
      expect((await history(aliceSocket, { chatId })).messages).toStrictEqual([sent]);
    });
  });

  describe('bad input', () => {
    it.each([
      ['edit_message', 'messageId missing', { text: 'x' }, 'messageId'],
      ['edit_message', 'text missing', { messageId: UNKNOWN_CHAT_ID }, 'text'],
      ['edit_message', 'text a number', { messageId: UNKNOWN_CHAT_ID, text: 5 }, 'text'],
      ['edit_message', 'messageId a number', { messageId: 5, text: 'x' }, 'messageId'],
      ['edit_message', 'messageId oversize', { messageId: 'x'.repeat(101), text: 'x' }, 'messageId'],
      ['edit_message', 'text with NUL', { messageId: UNKNOWN_CHAT_ID, text: 'a\u0000b' }, 'text'],
      ['delete_message', 'messageId missing', {}, 'messageId'],
      ['delete_message', 'messageId null', { messageId: null }, 'messageId'],
      ['delete_message', 'messageId empty', { messageId: '' }, 'messageId'],
    ])('%s refuses %s', async (event, _, payload, field) => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, event, payload), field);
    });

    it.each(NON_OBJECT_PAYLOADS)('both refuse a payload that is %s', async (_, payload) => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'edit_message', payload), undefined);
      expectValidationError(await ask(aliceSocket, 'delete_message', payload), undefined);
    });

    it('without a callback the edit and the delete still happen', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const [a, b] = await sendMany(aliceSocket, chatId, 2);
      const updates = collect<Message>(bobSocket, 'message_updated');
      const deletes = collect<Message>(bobSocket, 'message_deleted');
      emitRaw(aliceSocket, 'edit_message', { messageId: a!.id, text: 'no ack edit' });
      emitRaw(aliceSocket, 'delete_message', { messageId: b!.id });
      emitRaw(aliceSocket, 'delete_message', 42);
      await waitFor(() => updates.length >= 1 && deletes.length >= 1, 3_000, 'both broadcasts');
      const page = await history(aliceSocket, { chatId });
      expect(page.messages.map((m) => m.text)).toEqual(['no ack edit', '']);
    });
  });
});
