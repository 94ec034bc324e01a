import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChatSummary, Message, MessageReactionsEvent, SyncEntry } from '../../src/protocol/types.js';
import { MAX_DISTINCT_REACTIONS } from '../../src/protocol/types.js';
import { api, ask, collect, connect, createChat, registerUser, sleep, useServer } from '../helpers/server.js';
import {
  chatPair,
  DELETED_ANSWER,
  expectValidationError,
  FORBIDDEN_ANSWER,
  history,
  joinOk,
  NON_OBJECT_PAYLOADS,
  QUIET_MS,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
  type ChatPair,
} from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';
import { GAP_WAIT_MS, POSITION_CHECK_MS } from '../../src/realtime/chat-feed.js';

type Socket = ChatPair['aliceSocket'];

/** add_reaction / remove_reaction that must succeed; returns the message answered. */
async function react(socket: Socket, messageId: string, emoji: string, added = true): Promise<Message> {
  const answer = await ask(socket, added ? 'add_reaction' : 'remove_reaction', { messageId, emoji });
  expect(answer).toMatchObject({ success: true, message: { id: messageId } });
  return answer.message;
}

async function syncEntry(socket: Socket, chatId: string, version: number) {
  const answer = await ask(socket, 'sync', { chats: [{ chatId, version }] });
  expect(answer).toMatchObject({ success: true, chats: [{ success: true, chatId }] });
  return answer.chats[0] as Extract<SyncEntry, { success: true }>;
}

async function lastMessageOf(socket: Socket, chatId: string): Promise<Message | undefined> {
  const answer = await ask(socket, 'get_my_chats');
  return (answer.chats as ChatSummary[]).find((chat) => chat.id === chatId)!.messages[0];
}

