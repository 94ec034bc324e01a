import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChatSummary, Message, SyncEntry } from '../../src/protocol/types.js';
import { api, ask, collect, connect, createChat, registerUser, useServer } from '../helpers/server.js';
import {
  chatPair,
  expectValidationError,
  FORBIDDEN_ANSWER,
  history,
  joinOk,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
  type ChatPair,
} from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

/** The one answer for a replyTo that is not a message of the chat, wherever else it may exist. */
const UNKNOWN_TARGET_ANSWER = Object.freeze({
  success: false,
  error: 'Сообщение не найдено в этом чате',
  code: 'NOT_FOUND',
  field: 'replyTo',
});

/** send_message with a replyTo, which must succeed. */
async function replyOk(socket: ChatPair['aliceSocket'], chatId: string, text: string, replyTo: string) {
  const answer = await ask(socket, 'send_message', { chatId, text, replyTo });
  expect(answer).toMatchObject({ success: true, message: { chatId, replyTo: { id: replyTo } } });
  return answer.message as Message;
}

/** The quote a reply to `target` carries while the target is live. */
const quoteOf = (target: Message) => ({ id: target.id, text: target.text, user: target.user });

async function myChats(socket: ChatPair['aliceSocket']): Promise<ChatSummary[]> {
  const answer = await ask(socket, 'get_my_chats');
  expect(answer).toMatchObject({ success: true });
  return answer.chats;
}

async function syncEntry(socket: ChatPair['aliceSocket'], chatId: string, version: number) {
  const answer = await ask(socket, 'sync', { chats: [{ chatId, version }] });
  expect(answer).toMatchObject({ success: true, chats: [{ success: true, chatId }] });
  return answer.chats[0] as Extract<SyncEntry, { success: true }>;
}

