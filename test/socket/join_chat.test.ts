import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { ask, collect, connect, createChat, registerUser, sleep, useServer } from '../helpers/server.js';
import {
  chatPair,
  expectValidationError,
  FORBIDDEN_ANSWER,
  idsOf,
  joinOk,
  MALFORMED_CHAT_ID,
  NON_OBJECT_PAYLOADS,
  QUIET_MS,
  sendMany,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
} from '../helpers/socket-fixtures.js';

describe('join_chat', () => {
  const server = useServer();

  it('answers {success, messages: [], version: 0} for a chat without messages', async () => {
    const { chatId, aliceSocket } = await chatPair(server);
    expect(await ask(aliceSocket, 'join_chat', { chatId })).toStrictEqual({ success: true, messages: [], version: 0 });
  });

  it('answers the latest 50 messages, oldest first, as full message objects', async () => {
    const { chatId, aliceSocket, bobSocket } = await chatPair(server);
    const sent = await sendMany(aliceSocket, chatId, 55, 'history');
    const answer = await ask(bobSocket, 'join_chat', { chatId });
    // The chat's version is that of its 55th change.
    expect(answer).toStrictEqual({ success: true, messages: sent.slice(5), version: 55 });
    expect(answer.messages[0].text).toBe('history 5');
    expect(answer.messages.map((m: Message) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 6));
    expect(answer.messages[49].text).toBe('history 54');
  });

  it('the joined socket receives new_message, a member that did not join receives nothing', async () => {
    const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
    const bobSecondTab = await connect(server, bob.token);
    await joinOk(aliceSocket, chatId);
    const toAlice = collect<Message>(aliceSocket, 'new_message');
    const toBob = collect<Message>(bobSocket, 'new_message');
    const toBobTab = collect<Message>(bobSecondTab, 'new_message');

    const before = await sendOk(aliceSocket, chatId, 'before bob joins');
    await waitFor(() => toAlice.length >= 1, 3_000, 'echo to the sender');
    await sleep(QUIET_MS);
    expect(toBob).toEqual([]);
    expect(toBobTab).toEqual([]);

    // Joining on one socket does not subscribe the user's other sockets.
    expect(await joinOk(bobSocket, chatId)).toEqual([before]);
    const after = await sendOk(aliceSocket, chatId, 'after bob joins');
    await waitFor(() => toBob.length >= 1, 3_000, 'delivery to the joined socket');
    expect(toBob).toStrictEqual([after]);
    expect(after.user).toEqual(alice.user);
    await sleep(QUIET_MS);
    expect(toBobTab).toEqual([]);
    expect(idsOf(toAlice)).toEqual([before.id, after.id]);
  });

  it('joining twice does not deliver a message twice', async () => {
    const { chatId, aliceSocket, bobSocket } = await chatPair(server);
    await joinOk(bobSocket, chatId);
    await joinOk(bobSocket, chatId);
    const toBob = collect<Message>(bobSocket, 'new_message');
    const sent = await sendOk(aliceSocket, chatId, 'once');
    await waitFor(() => toBob.length >= 1, 3_000, 'delivery');
    await sleep(QUIET_MS);
    expect(idsOf(toBob)).toEqual([sent.id]);
  });

  it('a socket joined to two chats receives the messages of both', async () => {
    const { alice, chatId, aliceSocket } = await chatPair(server);
    const carol = await registerUser(server, 'carol');
    const otherChat = await createChat(server, carol, [alice], 'second');
    const carolSocket = await connect(server, carol.token);
    await joinOk(aliceSocket, chatId);
    await joinOk(aliceSocket, otherChat);
    const toAlice = collect<Message>(aliceSocket, 'new_message');
    const fromCarol = await sendOk(carolSocket, otherChat, 'in the group');
    await waitFor(() => toAlice.length >= 1, 3_000, 'delivery');
    expect(toAlice).toStrictEqual([fromCarol]);
  });

  describe('access', () => {
    it('answers the same FORBIDDEN for a non-member, an unknown and a malformed id', async () => {
      const { chatId } = await chatPair(server);
      const eve = await connect(server, (await registerUser(server, 'eve')).token);
      const answers = [
        await ask(eve, 'join_chat', { chatId }),
        await ask(eve, 'join_chat', { chatId: UNKNOWN_CHAT_ID }),
        await ask(eve, 'join_chat', { chatId: MALFORMED_CHAT_ID }),
      ];
      for (const answer of answers) expect(answer).toStrictEqual(FORBIDDEN_ANSWER);
    });

    it('a refused join joins no room: the outsider receives no new_message', async () => {
      const { chatId, aliceSocket } = await chatPair(server, { join: true });
      const eve = await connect(server, (await registerUser(server, 'eve')).token);
      const toEve = collect<Message>(eve, 'new_message');
      expect(await ask(eve, 'join_chat', { chatId })).toStrictEqual(FORBIDDEN_ANSWER);
      const toAlice = collect<Message>(aliceSocket, 'new_message');
      await sendOk(aliceSocket, chatId, 'members only');
      await waitFor(() => toAlice.length >= 1, 3_000, 'echo to the sender');
      await sleep(QUIET_MS);
      expect(toEve).toEqual([]);
    });

    it('the FORBIDDEN answer carries no messages of the chat', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      await sendOk(aliceSocket, chatId, 'secret');
      const eve = await connect(server, (await registerUser(server, 'eve')).token);
      const answer = await ask(eve, 'join_chat', { chatId });
      expect(answer).toStrictEqual(FORBIDDEN_ANSWER);
      expect(JSON.stringify(answer)).not.toContain('secret');
    });
  });

  describe('payload validation', () => {
    it.each([
      ['missing', {}],
      ['a number', { chatId: 42 }],
      ['null', { chatId: null }],
      ['an empty string', { chatId: '' }],
      ['an array', { chatId: [UNKNOWN_CHAT_ID] }],
      ['too long', { chatId: 'x'.repeat(101) }],
      ['holding a NUL', { chatId: `${UNKNOWN_CHAT_ID}\u0000` }],
      ['holding a lone surrogate', { chatId: '\udfff' }],
    ])('refuses a chatId that is %s with VALIDATION_ERROR on `chatId`', async (_, payload) => {
      const { aliceSocket } = await chatPair(server);
      const answer = await ask(aliceSocket, 'join_chat', payload);
      expectValidationError(answer, 'chatId');
      expect(answer.error).toContain('«chatId»');
    });

    it.each(NON_OBJECT_PAYLOADS)('refuses a payload that is %s', async (_, payload) => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'join_chat', payload), undefined);
    });

    it('refuses no payload at all, and the socket keeps working', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'join_chat'), undefined);
      expect(await ask(aliceSocket, 'join_chat', { chatId })).toStrictEqual({
        success: true,
        messages: [],
        version: 0,
      });
    });
  });
});