describe.each(storeTargets.map((t) => t.name))('reactions on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  describe('add_reaction', () => {
    it('answers the message with its reactions after the seed’s fields, taking the chat’s next version', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const message = await sendOk(aliceSocket, chatId, 'react to me');
      const answer = await ask(bobSocket, 'add_reaction', { messageId: message.id, emoji: '👍' });
      expect(answer).toStrictEqual({
        success: true,
        message: { ...message, version: message.version + 1, reactions: [{ emoji: '👍', count: 1, me: true }] },
      });
      expect(Object.keys(answer.message).at(-1)).toBe('reactions');
      // Seen by alice with her own `me`, in order of first reaction.
      await react(aliceSocket, message.id, '🔥');
      await react(aliceSocket, message.id, '👍');
      expect((await history(aliceSocket, { chatId })).messages[0]!.reactions).toStrictEqual([
        { emoji: '👍', count: 2, me: true },
        { emoji: '🔥', count: 1, me: true },
      ]);
      expect((await history(bobSocket, { chatId })).messages[0]!.reactions).toStrictEqual([
        { emoji: '👍', count: 2, me: true },
        { emoji: '🔥', count: 1, me: false },
      ]);
    });

    it('is idempotent: adding twice counts once and takes no second version', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const message = await sendOk(aliceSocket, chatId, 'once');
      const events = collect<MessageReactionsEvent>(aliceSocket, 'message_reactions');
      const first = await react(bobSocket, message.id, '❤️');
      const again = await react(bobSocket, message.id, '❤️');
      const byName = await react(bobSocket, message.id, 'heart');
      const textStyle = await react(bobSocket, message.id, '❤');
      expect(again).toStrictEqual(first);
      expect(byName).toStrictEqual(first);
      expect(textStyle).toStrictEqual(first);
      expect(first.reactions).toStrictEqual([{ emoji: '❤️', count: 1, me: true }]);
      await sleep(QUIET_MS);
      expect(events).toHaveLength(1);
    });

    it('takes short names as their emoji, and emoji of every kind', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const message = await sendOk(aliceSocket, chatId, 'all kinds');
      const emoji = ['+1', '👍🏽', '👨‍👩‍👧‍👦', '🇷🇺', '1️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿'];
      for (const e of emoji) await react(aliceSocket, message.id, e);
      const last = await react(aliceSocket, message.id, 'fire');
      expect(last.reactions!.map((r) => r.emoji)).toEqual(['👍', '👍🏽', '👨‍👩‍👧‍👦', '🇷🇺', '1️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '🔥']);
    });

    it.each([
      ['text', 'a'],
      ['a word that is no short name', 'thumbsup'],
      ['two emoji', '👍👍'],
      ['an emoji and text', '👍a'],
      ['a bare digit', '1'],
      ['a bare skin tone', '🏽'],
      ['a combining mark on an emoji', '👍\u0301'],
      ['NUL', '\u0000'],
      ['a lone surrogate', '\ud83d'],
      ['an empty string', ''],
      ['spaces', '  '],
      ['a number', 42],
      ['null', null],
      ['an array', ['👍']],
      ['an object', { emoji: '👍' }],
      ['a string too long', '👍'.repeat(100)],
      ['an inherited property name', '__proto__'],
    ])('refuses %s as emoji with VALIDATION_ERROR naming emoji, and changes nothing', async (_, emoji) => {
      const { chatId, aliceSocket } = await chatPair(server);
      const message = await sendOk(aliceSocket, chatId, 'no');
      for (const event of ['add_reaction', 'remove_reaction'])
        expectValidationError(await ask(aliceSocket, event, { messageId: message.id, emoji }), 'emoji');
      expect((await history(aliceSocket, { chatId })).messages).toStrictEqual([message]);
    });

    it('refuses missing fields and payloads that are not objects', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const message = await sendOk(aliceSocket, chatId, 'no');
      expectValidationError(await ask(aliceSocket, 'add_reaction', { messageId: message.id }), 'emoji');
      expectValidationError(await ask(aliceSocket, 'add_reaction', { emoji: '👍' }), 'messageId');
      expectValidationError(await ask(aliceSocket, 'add_reaction', { messageId: 42, emoji: '👍' }), 'messageId');
      for (const [, payload] of NON_OBJECT_PAYLOADS)
        expect(await ask(aliceSocket, 'add_reaction', payload)).toMatchObject({ code: 'VALIDATION_ERROR' });
    });

    it(`refuses a new emoji past ${MAX_DISTINCT_REACTIONS} distinct ones, but takes more of those already there`, async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const message = await sendOk(aliceSocket, chatId, 'popular');
      const palette = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗🤩'];
      for (const e of palette.slice(0, MAX_DISTINCT_REACTIONS)) await react(aliceSocket, message.id, e);
      const refused = await ask(bobSocket, 'add_reaction', {
        messageId: message.id,
        emoji: palette[MAX_DISTINCT_REACTIONS],
      });
      expectValidationError(refused, 'emoji');
      const more = await react(bobSocket, message.id, palette[0]!);
      expect(more.reactions).toHaveLength(MAX_DISTINCT_REACTIONS);
      expect(more.reactions![0]).toStrictEqual({ emoji: palette[0], count: 2, me: true });
    });

    it('answers FORBIDDEN alike for an unknown message, another chat’s message and a malformed id; NOT_FOUND for a tombstone', async () => {
      const { chatId, aliceSocket, bob } = await chatPair(server);
      const carol = await registerUser(server, 'carol');
      const carolSocket = await connect(server, carol.token);
      const strangersChat = await createChat(server, bob, [carol], 'not alice’s');
      const strangers = await sendOk(carolSocket, strangersChat, 'private');
      for (const messageId of [randomUUID(), strangers.id, 'not-a-message-id', UNKNOWN_CHAT_ID]) {
        for (const event of ['add_reaction', 'remove_reaction'])
          expect(await ask(aliceSocket, event, { messageId, emoji: '👍' })).toStrictEqual(FORBIDDEN_ANSWER);
      }
      // Nothing changed in the stranger's chat.
      expect((await history(carolSocket, { chatId: strangersChat })).messages).toStrictEqual([strangers]);
      const gone = await sendOk(aliceSocket, chatId, 'gone');
      await ask(aliceSocket, 'delete_message', { messageId: gone.id });
      expect(await ask(aliceSocket, 'add_reaction', { messageId: gone.id, emoji: '👍' })).toStrictEqual(DELETED_ANSWER);
    });

    it('refuses a former member of a group', async () => {
      const [alice, bob, carol] = await Promise.all([
        registerUser(server, 'alice'),
        registerUser(server, 'bob'),
        registerUser(server, 'carol'),
      ]);
      const chatId = await createChat(server, alice, [bob, carol], 'group');
      const [aliceSocket, carolSocket] = await Promise.all([
        connect(server, alice.token),
        connect(server, carol.token),
      ]);
      const message = await sendOk(aliceSocket, chatId, 'hi');
      await api(server, 'DELETE', `/chats/${chatId}/members/me`, { token: carol.token });
      expect(await ask(carolSocket, 'add_reaction', { messageId: message.id, emoji: '👍' })).toStrictEqual(
        FORBIDDEN_ANSWER,
      );
    });
  });

  describe('send_message retried', () => {
    it('answers the original with its reactions as they are now', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const clientMessageId = randomUUID();
      const original = await sendOk(aliceSocket, chatId, 'retried', clientMessageId);
      const reacted = await react(bobSocket, original.id, '👍');
      const retry = await ask(aliceSocket, 'send_message', { chatId, text: 'retried', clientMessageId });
      expect(retry).toStrictEqual({
        success: true,
        message: { ...reacted, reactions: [{ emoji: '👍', count: 1, me: false }] },
      });
    });
  });

  describe('remove_reaction', () => {
    it('takes back only the caller’s own reaction; removing what is not there changes nothing', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const message = await sendOk(aliceSocket, chatId, 'both');
      await react(aliceSocket, message.id, '👍');
      const both = await react(bobSocket, message.id, '👍');
      const events = collect<MessageReactionsEvent>(aliceSocket, 'message_reactions');
      expect(await react(bobSocket, message.id, '🔥', false)).toStrictEqual(both);
      const removed = await react(bobSocket, message.id, '+1', false);
      expect(removed.reactions).toStrictEqual([{ emoji: '👍', count: 1, me: false }]);
      expect(removed.version).toBe(both.version + 1);
      expect(await react(bobSocket, message.id, '👍', false)).toStrictEqual(removed);
      const last = await react(aliceSocket, message.id, '👍', false);
      expect(last).not.toHaveProperty('reactions');
      await waitFor(() => events.length >= 2, 3_000, 'message_reactions');
      await sleep(QUIET_MS);
      expect(events.map((e) => [e.added, e.reactions])).toStrictEqual([
        [false, [{ emoji: '👍', count: 1 }]],
        [false, []],
      ]);
    });
  });

  describe('message_reactions', () => {
    it('reaches the chat’s sockets in version order with the message events, without `me`', async () => {
      const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const delivered = collect<Message>(bobSocket, 'new_message');
      const message = await sendOk(aliceSocket, chatId, 'watch');
      await waitFor(() => delivered.length >= 1, 3_000, 'new_message');
      const seen: [string, unknown][] = [];
      bobSocket.onAny((event: string, payload: unknown) => seen.push([event, payload]));
      const added = await react(aliceSocket, message.id, '🎉');
      const edited = await ask(aliceSocket, 'edit_message', { messageId: message.id, text: 'watched' });
      await react(bobSocket, message.id, '🎉');
      await react(aliceSocket, message.id, '🎉', false);
      await waitFor(() => seen.length >= 4, 3_000, 'four events');
      expect(seen).toStrictEqual([
        [
          'message_reactions',
          {
            chatId,
            messageId: message.id,
            version: added.version,
            reactions: [{ emoji: '🎉', count: 1 }],
            userId: alice.user.id,
            emoji: '🎉',
            added: true,
          },
        ],
        // A broadcast message carries no `me`.
        ['message_updated', { ...edited.message, reactions: [{ emoji: '🎉', count: 1 }] }],
        [
          'message_reactions',
          expect.objectContaining({
            version: added.version + 2,
            userId: bob.user.id,
            added: true,
            reactions: [{ emoji: '🎉', count: 2 }],
          }),
        ],
        [
          'message_reactions',
          expect.objectContaining({
            version: added.version + 3,
            userId: alice.user.id,
            added: false,
            reactions: [{ emoji: '🎉', count: 1 }],
          }),
        ],
      ]);
      expect(edited.message.reactions).toStrictEqual([{ emoji: '🎉', count: 1, me: true }]);
    });
  });

  describe('POST and DELETE /messages/:id/reactions/:emoji', () => {
    it('react as the events do, broadcast alike, with the same refusals', async () => {
      const { alice, bob, chatId, aliceSocket } = await chatPair(server, { join: true });
      const message = await sendOk(aliceSocket, chatId, 'over http');
      const events = collect<MessageReactionsEvent>(aliceSocket, 'message_reactions');
      const path = (emoji: string, id = message.id) => `/messages/${id}/reactions/${encodeURIComponent(emoji)}`;
      const added = await api(server, 'POST', path('+1'), { token: bob.token });
      expect(added.status).toBe(200);
      expect(added.body).toStrictEqual({
        success: true,
        message: { ...message, version: message.version + 1, reactions: [{ emoji: '👍', count: 1, me: true }] },
      });
      expect((await api(server, 'POST', path('👍'), { token: bob.token })).body).toStrictEqual(added.body);
      await waitFor(() => events.length >= 1, 3_000, 'message_reactions');
      expect(events[0]).toMatchObject({ userId: bob.user.id, emoji: '👍', added: true });
      const removed = await api(server, 'DELETE', path('👍'), { token: bob.token });
      expect(removed.body.message).not.toHaveProperty('reactions');
      const refused = await api(server, 'POST', path('no'), { token: bob.token });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'emoji' });
      const stranger = await registerUser(server, 'mallory');
      for (const [token, id] of [
        [stranger.token, message.id],
        [alice.token, randomUUID()],
        [alice.token, 'junk'],
      ] as const) {
        const answer = await api(server, 'POST', path('👍', id), { token });
        expect([answer.status, answer.body]).toStrictEqual([403, FORBIDDEN_ANSWER]);
      }
      await ask(aliceSocket, 'delete_message', { messageId: message.id });
      const gone = await api(server, 'POST', path('👍'), { token: bob.token });
      expect([gone.status, gone.body]).toStrictEqual([404, DELETED_ANSWER]);
    });
  });

  describe('message_reactions across gaps', () => {
    it('a reaction whose broadcast was lost comes as message_updated in its current state; one ahead of a gap waits for it', async () => {
      const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const delivered = collect<Message>(bobSocket, 'new_message');
      const message = await sendOk(aliceSocket, chatId, 'gappy');
      await waitFor(() => delivered.length >= 1, 3_000, 'new_message');
      const seen: [string, { version: number; reactions?: unknown }][] = [];
      bobSocket.onAny((event: string, payload: { version: number }) => seen.push([event, payload]));
      // Stored behind the chat service's back: nothing publishes it, as when a node dies after COMMIT.
      await server.app.store.marks.react(message.id, alice.user.id, '🔥', true, MAX_DISTINCT_REACTIONS);
      await react(bobSocket, message.id, '👀');
      await waitFor(() => seen.length >= 1, GAP_WAIT_MS + POSITION_CHECK_MS + 2_000, 'the filled gap');
      await sleep(QUIET_MS);
      // The reaction held behind the gap is in the filled state already: it is not sent again.
      expect(seen).toStrictEqual([
        [
          'message_updated',
          {
            ...message,
            version: message.version + 2,
            reactions: [
              { emoji: '🔥', count: 1 },
              { emoji: '👀', count: 1 },
            ],
          },
        ],
      ]);
    });
  });

  describe('sync, join_chat and the chat list', () => {
    it('give a client that was away the current reactions, `me` its own, and none on a deleted message', async () => {
      const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const kept = await sendOk(aliceSocket, chatId, 'kept');
      const doomed = await sendOk(aliceSocket, chatId, 'doomed');
      await react(bobSocket, kept.id, '👀');
      const before = (await syncEntry(bobSocket, chatId, 0)).version;
      bobSocket.disconnect();
      await react(aliceSocket, kept.id, '👀');
      await react(aliceSocket, doomed.id, '😢');
      await ask(aliceSocket, 'delete_message', { messageId: doomed.id });

      const back = await connect(server, bob.token);
      const entry = await syncEntry(back, chatId, before);
      expect(entry.messages.map((m) => [m.id, m.reactions])).toStrictEqual([
        [kept.id, [{ emoji: '👀', count: 2, me: true }]],
        [doomed.id, undefined],
      ]);
      const joined = await joinOk(back, chatId);
      expect(joined[0]!.reactions).toStrictEqual([{ emoji: '👀', count: 2, me: true }]);
      expect(joined[1]).not.toHaveProperty('reactions');
      const http = await api(server, 'GET', `/chats/${chatId}/messages`, { token: alice.token });
      expect(http.body.messages[0].reactions).toStrictEqual([{ emoji: '👀', count: 2, me: true }]);
      // The chat list's last message: the tombstone, without its reactions; then a live one with them.
      expect(await lastMessageOf(back, chatId)).not.toHaveProperty('reactions');
      const last = await sendOk(aliceSocket, chatId, 'last');
      await react(aliceSocket, last.id, 'ok');
      expect((await lastMessageOf(back, chatId))!.reactions).toStrictEqual([{ emoji: '👌', count: 1, me: false }]);
      expect((await lastMessageOf(aliceSocket, chatId))!.reactions).toStrictEqual([
        { emoji: '👌', count: 1, me: true },
      ]);
    });

    it('give every chat summary’s last message its reactions as its reader sees them, chat_created too', async () => {
      const [alice, bob, carol] = await Promise.all([
        registerUser(server, 'alice'),
        registerUser(server, 'bob'),
        registerUser(server, 'carol'),
      ]);
      const chatId = await createChat(server, alice, [bob], 'reacted');
      const [aliceSocket, bobSocket, carolSocket] = await Promise.all([
        connect(server, alice.token),
        connect(server, bob.token),
        connect(server, carol.token),
      ]);
      const last = await sendOk(aliceSocket, chatId, 'last');
      await react(bobSocket, last.id, '👍');
      const created = collect<{ chat: ChatSummary }>(carolSocket, 'chat_created');
      const added = await api(server, 'POST', `/chats/${chatId}/members`, {
        token: bob.token,
        body: { userIds: [carol.user.id] },
      });
      expect(added.body.chat.messages[0].reactions).toStrictEqual([{ emoji: '👍', count: 1, me: true }]);
      await waitFor(() => created.length >= 1, 3_000, 'chat_created');
      expect(created[0]!.chat.messages[0]!.reactions).toStrictEqual([{ emoji: '👍', count: 1, me: false }]);
      const renamed = await api(server, 'PATCH', `/chats/${chatId}`, { token: alice.token, body: { name: 'renamed' } });
      expect(renamed.body.chat.messages[0].reactions).toStrictEqual([{ emoji: '👍', count: 1, me: false }]);
    });

    it('keep a deleted account’s reactions counted', async () => {
      const { bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const message = await sendOk(aliceSocket, chatId, 'liked');
      await react(bobSocket, message.id, '👍');
      const deleted = await api(server, 'DELETE', '/users/me', { token: bob.token, body: { password: bob.password } });
      expect(deleted.status).toBeLessThan(300);
      expect((await history(aliceSocket, { chatId })).messages[0]!.reactions).toStrictEqual([
        { emoji: '👍', count: 1, me: false },
      ]);
    });
  });
});
