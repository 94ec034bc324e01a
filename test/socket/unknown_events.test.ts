import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { api, ask, collect, connect, nextEvent, sleep, useServer } from '../helpers/server.js';
import {
  chatPair,
  emitRaw,
  expectValidationError,
  history,
  idsOf,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
} from '../helpers/socket-fixtures.js';

describe('unknown events', () => {
  const server = useServer();

  it('an unknown event with a callback → VALIDATION_ERROR naming the event', async () => {
    const { aliceSocket } = await chatPair(server);
    const answer = await ask(aliceSocket, 'delete_everything', { chatId: UNKNOWN_CHAT_ID });
    expect(answer).toStrictEqual({
      success: false,
      code: 'VALIDATION_ERROR',
      error: 'Неизвестное событие: delete_everything',
      field: 'event',
    });
    // Without a payload, too.
    expect(await ask(aliceSocket, 'sendMessage')).toStrictEqual({
      success: false,
      code: 'VALIDATION_ERROR',
      error: 'Неизвестное событие: sendMessage',
      field: 'event',
    });
  });

  it.each([
    ['__proto__'],
    ['constructor'],
    ['toString'],
    ['hasOwnProperty'],
    ['error'],
    ['connection'],
    [''],
    ['SEND_MESSAGE'],
    ['send_message '],
    ['😀 событие'],
  ])('the event name %j is unknown and answered, not dispatched', async (event) => {
    const { aliceSocket } = await chatPair(server);
    const answer = await ask(aliceSocket, event, { chatId: UNKNOWN_CHAT_ID, text: 'x' });
    expectValidationError(answer, 'event');
    expect(answer.error).toBe(`Неизвестное событие: ${event}`);
    expect(aliceSocket.connected).toBe(true);
  });

  it('a very long event name is answered with a bounded error text', async () => {
    const { aliceSocket } = await chatPair(server);
    const answer = await ask(aliceSocket, 'x'.repeat(5_000));
    expectValidationError(answer, 'event');
    expect(answer.error).toBe(`Неизвестное событие: ${'x'.repeat(64)}`);
  });

  it('a numeric event name is answered as unknown', async () => {
    const { aliceSocket } = await chatPair(server);
    const answer = await ask(aliceSocket, 42 as unknown as string, { chatId: UNKNOWN_CHAT_ID });
    expectValidationError(answer, 'event');
    expect(answer.error).toBe('Неизвестное событие: 42');
  });

  it('an unknown event without a callback breaks nothing: the socket stays up and keeps working', async () => {
    const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    emitRaw(aliceSocket, 'no_such_event');
    emitRaw(aliceSocket, 'no_such_event', { chatId });
    emitRaw(aliceSocket, 'error', new Error('boom'));
    emitRaw(aliceSocket, '__proto__', { polluted: true });
    const toBob = nextEvent<Message>(bobSocket, 'new_message');
    const sent = await sendOk(aliceSocket, chatId, 'still working');
    expect(await toBob).toStrictEqual(sent);
    expect(aliceSocket.connected).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('garbage events and payloads neither disconnect the sender nor disturb another client', async () => {
    const noisy = await chatPair(server, { join: true });
    const calm = await chatPair(server, { join: true });
    const calmReceived = collect<Message>(calm.bobSocket, 'new_message');
    const noisyDisconnects = collect<string>(noisy.aliceSocket, 'disconnect');

    let nested: unknown = { chatId: noisy.chatId, text: 'deep' };
    for (let i = 0; i < 200; i++) nested = { nested };
    const garbage: [string, unknown[]][] = [
      ['send_message', [Buffer.from([0, 1, 2, 3])]],
      ['send_message', [{ chatId: noisy.chatId, text: Buffer.from('binary text') }]],
      ['send_message', [nested]],
      ['send_message', [{ chatId: noisy.chatId }, { text: 'in the second argument' }, 'third']],
      ['send_message', [{ chatId: [[[[]]]], text: { toString: 'x' } }]],
      ['send_message', [JSON.parse('{"__proto__": {"admin": true}, "chatId": 1}')]],
      ['join_chat', [Array.from({ length: 2_000 }, (_, i) => i)]],
      ['join_chat', [{ chatId: { $ne: null } }]],
      ['leave_chat', ['💣'.repeat(1_000)]],
      ['get_chat_messages', [{ chatId: noisy.chatId, limit: { valueOf: 5 } }]],
      ['totally_unknown', [{ a: 1 }, [2], 'three', 4, null, true]],
    ];

    const chatter = (async () => {
      const sent: Message[] = [];
      for (let i = 0; i < 10; i++) sent.push(await sendOk(calm.aliceSocket, calm.chatId, `calm ${i}`));
      return sent;
    })();
    chatter.catch(() => {}); // awaited below; must not surface as unhandled if the test fails first
    const answers = await Promise.all(garbage.map(([event, args]) => ask(noisy.aliceSocket, event, ...args)));
    for (const [event, args] of garbage) emitRaw(noisy.aliceSocket, event, ...args); // and without callbacks
    for (const answer of answers) {
      expect(answer).toMatchObject({ success: false, code: 'VALIDATION_ERROR', error: expect.any(String) });
    }
    // get_my_chats takes no payload: whatever arguments come with it are ignored.
    expect(await ask(noisy.aliceSocket, 'get_my_chats', null, 'x', [1])).toMatchObject({
      success: true,
      chats: [{ id: noisy.chatId }],
    });
    const calmSent = await chatter;

    await waitFor(() => calmReceived.length >= calmSent.length, 3_000, 'calm deliveries');
    expect(idsOf(calmReceived)).toEqual(idsOf(calmSent));
    expect(idsOf((await history(calm.bobSocket, { chatId: calm.chatId })).messages)).toEqual(idsOf(calmSent));

    // The noisy socket itself is still connected and useful, and nothing was stored from the garbage.
    const toNoisyBob = nextEvent<Message>(noisy.bobSocket, 'new_message');
    const fine = await sendOk(noisy.aliceSocket, noisy.chatId, 'behaving now');
    expect(await toNoisyBob).toStrictEqual(fine);
    expect(idsOf((await history(noisy.bobSocket, { chatId: noisy.chatId })).messages)).toEqual([fine.id]);
    expect(noisyDisconnects).toEqual([]);
    expect(noisy.aliceSocket.connected).toBe(true);
    expect((await api(server, 'GET', '/health')).status).toBe(200);
  });

  it('a packet over 64 KiB is refused by the transport: only that socket is dropped, others carry on', async () => {
    const offender = await chatPair(server, { join: true });
    const bystander = await chatPair(server, { join: true });
    const dropped = nextEvent<string>(offender.aliceSocket, 'disconnect', 5_000);
    emitRaw(offender.aliceSocket, 'send_message', { chatId: offender.chatId, text: 'x'.repeat(70 * 1024) });
    expect(typeof (await dropped)).toBe('string');
    expect(offender.aliceSocket.connected).toBe(false);

    await sleep(50);
    const toBystander = nextEvent<Message>(bystander.bobSocket, 'new_message');
    const sent = await sendOk(bystander.aliceSocket, bystander.chatId, 'unaffected');
    expect(await toBystander).toStrictEqual(sent);
    // Nothing of the refused packet was stored; the offender's partner is still connected.
    expect((await history(offender.bobSocket, { chatId: offender.chatId })).messages).toEqual([]);
    const again = await connect(server, offender.alice.token);
    expect((await ask(again, 'get_my_chats')).success).toBe(true);
  });
});
