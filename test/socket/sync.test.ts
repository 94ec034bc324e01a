import { describe, expect, it } from 'vitest';
import type { Message, SyncEntry } from '../../src/protocol/types.js';
import { SYNC_ANSWER_MAX_MESSAGES, SYNC_MAX_CHATS } from '../../src/protocol/schemas.js';
import { api, ask, connect, createChat, registerUser, useServer, type ClientSocket } from '../helpers/server.js';
import {
  chatPair,
  expectValidationError,
  FORBIDDEN_ANSWER,
  joinOk,
  MALFORMED_CHAT_ID,
  NON_OBJECT_PAYLOADS,
  sendOk,
  UNKNOWN_CHAT_ID,
} from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

/** sync that must succeed; its entries. */
async function syncOk(
  socket: ClientSocket,
  chats: { chatId: string; version: number }[],
  limit?: number,
): Promise<SyncEntry[]> {
  const answer = await ask(socket, 'sync', { chats, ...(limit === undefined ? {} : { limit }) });
  expect(answer).toMatchObject({ success: true, chats: expect.any(Array) });
  expect(answer.chats).toHaveLength(chats.length);
  return answer.chats;
}

const okEntry = (entry: SyncEntry | undefined) => {
  expect(entry).toMatchObject({ success: true });
  return entry as Extract<SyncEntry, { success: true }>;
};

