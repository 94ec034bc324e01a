import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { ask, collect, connect, createChat, nextEvent, registerUser, sleep, useServer } from '../helpers/server.js';
import {
  chatPair,
  emitRaw,
  expectValidationError,
  FORBIDDEN_ANSWER,
  history,
  idsOf,
  ISO_MS,
  joinOk,
  MALFORMED_CHAT_ID,
  NON_OBJECT_PAYLOADS,
  QUIET_MS,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
} from '../helpers/socket-fixtures.js';

/** Default MAX_MESSAGE_LENGTH (contract §1). */
const MAX = 4000;

describe('send_message', () => {
  const server = useServer();

  describe('answer', () => {
    it('is the seed shape exactly, and the same object reaches every joined member', async () => {
      const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const toBob = nextEvent<Message>(bobSocket, 'new_message');
      const echo = nextEvent<Message>(aliceSocket, 'new_message');
      const answer = await ask(aliceSocket, 'send_message', { chatId, text: 'Текст сообщения' });
      expect(answer).toStrictEqual({
        success: true,
        message: {
          id: expect.any(String),
          text: 'Текст сообщения',
          sender: alice.user.id,
          chatId,
          createdAt: expect.stringMatching(ISO_MS),
          user: { id: alice.user.id, email: alice.user.email, username: alice.user.username },
          // The chat's first message: position 1, and the chat's first version.
          seq: 1,
          version: 1,
        },
      });
      expect(Object.keys(answer.message)).toEqual([
        'id',
        'text',
        'sender',
        'chatId',
        'createdAt',
        'user',
        'seq',
        'version',
      ]);
      expect(answer.message.sender).toBe(answer.message.user.id);
      expect(answer.message.id.length).toBeGreaterThan(0);
      expect(new Date(answer.message.createdAt).toISOString()).toBe(answer.message.createdAt);
      expect(Math.abs(Date.parse(answer.message.createdAt) - Date.now())).toBeLessThan(60_000);
      expect(await toBob).toStrictEqual(answer.message);
      expect(await echo).toStrictEqual(answer.message);
    });

    it('trims the text, keeping inner whitespace and newlines', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const message = await sendOk(aliceSocket, chatId, ' \n\t  hello \n  world \t\n ');
      expect(message.text).toBe('hello \n  world');
      const { messages } = await history(aliceSocket, { chatId });
      expect(messages.map((m) => m.text)).toEqual(['hello \n  world']);
    });

    it('ignores unknown extra fields', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const answer = await ask(aliceSocket, 'send_message', {
        chatId,
        text: 'extra',
        sender: 'someone-else',
        id: 'x',
        admin: true,
      });
      expect(answer.success).toBe(true);
      expect(answer.message.text).toBe('extra');
      expect(answer.message.id).not.toBe('x');
    });
  });

  describe('text validation', () => {
    it.each([
      ['empty', ''],
      ['spaces only', '     '],
      ['mixed whitespace only', ' \t\n\r \u00a0\u2003 '],
    ])('refuses %s text with VALIDATION_ERROR on `text` and stores nothing', async (_, text) => {
      const { chatId, aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'send_message', { chatId, text }), 'text');
      expect((await history(aliceSocket, { chatId })).messages).toEqual([]);
    });

    it(`accepts exactly ${MAX} characters and refuses ${MAX + 1}`, async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const longest = 'a'.repeat(MAX);
      expect((await sendOk(aliceSocket, chatId, longest)).text).toBe(longest);
      expectValidationError(await ask(aliceSocket, 'send_message', { chatId, text: 'a'.repeat(MAX + 1) }), 'text');
      // The limit applies after trimming.
      expect((await sendOk(aliceSocket, chatId, `   ${longest}   `)).text).toBe(longest);
      expect((await history(aliceSocket, { chatId })).messages).toHaveLength(2);
    });

    it(`counts an emoji as one character: ${MAX} emoji are accepted, ${MAX + 1} refused`, async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const emoji = '😀'.repeat(MAX);
      expect(emoji.length).toBe(2 * MAX); // UTF-16 units: a surrogate pair each
      const message = await sendOk(aliceSocket, chatId, emoji);
      expect(message.text).toBe(emoji);
      const refused = await ask(aliceSocket, 'send_message', { chatId, text: '😀'.repeat(MAX + 1) });
      expectValidationError(refused, 'text');
      const { messages } = await history(aliceSocket, { chatId });
      expect(messages).toEqual([message]);
    });

    it.each([
      ['a number', 42],
      ['null', null],
      ['a boolean', true],
      ['an object', { value: 'hi' }],
      ['an array', ['hi']],
    ])('refuses text that is %s with VALIDATION_ERROR on `text`', async (_, text) => {
      const { chatId, aliceSocket } = await chatPair(server);
      const answer = await ask(aliceSocket, 'send_message', { chatId, text });
      expectValidationError(answer, 'text');
      expect(answer.error).toContain('«text»');
    });

    it('refuses a NUL character in the text', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const answer = await ask(aliceSocket, 'send_message', { chatId, text: 'before\u0000after' });
      expectValidationError(answer, 'text');
      expect(answer.error).toContain('«text»');
    });

    it('refuses a lone surrogate in the text', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      for (const text of ['broken \ud83d here', 'trailing \ude00']) {
        const answer = await ask(aliceSocket, 'send_message', { chatId, text });
        expectValidationError(answer, 'text');
      }
      expect((await history(aliceSocket, { chatId })).messages).toEqual([]);
    });
  });

  describe('payload validation', () => {
    it('refuses a missing chatId or text, naming the field', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const noChat = await ask(aliceSocket, 'send_message', { text: 'hello' });
      expectValidationError(noChat, 'chatId');
      expect(noChat.error).toContain('«chatId»');
      expectValidationError(await ask(aliceSocket, 'send_message', { chatId }), 'text');
      expectValidationError(await ask(aliceSocket, 'send_message', {}), 'chatId');
    });

    it.each([
      ['a number', 123],
      ['null', null],
      ['an object', { id: 'x' }],
      ['an array', ['x']],
      ['an empty string', ''],
    ])('refuses a chatId that is %s with VALIDATION_ERROR on `chatId`', async (_, chatId) => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'send_message', { chatId, text: 'hello' }), 'chatId');
    });

    it.each(NON_OBJECT_PAYLOADS)('refuses a payload that is %s', async (_, payload) => {
      const { aliceSocket } = await chatPair(server);
      const answer = await ask(aliceSocket, 'send_message', payload);
      expectValidationError(answer, undefined);
      expect(answer.error).toContain('данные запроса');
    });

    it('refuses no payload at all', async () => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'send_message'), undefined);
    });
  });

  describe('access', () => {
    it("gives the same FORBIDDEN for another user's chat, an unknown id and a malformed id, and stores nothing", async () => {
      const { chatId: foreignChat, aliceSocket: owner } = await chatPair(server);
      const outsider = await registerUser(server, 'eve');
      const eve = await connect(server, outsider.token);
      const answers = [
        await ask(eve, 'send_message', { chatId: foreignChat, text: 'hi' }),
        await ask(eve, 'send_message', { chatId: UNKNOWN_CHAT_ID, text: 'hi' }),
        await ask(eve, 'send_message', { chatId: MALFORMED_CHAT_ID, text: 'hi' }),
        await ask(eve, 'send_message', { chatId: foreignChat.toUpperCase(), text: 'hi' }),
      ];
      for (const answer of answers) expect(answer).toStrictEqual(FORBIDDEN_ANSWER);
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect((await history(owner, { chatId: foreignChat })).messages).toEqual([]);
    });

    it('does not deliver a refused message to the members of the chat', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const eve = await connect(server, (await registerUser(server, 'eve')).token);
      const bobReceived = collect<Message>(bobSocket, 'new_message');
      expect(await ask(eve, 'send_message', { chatId, text: 'intrusion' })).toStrictEqual(FORBIDDEN_ANSWER);
      const control = await sendOk(aliceSocket, chatId, 'control');
      await waitFor(() => bobReceived.length >= 1, 3_000, 'control delivery');
      await sleep(QUIET_MS);
      expect(idsOf(bobReceived)).toEqual([control.id]);
    });
  });

  describe('clientMessageId', () => {
    it('a retry returns the original message, stores one row and is broadcast once', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const bobReceived = collect<Message>(bobSocket, 'new_message');
      const first = await ask(aliceSocket, 'send_message', { chatId, text: 'once', clientMessageId: 'cm-1' });
      expect(first.success).toBe(true);
      const retry = await ask(aliceSocket, 'send_message', { chatId, text: 'once', clientMessageId: 'cm-1' });
      expect(retry).toStrictEqual(first);
      // A retry whose text changed still answers the original.
      const changed = await ask(aliceSocket, 'send_message', { chatId, text: 'twice?', clientMessageId: 'cm-1' });
      expect(changed).toStrictEqual(first);

      const control = await sendOk(aliceSocket, chatId, 'control');
      await waitFor(() => bobReceived.length >= 2, 3_000, 'control delivery');
      await sleep(QUIET_MS);
      expect(idsOf(bobReceived)).toEqual([first.message.id, control.id]);
      expect(idsOf((await history(bobSocket, { chatId })).messages)).toEqual([first.message.id, control.id]);
    });

    it('a retry from a second socket of the same user is also deduplicated', async () => {
      const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const aliceAgain = await connect(server, alice.token);
      const first = await sendOk(aliceSocket, chatId, 'from tab 1', 'tab-retry');
      const second = await sendOk(aliceAgain, chatId, 'from tab 1', 'tab-retry');
      expect(second).toStrictEqual(first);
      expect(idsOf((await history(bobSocket, { chatId })).messages)).toEqual([first.id]);
    });

    it('concurrent retries store and broadcast exactly one message', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const bobReceived = collect<Message>(bobSocket, 'new_message');
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          ask(aliceSocket, 'send_message', { chatId, text: 'race', clientMessageId: 'same-key' }),
        ),
      );
      for (const answer of answers) expect(answer).toStrictEqual(answers[0]);
      expect(answers[0].success).toBe(true);
      const control = await sendOk(aliceSocket, chatId, 'control');
      await waitFor(() => bobReceived.length >= 2, 3_000, 'control delivery');
      await sleep(QUIET_MS);
      expect(idsOf(bobReceived)).toEqual([answers[0].message.id, control.id]);
      expect(idsOf((await history(bobSocket, { chatId })).messages)).toEqual([answers[0].message.id, control.id]);
    });

    it('the same clientMessageId from a different user creates a separate message', async () => {
      const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const aliceReceived = collect<Message>(aliceSocket, 'new_message');
      const fromAlice = await sendOk(aliceSocket, chatId, 'alice says', 'shared-key');
      const fromBob = await sendOk(bobSocket, chatId, 'bob says', 'shared-key');
      expect(fromBob.id).not.toBe(fromAlice.id);
      expect(fromAlice.sender).toBe(alice.user.id);
      expect(fromBob.sender).toBe(bob.user.id);
      expect(fromBob.text).toBe('bob says');
      await waitFor(() => aliceReceived.length >= 2, 3_000, 'both deliveries');
      expect(idsOf(aliceReceived)).toEqual([fromAlice.id, fromBob.id]);
      expect(idsOf((await history(aliceSocket, { chatId })).messages)).toEqual([fromAlice.id, fromBob.id]);
    });

    it('messages without a clientMessageId are never deduplicated', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const one = await sendOk(aliceSocket, chatId, 'same text');
      const two = await sendOk(aliceSocket, chatId, 'same text');
      expect(two.id).not.toBe(one.id);
      expect(idsOf((await history(aliceSocket, { chatId })).messages)).toEqual([one.id, two.id]);
    });

    it('accepts 64 characters and refuses 65, an empty one or a wrong type with VALIDATION_ERROR on `clientMessageId`', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const ok = await sendOk(aliceSocket, chatId, 'sixty-four', 'k'.repeat(64));
      expect(ok.text).toBe('sixty-four');
      for (const clientMessageId of ['k'.repeat(65), '', 42, null, { id: 'x' }, 'nul\u0000']) {
        const answer = await ask(aliceSocket, 'send_message', { chatId, text: 'bad key', clientMessageId });
        expectValidationError(answer, 'clientMessageId');
      }
      expect(idsOf((await history(aliceSocket, { chatId })).messages)).toEqual([ok.id]);
    });
  });

  describe('without a callback', () => {
    it('is still carried out: the other member receives new_message and the connection stays up', async () => {
      const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const toBob = nextEvent<Message>(bobSocket, 'new_message');
      emitRaw(aliceSocket, 'send_message', { chatId, text: '  fire and forget  ' });
      const delivered = await toBob;
      expect(delivered).toStrictEqual({
        id: expect.any(String),
        text: 'fire and forget',
        sender: alice.user.id,
        chatId,
        createdAt: expect.stringMatching(ISO_MS),
        user: alice.user,
        seq: 1,
        version: 1,
      });
      expect(aliceSocket.connected).toBe(true);
      const next = await sendOk(aliceSocket, chatId, 'still here');
      expect(idsOf((await history(bobSocket, { chatId })).messages)).toEqual([delivered.id, next.id]);
    });

    it('a refused send without a callback breaks nothing', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const bobReceived = collect<Message>(bobSocket, 'new_message');
      emitRaw(aliceSocket, 'send_message', { chatId, text: '' });
      emitRaw(aliceSocket, 'send_message', { chatId: UNKNOWN_CHAT_ID, text: 'x' });
      emitRaw(aliceSocket, 'send_message', null);
      emitRaw(aliceSocket, 'send_message');
      const control = await sendOk(aliceSocket, chatId, 'control');
      await waitFor(() => bobReceived.length >= 1, 3_000, 'control delivery');
      await sleep(QUIET_MS);
      expect(idsOf(bobReceived)).toEqual([control.id]);
      expect(aliceSocket.connected).toBe(true);
    });
  });

  describe('commit and order', () => {
    it('the message is committed before the ack: history read right after it has the message', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      for (let i = 0; i < 10; i++) {
        const sent = await sendOk(aliceSocket, chatId, `durable ${i}`);
        // Read from the other member's connection, so nothing on the sender's side can help.
        const { messages } = await history(bobSocket, { chatId, limit: 1 });
        expect(messages).toStrictEqual([sent]);
      }
    });

    it('concurrent sends come back from history in strictly increasing (createdAt, id) order matching new_message arrival', async () => {
      const users = await Promise.all([0, 1, 2].map((i) => registerUser(server, `crowd${i}`)));
      const chatId = await createChat(server, users[0]!, users.slice(1), 'crowd');
      const sockets = await Promise.all([...users, ...users].map((u) => connect(server, u.token)));
      const observer = await connect(server, users[1]!.token);
      await joinOk(observer, chatId);
      const arrived = collect<Message>(observer, 'new_message');

      const total = 36;
      const answers = await Promise.all(
        Array.from({ length: total }, (_, i) =>
          ask(sockets[i % sockets.length]!, 'send_message', { chatId, text: `burst ${i}` }),
        ),
      );
      for (const answer of answers) expect(answer.success).toBe(true);
      await waitFor(() => arrived.length >= total, 5_000, 'all deliveries');

      const { messages, hasMore } = await history(observer, { chatId, limit: 100 });
      expect(hasMore).toBe(false);
      expect(messages).toHaveLength(total);
      expect(new Set(idsOf(messages))).toEqual(new Set(answers.map((a) => a.message.id)));
      for (let i = 1; i < messages.length; i++) {
        const [prev, cur] = [messages[i - 1]!, messages[i]!];
        const increasing = prev.createdAt < cur.createdAt || (prev.createdAt === cur.createdAt && prev.id < cur.id);
        expect(increasing, `${prev.createdAt}/${prev.id} then ${cur.createdAt}/${cur.id}`).toBe(true);
      }
      expect(idsOf(arrived)).toEqual(idsOf(messages));
    });
  });
});
