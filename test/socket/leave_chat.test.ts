import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { ask, collect, connect, createChat, registerUser, sleep, useServer } from '../helpers/server.js';
import {
  chatPair,
  expectValidationError,
  FORBIDDEN_ANSWER,
  history,
  idsOf,
  joinOk,
  MALFORMED_CHAT_ID,
  NON_OBJECT_PAYLOADS,
  QUIET_MS,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
} from '../helpers/socket-fixtures.js';

describe('leave_chat', () => {
  const server = useServer();

  it('answers exactly {success: true}', async () => {
    const { chatId, bobSocket } = await chatPair(server, { join: true });
    expect(await ask(bobSocket, 'leave_chat', { chatId })).toStrictEqual({ success: true });
  });

  it('stops new_message for the left chat but not for another joined chat', async () => {
    const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const group = await createChat(server, alice, [bob], 'still joined');
    await joinOk(bobSocket, group);
    expect(await ask(bobSocket, 'leave_chat', { chatId })).toStrictEqual({ success: true });

    const toBob = collect<Message>(bobSocket, 'new_message');
    await sendOk(aliceSocket, chatId, 'after leaving');
    const control = await sendOk(aliceSocket, group, 'in the other chat');
    await waitFor(() => toBob.length >= 1, 3_000, 'delivery in the joined chat');
    await sleep(QUIET_MS);
    expect(toBob).toStrictEqual([control]);
  });

  it('leaves membership unchanged: history, sending and joining again still work', async () => {
    const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    expect(await ask(bobSocket, 'leave_chat', { chatId })).toStrictEqual({ success: true });
    const missed = await sendOk(aliceSocket, chatId, 'sent while bob had left');

    expect(await history(bobSocket, { chatId })).toStrictEqual({ messages: [missed], hasMore: false, success: true });
    const fromBob = await sendOk(bobSocket, chatId, 'bob can still write');
    expect(fromBob.chatId).toBe(chatId);

    const chats = await ask(bobSocket, 'get_my_chats');
    expect(chats.chats.map((c: { id: string }) => c.id)).toContain(chatId);

    expect(idsOf(await joinOk(bobSocket, chatId))).toEqual([missed.id, fromBob.id]);
    const toBob = collect<Message>(bobSocket, 'new_message');
    const again = await sendOk(aliceSocket, chatId, 'after joining again');
    await waitFor(() => toBob.length >= 1, 3_000, 'delivery after rejoining');
    expect(toBob).toStrictEqual([again]);
  });

  it('only the leaving socket stops receiving; the same user’s other joined socket still does', async () => {
    const { bob, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const bobOtherTab = await connect(server, bob.token);
    await joinOk(bobOtherTab, chatId);
    expect(await ask(bobSocket, 'leave_chat', { chatId })).toStrictEqual({ success: true });
    const toLeft = collect<Message>(bobSocket, 'new_message');
    const toOther = collect<Message>(bobOtherTab, 'new_message');
    const sent = await sendOk(aliceSocket, chatId, 'one tab only');
    await waitFor(() => toOther.length >= 1, 3_000, 'delivery to the other tab');
    await sleep(QUIET_MS);
    expect(toOther).toStrictEqual([sent]);
    expect(toLeft).toEqual([]);
  });

  it('leaving a chat the socket never joined (as a member) succeeds', async () => {
    const { chatId, bobSocket } = await chatPair(server);
    expect(await ask(bobSocket, 'leave_chat', { chatId })).toStrictEqual({ success: true });
    expect(await ask(bobSocket, 'leave_chat', { chatId })).toStrictEqual({ success: true });
  });

  describe('access', () => {
    it('answers the same FORBIDDEN for a non-member, an unknown and a malformed id', async () => {
      const { chatId } = await chatPair(server);
      const eve = await connect(server, (await registerUser(server, 'eve')).token);
      for (const id of [chatId, UNKNOWN_CHAT_ID, MALFORMED_CHAT_ID]) {
        expect(await ask(eve, 'leave_chat', { chatId: id })).toStrictEqual(FORBIDDEN_ANSWER);
      }
    });

    it('a refused leave does not affect the members', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const eve = await connect(server, (await registerUser(server, 'eve')).token);
      expect(await ask(eve, 'leave_chat', { chatId })).toStrictEqual(FORBIDDEN_ANSWER);
      const toBob = collect<Message>(bobSocket, 'new_message');
      const sent = await sendOk(aliceSocket, chatId, 'still delivered');
      await waitFor(() => toBob.length >= 1, 3_000, 'delivery');
      expect(toBob).toStrictEqual([sent]);
    });
  });

  describe('payload validation', () => {
    it.each([
      ['missing', {}],
      ['a number', { chatId: 7 }],
      ['null', { chatId: null }],
      ['an empty string', { chatId: '' }],
      ['an object', { chatId: { id: UNKNOWN_CHAT_ID } }],
    ])('refuses a chatId that is %s with VALIDATION_ERROR on `chatId`', async (_, payload) => {
      const { aliceSocket } = await chatPair(server);
      const answer = await ask(aliceSocket, 'leave_chat', payload);
      expectValidationError(answer, 'chatId');
      expect(answer.error).toContain('«chatId»');
    });

    it.each(NON_OBJECT_PAYLOADS)('refuses a payload that is %s', async (_, payload) => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'leave_chat', payload), undefined);
    });

    it('a refused leave keeps the socket in the room', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      expectValidationError(await ask(bobSocket, 'leave_chat', { chatId: 123 }), 'chatId');
      expectValidationError(await ask(bobSocket, 'leave_chat'), undefined);
      const toBob = collect<Message>(bobSocket, 'new_message');
      const sent = await sendOk(aliceSocket, chatId, 'bob is still in');
      await waitFor(() => toBob.length >= 1, 3_000, 'delivery');
      expect(toBob).toStrictEqual([sent]);
    });
  });
});
