import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChatPinsEvent, ChatSummary, Message, SyncEntry } from '../../src/protocol/types.js';
import { MAX_PINS_PER_CHAT } from '../../src/protocol/types.js';
import { api, ask, collect, connect, createChat, registerUser, sleep, useServer } from '../helpers/server.js';
import {
  chatPair,
  DELETED_ANSWER,
  expectValidationError,
  FORBIDDEN_ANSWER,
  history,
  ISO_MS,
  joinOk,
  MALFORMED_CHAT_ID,
  NON_OBJECT_PAYLOADS,
  QUIET_MS,
  sendMany,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
  type ChatPair,
} from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

type Socket = ChatPair['aliceSocket'];

/** pin_message / unpin_message that must succeed; returns the message answered. */
async function pin(socket: Socket, messageId: string, pinned = true): Promise<Message> {
  const answer = await ask(socket, pinned ? 'pin_message' : 'unpin_message', { messageId });
  expect(answer).toMatchObject({ success: true, message: { id: messageId } });
  return answer.message;
}

async function pinned(socket: Socket, chatId: string): Promise<Message[]> {
  const answer = await ask(socket, 'get_pinned_messages', { chatId });
  expect(answer).toStrictEqual({ success: true, messages: expect.any(Array) });
  return answer.messages;
}

async function syncEntry(socket: Socket, chatId: string, version: number) {
  const answer = await ask(socket, 'sync', { chats: [{ chatId, version }] });
  expect(answer).toMatchObject({ success: true, chats: [{ success: true, chatId }] });
  return answer.chats[0] as Extract<SyncEntry, { success: true }>;
}