describe.each(storeTargets.map((t) => t.name))('sync (contract §5) on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  it('answers every message changed after the version held, in its current state and version order', async () => {
    const { aliceSocket, bobSocket, chatId } = await chatPair(server);
    const m1 = await sendOk(aliceSocket, chatId, 'one');
    const m2 = await sendOk(bobSocket, chatId, 'two');
    const m3 = await sendOk(aliceSocket, chatId, 'three');
    expect([m1, m2, m3].map((m) => [m.seq, m.version])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    await ask(aliceSocket, 'edit_message', { messageId: m1.id, text: 'one, edited' });
    await ask(aliceSocket, 'delete_message', { messageId: m3.id });

    const [fromStart] = await syncOk(bobSocket, [{ chatId, version: 0 }]);
    const entry = okEntry(fromStart);
    expect(entry).toMatchObject({ chatId, version: 5, hasMore: false });
    expect(entry.messages.map((m) => [m.id, m.version, m.text])).toEqual([
      [m2.id, 2, 'two'],
      [m1.id, 4, 'one, edited'],
      [m3.id, 5, ''],
    ]);
    expect(entry.messages[1]!.editedAt).toEqual(expect.any(String));
    expect(entry.messages[2]!.deletedAt).toEqual(expect.any(String));

    const [fromThree] = await syncOk(bobSocket, [{ chatId, version: 3 }]);
    expect(okEntry(fromThree).messages.map((m) => m.version)).toEqual([4, 5]);
    const [upToDate] = await syncOk(bobSocket, [{ chatId, version: 5 }]);
    expect(upToDate).toStrictEqual({ success: true, chatId, version: 5, messages: [], events: [], hasMore: false });
  });

  it('never gives deleted or replaced text, whatever version is presented (the recovery leak)', async () => {
    const [alice, bob, carol] = await Promise.all([
      registerUser(server, 'alice'),
      registerUser(server, 'bob'),
      registerUser(server, 'carol'),
    ]);
    const chatId = await createChat(server, alice, [bob], 'leak');
    const aliceSocket = await connect(server, alice.token);
    const secret = await sendOk(aliceSocket, chatId, 'the secret that was deleted');
    const draft = await sendOk(aliceSocket, chatId, 'the wording before the edit');
    await ask(aliceSocket, 'delete_message', { messageId: secret.id });
    await ask(aliceSocket, 'edit_message', { messageId: draft.id, text: 'the wording now' });
    // Carol is added after both changes and asks from every version there is, and beyond.
    const added = await api(server, 'POST', `/chats/${chatId}/members`, {
      token: alice.token,
      body: { userIds: [carol.user.id] },
    });
    expect(added.status).toBe(200);
    const carolSocket = await connect(server, carol.token);
    const seen: unknown[] = [];
    carolSocket.onAny((...args) => seen.push(args));
    seen.push(await joinOk(carolSocket, chatId));
    for (const version of [0, 1, 2, 3, 4, 1_000, Number.MAX_SAFE_INTEGER])
      seen.push(await syncOk(carolSocket, [{ chatId, version }]));
    seen.push(
      (await api(server, 'POST', '/sync', { token: carol.token, body: { chats: [{ chatId, version: 0 }] } })).body,
    );
    const everything = JSON.stringify(seen);
    expect(everything).toContain('the wording now');
    expect(everything).not.toContain('the secret that was deleted');
    expect(everything).not.toContain('the wording before the edit');
  });

  it("pages per chat with hasMore: each page brings the client to its version, the last to the chat's", async () => {
    const { aliceSocket, bobSocket, chatId } = await chatPair(server);
    const sent: Message[] = [];
    for (let i = 0; i < 5; i++) sent.push(await sendOk(aliceSocket, chatId, `m${i}`));
    const received: Message[] = [];
    let version = 0;
    let pages = 0;
    for (;;) {
      const entry = okEntry((await syncOk(bobSocket, [{ chatId, version }], 2))[0]);
      received.push(...entry.messages);
      version = entry.version;
      pages++;
      if (!entry.hasMore) break;
      expect(entry.version).toBe(entry.messages.at(-1)!.version);
    }
    expect(pages).toBe(3);
    expect(version).toBe(5);
    expect(received.map((m) => m.id)).toEqual(sent.map((m) => m.id));
  });

  it(`answers at most ${SYNC_ANSWER_MAX_MESSAGES} messages in all; the chats past that say hasMore`, async () => {
    const { alice, bob, chatId, bobSocket } = await chatPair(server);
    const second = await createChat(server, alice, [bob], 'second');
    const third = await createChat(server, alice, [bob], 'third');
    // Written straight into the store: the point is the answer's size, not how the messages came.
    for (const id of [chatId, second, third]) {
      await server.app.store.messages.insertMessages(
        Array.from({ length: 150 }, (_, i) => ({ chatId: id, senderId: alice.user.id, text: `bulk ${i}` })),
      );
    }
    const chats = [chatId, second, third].map((id) => ({ chatId: id, version: 0 }));
    const entries = await syncOk(bobSocket, chats, 100);
    expect(entries.map((entry) => okEntry(entry).messages.length)).toEqual([100, 100, 0]);
    expect(entries.map((entry) => okEntry(entry).hasMore)).toEqual([true, true, true]);
    expect(entries.map((entry) => okEntry(entry).version)).toEqual([100, 100, 0]);
    // Asking on from where each entry left off brings every chat to 150.
    const rest = await syncOk(
      bobSocket,
      entries.map((entry) => ({ chatId: entry.chatId, version: okEntry(entry).version })),
      100,
    );
    expect(rest.map((entry) => okEntry(entry).messages.length)).toEqual([50, 50, 100]);
    const last = await syncOk(bobSocket, [{ chatId: third, version: okEntry(rest[2]).version }]);
    expect(okEntry(last[0])).toMatchObject({ version: 150, hasMore: false });
    expect(okEntry(last[0]).messages).toHaveLength(50);
  });

  it("answers FORBIDDEN in its own entry for a chat that is someone else's, unknown or no id, and the others as usual", async () => {
    const { aliceSocket, chatId } = await chatPair(server);
    const others = await chatPair(server);
    await sendOk(others.aliceSocket, others.chatId, 'not for alice');
    await sendOk(aliceSocket, chatId, 'mine');
    const entries = await syncOk(aliceSocket, [
      { chatId: others.chatId, version: 0 },
      { chatId, version: 0 },
      { chatId: UNKNOWN_CHAT_ID, version: 0 },
      { chatId: MALFORMED_CHAT_ID, version: 0 },
    ]);
    for (const [i, id] of [
      [0, others.chatId],
      [2, UNKNOWN_CHAT_ID],
      [3, MALFORMED_CHAT_ID],
    ] as const) {
      expect(entries[i]).toStrictEqual({ chatId: id, ...FORBIDDEN_ANSWER });
    }
    expect(okEntry(entries[1]).messages.map((m) => m.text)).toEqual(['mine']);
    expect(JSON.stringify(entries)).not.toContain('not for alice');
  });

  it('takes an empty list, and the chat id in any case', async () => {
    const { aliceSocket, chatId } = await chatPair(server);
    await sendOk(aliceSocket, chatId, 'hello');
    expect(await syncOk(aliceSocket, [])).toEqual([]);
    const [entry] = await syncOk(aliceSocket, [{ chatId: chatId.toUpperCase(), version: 0 }]);
    expect(okEntry(entry).messages.map((m) => m.text)).toEqual(['hello']);
  });

  describe('payload validation', () => {
    it.each(NON_OBJECT_PAYLOADS)('refuses %s as the payload', async (_, payload) => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'sync', payload), undefined);
    });

    it.each([
      ['no chats', {}, 'chats'],
      ['chats not an array', { chats: 'all' }, 'chats'],
      ['an entry that is not an object', { chats: [5] }, 'chats.0'],
      ['no chatId', { chats: [{ version: 0 }] }, 'chats.0.chatId'],
      ['a chatId that is a number', { chats: [{ chatId: 7, version: 0 }] }, 'chats.0.chatId'],
      ['an oversize chatId', { chats: [{ chatId: 'x'.repeat(101), version: 0 }] }, 'chats.0.chatId'],
      ['no version', { chats: [{ chatId: UNKNOWN_CHAT_ID }] }, 'chats.0.version'],
      ['a version as text', { chats: [{ chatId: UNKNOWN_CHAT_ID, version: '3' }] }, 'chats.0.version'],
      ['a negative version', { chats: [{ chatId: UNKNOWN_CHAT_ID, version: -1 }] }, 'chats.0.version'],
      ['a fractional version', { chats: [{ chatId: UNKNOWN_CHAT_ID, version: 1.5 }] }, 'chats.0.version'],
      ['a version past 2^53', { chats: [{ chatId: UNKNOWN_CHAT_ID, version: 2 ** 60 }] }, 'chats.0.version'],
      [
        'the same chat twice (in any case)',
        {
          chats: [
            { chatId: 'ab', version: 0 },
            { chatId: 'AB', version: 1 },
          ],
        },
        'chats',
      ],
      ['a limit of 0', { chats: [], limit: 0 }, 'limit'],
      ['a limit of 101', { chats: [], limit: 101 }, 'limit'],
      [
        `more than ${SYNC_MAX_CHATS} chats`,
        { chats: Array.from({ length: SYNC_MAX_CHATS + 1 }, () => ({ chatId: UNKNOWN_CHAT_ID, version: 0 })) },
        'chats',
      ],
    ])('refuses %s with VALIDATION_ERROR', async (_, payload, field) => {
      const { aliceSocket } = await chatPair(server);
      expectValidationError(await ask(aliceSocket, 'sync', payload), field);
      // The socket keeps working.
      expect(await syncOk(aliceSocket, [])).toEqual([]);
    });
  });
});