describe.each(storeTargets.map((t) => t.name))('replies on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  describe('send_message with replyTo', () => {
    it('answers the reply with the quote after the seed’s fields; a message without one keeps its exact shape', async () => {
      const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const target = await sendOk(aliceSocket, chatId, 'the question');
      const answer = await ask(bobSocket, 'send_message', { chatId, text: 'the answer', replyTo: target.id });
      expect(answer).toStrictEqual({
        success: true,
        message: {
          id: expect.any(String),
          text: 'the answer',
          sender: bob.user.id,
          chatId,
          createdAt: expect.any(String),
          user: bob.user,
          seq: 2,
          version: 2,
          replyTo: { id: target.id, text: 'the question', user: alice.user },
        },
      });
      // The quote comes last; without one, the fields are exactly the others, in the same order.
      const keys = Object.keys(answer.message);
      expect(keys.at(-1)).toBe('replyTo');
      for (const replyTo of [null, undefined]) {
        const plain = await ask(aliceSocket, 'send_message', { chatId, text: 'no reply', replyTo });
        expect(plain.success).toBe(true);
        expect(Object.keys(plain.message)).toEqual(keys.slice(0, -1));
      }
    });

    it('quotes the first 200 characters (code points) of the target', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const long = `${'😀'.repeat(150)}${'я'.repeat(150)}`;
      const target = await sendOk(aliceSocket, chatId, long);
      const reply = await replyOk(aliceSocket, chatId, 'long one', target.id);
      expect(reply.replyTo!.text).toBe(`${'😀'.repeat(150)}${'я'.repeat(50)}`);
    });

    it('takes the id in any case, and a reply to a reply', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const first = await sendOk(aliceSocket, chatId, 'first');
      const second = await replyOk(bobSocket, chatId, 'second', first.id);
      const answer = await ask(aliceSocket, 'send_message', {
        chatId,
        text: 'third',
        replyTo: second.id.toUpperCase(),
      });
      expect(answer.message.replyTo).toStrictEqual(quoteOf(second));
    });

    it.each([
      ['a number', 42],
      ['an object', { id: UNKNOWN_CHAT_ID }],
      ['an array', [UNKNOWN_CHAT_ID]],
      ['a boolean', true],
      ['an empty string', ''],
      ['not a uuid', 'not-a-message-id'],
      ['a string too long', `${UNKNOWN_CHAT_ID}${'0'.repeat(1_000)}`],
    ])('refuses replyTo as %s with VALIDATION_ERROR naming replyTo, and stores nothing', async (_, replyTo) => {
      const { chatId, aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'send_message', { chatId, text: 'x', replyTo }), 'replyTo');
      expect((await history(aliceSocket, { chatId })).messages).toEqual([]);
    });

    it('answers one NOT_FOUND for an unknown id, a message of another chat of the caller’s and one of a chat they are not in', async () => {
      const { alice, bob, chatId, aliceSocket } = await chatPair(server);
      const carol = await registerUser(server, 'carol');
      const otherChat = await createChat(server, alice, [carol], 'other');
      const inOtherChat = await sendOk(aliceSocket, otherChat, 'elsewhere');
      const strangersChat = await createChat(server, bob, [carol], 'not alice’s');
      const carolSocket = await connect(server, carol.token);
      const strangers = await sendOk(carolSocket, strangersChat, 'private');
      const deletedElsewhere = await sendOk(carolSocket, strangersChat, 'deleted elsewhere');
      await ask(carolSocket, 'delete_message', { messageId: deletedElsewhere.id });
      for (const replyTo of [randomUUID(), inOtherChat.id, strangers.id, deletedElsewhere.id]) {
        expect(await ask(aliceSocket, 'send_message', { chatId, text: 'x', replyTo })).toStrictEqual(
          UNKNOWN_TARGET_ANSWER,
        );
      }
      expect((await history(aliceSocket, { chatId })).messages).toEqual([]);
    });

    it('answers FORBIDDEN first for a chat the caller is not in, whatever replyTo names', async () => {
      const { chatId, bobSocket } = await chatPair(server);
      const target = await sendOk(bobSocket, chatId, 'mine');
      const stranger = await connect(server, (await registerUser(server, 'mallory')).token);
      for (const [chat, replyTo] of [
        [chatId, target.id],
        [chatId, randomUUID()],
        [UNKNOWN_CHAT_ID, target.id],
      ]) {
        expect(await ask(stranger, 'send_message', { chatId: chat, text: 'x', replyTo })).toStrictEqual(
          FORBIDDEN_ANSWER,
        );
      }
    });

    it('refuses a reply to a deleted message with NOT_FOUND, but answers a retry of a reply stored before the deletion', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const target = await sendOk(aliceSocket, chatId, 'soon gone');
      const clientMessageId = randomUUID();
      const original = await ask(bobSocket, 'send_message', { chatId, text: 'r', replyTo: target.id, clientMessageId });
      await ask(aliceSocket, 'delete_message', { messageId: target.id });
      expect(await ask(bobSocket, 'send_message', { chatId, text: 'late', replyTo: target.id })).toStrictEqual({
        success: false,
        error: 'Сообщение удалено',
        code: 'NOT_FOUND',
        field: 'replyTo',
      });
      const retry = await ask(bobSocket, 'send_message', { chatId, text: 'r', replyTo: target.id, clientMessageId });
      expect(retry.message).toMatchObject({ id: original.message.id, replyTo: { id: target.id, text: '' } });
      expect((await history(bobSocket, { chatId })).messages).toHaveLength(2);
    });
  });

  describe('new_message', () => {
    it('carries the quote, the same object as the answer', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const target = await sendOk(aliceSocket, chatId, 'ping');
      const toAlice = collect<Message>(aliceSocket, 'new_message');
      const reply = await replyOk(bobSocket, chatId, 'pong', target.id);
      await waitFor(() => toAlice.length >= 1, 3_000, 'new_message');
      expect(toAlice).toStrictEqual([reply]);
      expect(reply.replyTo).toStrictEqual(quoteOf(target));
    });
  });

  describe('edit_message and delete_message of the target', () => {
    it('show in every reply read afterwards: the new text after an edit, the tombstone after a deletion', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const target = await sendOk(aliceSocket, chatId, 'before');
      const reply = await replyOk(bobSocket, chatId, 'reply', target.id);
      const edited = await ask(aliceSocket, 'edit_message', { messageId: target.id, text: 'after' });
      expect(edited.message).not.toHaveProperty('replyTo');
      expect((await history(bobSocket, { chatId })).messages[1]!.replyTo).toStrictEqual({
        ...quoteOf(target),
        text: 'after',
      });
      const updates = collect<Message>(bobSocket, 'message_deleted');
      const deleted = await ask(aliceSocket, 'delete_message', { messageId: target.id });
      await waitFor(() => updates.length >= 1, 3_000, 'message_deleted');
      // The event tells clients to show the tombstone in the quotes of the replies they hold.
      expect(updates[0]).toMatchObject({ id: target.id, text: '', deletedAt: deleted.message.deletedAt });
      expect((await history(bobSocket, { chatId })).messages[1]).toStrictEqual({
        ...reply,
        replyTo: { ...quoteOf(target), text: '', deletedAt: deleted.message.deletedAt },
      });
    });

    it('answer a reply’s edit with its quote as it is now; a deleted reply shows no quote', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const target = await sendOk(aliceSocket, chatId, 'target');
      const reply = await replyOk(bobSocket, chatId, 'reply', target.id);
      await ask(aliceSocket, 'edit_message', { messageId: target.id, text: 'target, edited' });
      const edited = await ask(bobSocket, 'edit_message', { messageId: reply.id, text: 'reply, edited' });
      expect(edited.message.replyTo).toStrictEqual({ ...quoteOf(target), text: 'target, edited' });
      const deleted = await ask(bobSocket, 'delete_message', { messageId: reply.id });
      expect(deleted.message).toMatchObject({ id: reply.id, text: '' });
      expect(deleted.message).not.toHaveProperty('replyTo');
      expect((await history(bobSocket, { chatId })).messages[1]).not.toHaveProperty('replyTo');
    });
  });

  describe('get_chat_messages and join_chat', () => {
    it('carry the quote; messages without a reply have none', async () => {
      const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const target = await sendOk(aliceSocket, chatId, 'hello');
      const reply = await replyOk(bobSocket, chatId, 'hi', target.id);
      const { messages } = await history(aliceSocket, { chatId });
      expect(messages).toStrictEqual([target, reply]);
      expect(messages[0]).not.toHaveProperty('replyTo');
      expect(await joinOk(aliceSocket, chatId)).toStrictEqual([target, reply]);
      const http = await api(server, 'GET', `/chats/${chatId}/messages`, { token: alice.token });
      expect(http.body.messages).toStrictEqual([target, reply]);
    });
  });

  describe('get_my_chats and GET /chats', () => {
    it('show the last message’s quote as the target is now, after its edit and its deletion', async () => {
      const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const target = await sendOk(aliceSocket, chatId, 'original');
      const reply = await replyOk(bobSocket, chatId, 'last', target.id);
      const lastOf = async () => (await myChats(aliceSocket)).find((chat) => chat.id === chatId)!.messages;
      expect(await lastOf()).toStrictEqual([reply]);
      await ask(aliceSocket, 'edit_message', { messageId: target.id, text: 'changed' });
      expect((await lastOf())[0]!.replyTo).toStrictEqual({ ...quoteOf(target), text: 'changed' });
      const deleted = await ask(aliceSocket, 'delete_message', { messageId: target.id });
      const tombstone = { ...quoteOf(target), text: '', deletedAt: deleted.message.deletedAt };
      expect((await lastOf())[0]).toStrictEqual({ ...reply, replyTo: tombstone });
      const http = await api(server, 'GET', '/chats', { token: alice.token });
      expect(http.body.chats.find((chat: ChatSummary) => chat.id === chatId).messages).toStrictEqual([
        { ...reply, replyTo: tombstone },
      ]);
    });

    it('quote each chat’s own last reply, with chats whose last message is no reply beside them', async () => {
      const [alice, bob, carol] = await Promise.all([
        registerUser(server, 'alice'),
        registerUser(server, 'bob'),
        registerUser(server, 'carol'),
      ]);
      const aliceSocket = await connect(server, alice.token);
      const chats = await Promise.all([createChat(server, alice, [bob]), createChat(server, alice, [carol])]);
      const plain = await createChat(server, alice, [bob, carol], 'plain');
      const replies: Message[] = [];
      for (const [i, chatId] of chats.entries()) {
        const target = await sendOk(aliceSocket, chatId, `target ${i}`);
        replies.push(await replyOk(aliceSocket, chatId, `reply ${i}`, target.id));
      }
      const last = await sendOk(aliceSocket, plain, 'no reply');
      const listed = new Map((await myChats(aliceSocket)).map((chat) => [chat.id, chat.messages]));
      expect(listed.get(chats[0])).toStrictEqual([replies[0]]);
      expect(listed.get(chats[1])).toStrictEqual([replies[1]]);
      expect(listed.get(plain)).toStrictEqual([last]);
    });
  });

  describe('sync', () => {
    it('gives a client that was away no deleted text anywhere, quotes included; replies carry the quote as it is now', async () => {
      const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const secret = await sendOk(aliceSocket, chatId, 'the secret that gets deleted');
      const draft = await sendOk(aliceSocket, chatId, 'the draft before its edit');
      const before = (await myChats(bobSocket)).find((chat) => chat.id === chatId)!.version;
      bobSocket.disconnect();
      const toSecret = await replyOk(aliceSocket, chatId, 'about the secret', secret.id);
      const toDraft = await replyOk(aliceSocket, chatId, 'about the draft', draft.id);
      await ask(aliceSocket, 'delete_message', { messageId: secret.id });
      await ask(aliceSocket, 'edit_message', { messageId: draft.id, text: 'the draft now' });

      const back = await connect(server, bob.token);
      const seen: unknown[] = [];
      back.onAny((...args) => seen.push(args));
      const entry = await syncEntry(back, chatId, before);
      seen.push(entry);
      expect(entry.messages.map((m) => m.id)).toEqual([toSecret.id, toDraft.id, secret.id, draft.id]);
      expect(entry.messages[0]!.replyTo).toStrictEqual({
        ...quoteOf(secret),
        text: '',
        deletedAt: entry.messages[2]!.deletedAt,
      });
      expect(entry.messages[1]!.replyTo).toStrictEqual({ ...quoteOf(draft), text: 'the draft now' });
      seen.push(await syncEntry(back, chatId, 0));
      seen.push(await joinOk(back, chatId));
      seen.push(await myChats(back));
      seen.push(await history(back, { chatId }));
      for (const path of [`/chats/${chatId}/messages`, '/chats'])
        seen.push((await api(server, 'GET', path, { token: bob.token })).body);
      seen.push(
        (await api(server, 'POST', '/sync', { token: alice.token, body: { chats: [{ chatId, version: 0 }] } })).body,
      );
      const everything = JSON.stringify(seen);
      expect(everything).toContain('the draft now');
      expect(everything).not.toContain('the secret that gets deleted');
      expect(everything).not.toContain('the draft before its edit');
    });
  });
});
