import { describe, expect, it } from 'vitest';
import type { UserTyping } from '../../src/protocol/types.js';
import { TYPING_EXPIRY_MS } from '../../src/realtime/typing.js';
import { ask, collect, connect, registerUser, sleep, useServer } from '../helpers/server.js';
import {
  chatPair,
  emitRaw,
  expectValidationError,
  FORBIDDEN_ANSWER,
  joinOk,
  MALFORMED_CHAT_ID,
  NON_OBJECT_PAYLOADS,
  QUIET_MS,
  UNKNOWN_CHAT_ID,
  waitFor,
} from '../helpers/socket-fixtures.js';

describe('typing and stop_typing', () => {
  const server = useServer();

  it('answer {success: true}; user_typing reaches the other members’ joined sockets only', async () => {
    const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const aliceOtherTab = await connect(server, alice.token);
    await joinOk(aliceOtherTab, chatId);
    const bobNotJoined = await connect(server, bob.token);
    const toBob = collect<UserTyping>(bobSocket, 'user_typing');
    const toTypist = collect<UserTyping>(aliceSocket, 'user_typing');
    const toOtherTab = collect<UserTyping>(aliceOtherTab, 'user_typing');
    const toNotJoined = collect<UserTyping>(bobNotJoined, 'user_typing');

    expect(await ask(aliceSocket, 'typing', { chatId })).toStrictEqual({ success: true });
    await waitFor(() => toBob.length >= 1, 3_000, 'user_typing true');
    expect(await ask(aliceSocket, 'stop_typing', { chatId })).toStrictEqual({ success: true });
    await waitFor(() => toBob.length >= 2, 3_000, 'user_typing false');
    await sleep(QUIET_MS);

    expect(toBob).toStrictEqual([
      { chatId, userId: alice.user.id, typing: true },
      { chatId, userId: alice.user.id, typing: false },
    ]);
    expect(toTypist).toEqual([]);
    expect(toOtherTab).toEqual([]);
    expect(toNotJoined).toEqual([]);
  });

  it('is throttled: a burst of typing gives one user_typing; stop_typing when not typing gives none', async () => {
    const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const toBob = collect<UserTyping>(bobSocket, 'user_typing');
    expect(await ask(aliceSocket, 'stop_typing', { chatId })).toStrictEqual({ success: true });
    for (let i = 0; i < 10; i++) expect(await ask(aliceSocket, 'typing', { chatId })).toStrictEqual({ success: true });
    await waitFor(() => toBob.length >= 1, 3_000, 'user_typing');
    await sleep(QUIET_MS);
    expect(toBob.map((t) => t.typing)).toEqual([true]);
    await ask(aliceSocket, 'stop_typing', { chatId });
    await ask(aliceSocket, 'stop_typing', { chatId });
    await waitFor(() => toBob.length >= 2, 3_000, 'user_typing false');
    await sleep(QUIET_MS);
    expect(toBob.map((t) => t.typing)).toEqual([true, false]);
  });

  it('expires by itself a few seconds after the last typing', async () => {
    const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const toBob = collect<UserTyping>(bobSocket, 'user_typing');
    const started = Date.now();
    await ask(aliceSocket, 'typing', { chatId });
    await waitFor(() => toBob.length >= 2, TYPING_EXPIRY_MS + 5_000, 'typing to expire');
    const elapsed = Date.now() - started;
    expect(toBob).toStrictEqual([
      { chatId, userId: alice.user.id, typing: true },
      { chatId, userId: alice.user.id, typing: false },
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(TYPING_EXPIRY_MS - 1_000);
  }, 15_000);

  it('keeps going while typing is repeated, and is announced again now and then', async () => {
    const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const toBob = collect<UserTyping>(bobSocket, 'user_typing');
    // Repeated well inside the expiry for longer than the expiry: it must not lapse meanwhile.
    const until = Date.now() + TYPING_EXPIRY_MS + 1_500;
    while (Date.now() < until) {
      await ask(aliceSocket, 'typing', { chatId });
      await sleep(500);
    }
    expect(toBob.length).toBeGreaterThanOrEqual(2);
    expect(toBob.every((t) => t.typing)).toBe(true);
    expect(await ask(aliceSocket, 'stop_typing', { chatId })).toStrictEqual({ success: true });
    await waitFor(() => toBob.some((t) => !t.typing), 3_000, 'user_typing false');
  }, 20_000);

  it('a typist who disconnects stops typing', async () => {
    const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const toBob = collect<UserTyping>(bobSocket, 'user_typing');
    await ask(aliceSocket, 'typing', { chatId });
    await waitFor(() => toBob.length >= 1, 3_000, 'user_typing true');
    aliceSocket.disconnect();
    await waitFor(() => toBob.length >= 2, 3_000, 'user_typing false after disconnect');
    expect(toBob[1]).toStrictEqual({ chatId, userId: alice.user.id, typing: false });
  });

  it('refuses a chat the caller is not a member of, an unknown chat and a malformed id alike', async () => {
    const { chatId, bobSocket } = await chatPair(server, { join: true });
    const stranger = await connect(server, (await registerUser(server, 'stranger')).token);
    const toBob = collect<UserTyping>(bobSocket, 'user_typing');
    for (const event of ['typing', 'stop_typing']) {
      for (const id of [chatId, UNKNOWN_CHAT_ID, MALFORMED_CHAT_ID]) {
        expect(await ask(stranger, event, { chatId: id })).toStrictEqual(FORBIDDEN_ANSWER);
      }
    }
    await sleep(QUIET_MS);
    expect(toBob).toEqual([]);
  });

  describe('bad input', () => {
    it.each([
      ['chatId missing', {}],
      ['chatId a number', { chatId: 7 }],
      ['chatId oversize', { chatId: 'x'.repeat(101) }],
    ])('refuses %s', async (_, payload) => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'typing', payload), 'chatId');
      expectValidationError(await ask(aliceSocket, 'stop_typing', payload), 'chatId');
    });

    it.each(NON_OBJECT_PAYLOADS)('refuses a payload that is %s', async (_, payload) => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'typing', payload), undefined);
      expectValidationError(await ask(aliceSocket, 'stop_typing', payload), undefined);
    });

    it('works without a callback', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const toBob = collect<UserTyping>(bobSocket, 'user_typing');
      emitRaw(aliceSocket, 'typing', { chatId });
      emitRaw(aliceSocket, 'typing', 'garbage');
      await waitFor(() => toBob.length >= 1, 3_000, 'user_typing');
      emitRaw(aliceSocket, 'stop_typing', { chatId });
      await waitFor(() => toBob.length >= 2, 3_000, 'user_typing false');
      expect(toBob.map((t) => t.typing)).toEqual([true, false]);
    });
  });
});