describe.each(storeTargets.map((t) => t.name))('POST /sync on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  it('answers as the sync event does', async () => {
    const { alice, aliceSocket, chatId } = await chatPair(server);
    const m = await sendOk(aliceSocket, chatId, 'over http');
    const { status, body } = await api(server, 'POST', '/sync', {
      token: alice.token,
      body: {
        chats: [
          { chatId, version: 0 },
          { chatId: UNKNOWN_CHAT_ID, version: 0 },
        ],
      },
    });
    expect(status).toBe(200);
    expect(body).toStrictEqual({
      success: true,
      chats: [
        { success: true, chatId, version: 1, messages: [m], events: [], hasMore: false },
        { chatId: UNKNOWN_CHAT_ID, ...FORBIDDEN_ANSWER },
      ],
    });
  });

  it('refuses a missing token with 401 and a bad body with 400 VALIDATION_ERROR', async () => {
    const { alice } = await chatPair(server);
    expect((await api(server, 'POST', '/sync', { body: { chats: [] } })).status).toBe(401);
    const bad = await api(server, 'POST', '/sync', {
      token: alice.token,
      body: { chats: [{ chatId: UNKNOWN_CHAT_ID, version: -3 }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR', field: 'chats.0.version' });
    const notJson = await api(server, 'POST', '/sync', {
      token: alice.token,
      body: 'chats',
      headers: { 'content-type': 'text/plain' },
    });
    expect(notJson.status).toBeGreaterThanOrEqual(400);
    expect(notJson.status).toBeLessThan(500);
  });
});