describe.each(storeTargets.map((t) => t.name))('pins on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  describe('pin_message', () => {
    it('answers the message with pinnedAt and pinnedBy, taking the chat’s next version; any member may pin', async () => {
      const { bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const message = await sendOk(aliceSocket, chatId, 'pin me');
      const answer = await ask(bobSocket, 'pin_message', { messageId: message.id });
      expect(answer).toStrictEqual({
        success: true,
        message: {
          ...message,
          version: message.version + 1,
          pinnedAt: expect.stringMatching(ISO_MS),
          pinnedBy: bob.user.id,
        },
      });
      expect(Object.keys(answer.message).slice(-2)).toEqual(['pinnedAt', 'pinnedBy']);
      expect((await history(aliceSocket, { chatId })).messages).toStrictEqual([answer.message]);
    });

    it('is idempotent: pinning a pinned message changes nothing and takes no version', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const message = await sendOk(aliceSocket, chatId, 'once');
      const events = collect<ChatPinsEvent>(bobSocket, 'chat_pins');
      const first = await pin(aliceSocket, message.id);
      expect(await pin(bobSocket, message.id)).toStrictEqual(first);
      expect(await ask(aliceSocket, 'pin_message', { messageId: message.id.toUpperCase() })).toStrictEqual({
        success: true,
        message: first,
      });
      await sleep(QUIET_MS);
      expect(events).toHaveLength(1);
    });

    it('refuses wrong types and missing fields with VALIDATION_ERROR', async () => {
      const { aliceSocket } = await chatPair(server);
      for (const event of ['pin_message', 'unpin_message']) {
        expectValidationError(await ask(aliceSocket, event, {}), 'messageId');
        for (const messageId of [42, null, [], {}, '', 'x'.repeat(101), 'a\u0000b'])
          expectValidationError(await ask(aliceSocket, event, { messageId }), 'messageId');
        for (const [, payload] of NON_OBJECT_PAYLOADS)
          expect(await ask(aliceSocket, event, payload)).toMatchObject({ code: 'VALIDATION_ERROR' });
      }
    });

    it(`refuses a pin past ${MAX_PINS_PER_CHAT} per chat; unpinning one makes room`, async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const messages = await sendMany(aliceSocket, chatId, MAX_PINS_PER_CHAT + 1);
      for (const message of messages.slice(0, MAX_PINS_PER_CHAT)) await pin(aliceSocket, message.id);
      const extra = messages[MAX_PINS_PER_CHAT]!;
      expectValidationError(await ask(aliceSocket, 'pin_message', { messageId: extra.id }), 'messageId');
      // Pinning one already pinned is still fine.
      await pin(aliceSocket, messages[0]!.id);
      await pin(aliceSocket, messages[0]!.id, false);
      expect((await pin(aliceSocket, extra.id)).pinnedAt).toMatch(ISO_MS);
      expect(await pinned(aliceSocket, chatId)).toHaveLength(MAX_PINS_PER_CHAT);
    });

    it('answers FORBIDDEN alike for an unknown message, another chat’s message and a malformed id; NOT_FOUND for a tombstone', async () => {
      const { bob, chatId, aliceSocket } = await chatPair(server);
      const carol = await registerUser(server, 'carol');
      const carolSocket = await connect(server, carol.token);
      const strangersChat = await createChat(server, bob, [carol], 'not alice’s');
      const strangers = await sendOk(carolSocket, strangersChat, 'private');
      for (const messageId of [randomUUID(), strangers.id, 'not-a-message-id']) {
        for (const event of ['pin_message', 'unpin_message'])
          expect(await ask(aliceSocket, event, { messageId })).toStrictEqual(FORBIDDEN_ANSWER);
      }
      expect((await history(carolSocket, { chatId: strangersChat })).messages).toStrictEqual([strangers]);
      const gone = await sendOk(aliceSocket, chatId, 'gone');
      await ask(aliceSocket, 'delete_message', { messageId: gone.id });
      expect(await ask(aliceSocket, 'pin_message', { messageId: gone.id })).toStrictEqual(DELETED_ANSWER);
    });
  });

  describe('unpin_message', () => {
    it('unpins (any member); unpinning what is not pinned changes nothing', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const message = await sendOk(aliceSocket, chatId, 'briefly');
      expect(await pin(bobSocket, message.id, false)).toStrictEqual(message);
      const pinnedOne = await pin(aliceSocket, message.id);
      const unpinned = await pin(bobSocket, message.id, false);
      expect(unpinned).toStrictEqual({ ...message, version: pinnedOne.version + 1 });
      expect(await pin(bobSocket, message.id, false)).toStrictEqual(unpinned);
      expect(await pinned(aliceSocket, chatId)).toEqual([]);
    });
  });

  describe('delete_message', () => {
    it('unpins the message: its tombstone shows no pin, and the pinned list drops it', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const message = await sendOk(aliceSocket, chatId, 'pinned then deleted');
      await pin(aliceSocket, message.id);
      const deleted = await ask(aliceSocket, 'delete_message', { messageId: message.id });
      expect(deleted.message).not.toHaveProperty('pinnedAt');
      expect(deleted.message).not.toHaveProperty('pinnedBy');
      expect(await pinned(aliceSocket, chatId)).toEqual([]);
      expect(await ask(aliceSocket, 'unpin_message', { messageId: message.id })).toStrictEqual(DELETED_ANSWER);
    });
  });

  describe('get_pinned_messages', () => {
    it('lists the pinned messages in their current state, most recently pinned first', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const [a, b, c] = await sendMany(aliceSocket, chatId, 3);
      await pin(aliceSocket, b!.id);
      await pin(bobSocket, a!.id);
      await pin(aliceSocket, c!.id);
      await pin(aliceSocket, b!.id, false);
      await ask(aliceSocket, 'edit_message', { messageId: a!.id, text: 'a, edited' });
      await ask(bobSocket, 'add_reaction', { messageId: a!.id, emoji: '👍' });
      const list = await pinned(aliceSocket, chatId);
      expect(list.map((m) => m.id)).toEqual([c!.id, a!.id]);
      expect(list[1]).toMatchObject({ text: 'a, edited', reactions: [{ emoji: '👍', count: 1, me: false }] });
      expect((await pinned(bobSocket, chatId))[1]!.reactions).toStrictEqual([{ emoji: '👍', count: 1, me: true }]);
    });

    it('answers FORBIDDEN for a chat the caller is not in, an unknown chat and a malformed id', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const message = await sendOk(aliceSocket, chatId, 'private pin');
      await pin(aliceSocket, message.id);
      const stranger = await connect(server, (await registerUser(server, 'mallory')).token);
      for (const id of [chatId, UNKNOWN_CHAT_ID, MALFORMED_CHAT_ID])
        expect(await ask(stranger, 'get_pinned_messages', { chatId: id })).toStrictEqual(FORBIDDEN_ANSWER);
      expectValidationError(await ask(stranger, 'get_pinned_messages', {}), 'chatId');
      expectValidationError(await ask(stranger, 'get_pinned_messages', { chatId: 42 }), 'chatId');
    });
  });

  describe('POST and DELETE /messages/:id/pin, GET /chats/:id/pins', () => {
    it('pin and list as the events do, broadcast alike, with the same refusals', async () => {
      const { alice, bob, chatId, aliceSocket } = await chatPair(server, { join: true });
      const message = await sendOk(aliceSocket, chatId, 'over http');
      const events = collect<ChatPinsEvent>(aliceSocket, 'chat_pins');
      const pinnedOne = await api(server, 'POST', `/messages/${message.id}/pin`, { token: bob.token });
      expect(pinnedOne.status).toBe(200);
      expect(pinnedOne.body.message).toMatchObject({ id: message.id, pinnedBy: bob.user.id });
      await waitFor(() => events.length >= 1, 3_000, 'chat_pins');
      expect(events[0]).toMatchObject({ messageId: message.id, pinned: true, pinnedBy: bob.user.id });
      const list = await api(server, 'GET', `/chats/${chatId}/pins`, { token: alice.token });
      expect(list.body).toStrictEqual({ success: true, messages: [pinnedOne.body.message] });
      const unpinned = await api(server, 'DELETE', `/messages/${message.id}/pin`, { token: alice.token });
      expect(unpinned.body.message).not.toHaveProperty('pinnedAt');
      const stranger = await registerUser(server, 'mallory');
      for (const [method, path] of [
        ['POST', `/messages/${message.id}/pin`],
        ['DELETE', `/messages/${message.id}/pin`],
        ['GET', `/chats/${chatId}/pins`],
        ['GET', `/chats/${UNKNOWN_CHAT_ID}/pins`],
      ] as const) {
        const answer = await api(server, method, path, { token: stranger.token });
        expect([answer.status, answer.body]).toStrictEqual([403, FORBIDDEN_ANSWER]);
      }
    });
  });

  describe('chat_pins', () => {
    it('reaches the chat’s sockets in version order with the message events', async () => {
      const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const delivered = collect<Message>(bobSocket, 'new_message');
      const message = await sendOk(aliceSocket, chatId, 'watch');
      await waitFor(() => delivered.length >= 1, 3_000, 'new_message');
      const seen: [string, unknown][] = [];
      bobSocket.onAny((event: string, payload: unknown) => seen.push([event, payload]));
      const pinnedOne = await pin(aliceSocket, message.id);
      await ask(aliceSocket, 'edit_message', { messageId: message.id, text: 'watched' });
      await pin(bobSocket, message.id, false);
      await waitFor(() => seen.length >= 3, 3_000, 'three events');
      expect(seen).toStrictEqual([
        [
          'chat_pins',
          {
            chatId,
            version: pinnedOne.version,
            messageId: message.id,
            pinned: true,
            pinnedBy: alice.user.id,
            pinnedAt: pinnedOne.pinnedAt,
          },
        ],
        [
          'message_updated',
          expect.objectContaining({ text: 'watched', pinnedBy: alice.user.id, version: pinnedOne.version + 1 }),
        ],
        ['chat_pins', { chatId, version: pinnedOne.version + 2, messageId: message.id, pinned: false }],
      ]);
    });
  });

  describe('sync, join_chat and the chat list', () => {
    it('give a client that was away the current pins', async () => {
      const { bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const [kept, dropped, doomed] = await sendMany(aliceSocket, chatId, 3);
      await pin(aliceSocket, dropped!.id);
      const before = (await syncEntry(bobSocket, chatId, 0)).version;
      bobSocket.disconnect();
      const keptPinned = await pin(aliceSocket, kept!.id);
      await pin(aliceSocket, dropped!.id, false);
      await pin(aliceSocket, doomed!.id);
      await ask(aliceSocket, 'delete_message', { messageId: doomed!.id });

      const back = await connect(server, bob.token);
      const entry = await syncEntry(back, chatId, before);
      expect(entry.messages.map((m) => [m.id, m.pinnedAt, m.pinnedBy])).toStrictEqual([
        [kept!.id, keptPinned.pinnedAt, keptPinned.pinnedBy],
        [dropped!.id, undefined, undefined],
        [doomed!.id, undefined, undefined],
      ]);
      expect((await joinOk(back, chatId))[0]).toStrictEqual(keptPinned);
      expect(await pinned(back, chatId)).toStrictEqual([keptPinned]);
      // The chat list's last message follows its pin.
      const last = await sendOk(aliceSocket, chatId, 'last');
      const lastPinned = await pin(aliceSocket, last.id);
      const chats = (await ask(back, 'get_my_chats')).chats as ChatSummary[];
      expect(chats.find((chat) => chat.id === chatId)!.messages).toStrictEqual([lastPinned]);
      const http = await api(server, 'GET', `/chats/${chatId}/messages`, { token: bob.token });
      expect(http.body.messages.at(-1)).toStrictEqual(lastPinned);
    });
  });
});
