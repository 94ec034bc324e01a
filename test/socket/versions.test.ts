import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { GAP_WAIT_MS, POSITION_CHECK_MS } from '../../src/realtime/chat-feed.js';
import {
  api,
  ask,
  collect,
  connect,
  createChat,
  registerUser,
  useServer,
  type ClientSocket,
} from '../helpers/server.js';
import { chatPair, joinOk, sendOk, waitFor } from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

const MESSAGE_EVENTS = ['new_message', 'message_updated', 'message_deleted'] as const;

/** Every message event a socket receives, in arrival order, with how many arguments it came with. */
function recordMessageEvents(socket: ClientSocket): { event: string; args: number; message: Message }[] {
  const seen: { event: string; args: number; message: Message }[] = [];
  socket.onAny((event: string, ...args: unknown[]) => {
    if ((MESSAGE_EVENTS as readonly string[]).includes(event))
      seen.push({ event, args: args.length, message: args[0] as Message });
  });
  return seen;
}

/** A chat's versions as one socket saw them: from its join page, then each live event. */
function expectStrictlyIncreasing(versions: number[]): void {
  for (let i = 1; i < versions.length; i++)
    expect(versions[i], `version after ${versions[i - 1]}`).toBeGreaterThan(versions[i - 1]!);
}

describe.each(storeTargets.map((t) => t.name))('chat versions on live events (contract §5) on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  it('each message event is one argument, the message, with chatId and the version it made, in order', async () => {
    const { aliceSocket, bobSocket, chatId } = await chatPair(server, { join: true });
    const seen = recordMessageEvents(bobSocket);
    const m = await sendOk(aliceSocket, chatId, 'first');
    await ask(aliceSocket, 'edit_message', { messageId: m.id, text: 'first, edited' });
    await ask(aliceSocket, 'delete_message', { messageId: m.id });
    await waitFor(() => seen.length === 3, 3_000, 'three events');
    expect(
      seen.map(({ event, args, message }) => [event, args, message.chatId, message.version, message.seq, message.text]),
    ).toEqual([
      ['new_message', 1, chatId, 1, 1, 'first'],
      ['message_updated', 1, chatId, 2, 1, 'first, edited'],
      ['message_deleted', 1, chatId, 3, 1, ''],
    ]);
  });

  it('join_chat answers the version its page reflects, and live events continue from it without repeats', async () => {
    const { alice, aliceSocket, chatId } = await chatPair(server, { join: true });
    for (let i = 0; i < 5; i++) await sendOk(aliceSocket, chatId, `before ${i}`);
    // A second tab of Alice's joins while 30 sends are in flight (within a user's default 4 running and 32 waiting).
    const tab = await connect(server, alice.token);
    const seen = recordMessageEvents(tab);
    const sends = Array.from({ length: 30 }, (_, i) =>
      ask(aliceSocket, 'send_message', { chatId, text: `during ${i}` }),
    );
    const joined = await ask(tab, 'join_chat', { chatId });
    expect((await Promise.all(sends)).every((answer) => answer.success)).toBe(true);
    expect(joined).toMatchObject({ success: true, version: expect.any(Number) });
    await waitFor(() => joined.version + seen.length >= 35, 3_000, 'every version');
    const versions = [...joined.messages.map((m: Message) => m.version), ...seen.map((s) => s.message.version)];
    expectStrictlyIncreasing(versions);
    expect(seen.every((s) => s.message.version > joined.version)).toBe(true);
    expect(versions.at(-1)).toBe(35);
    // Nothing left out between the page and the live events.
    expect(joined.version + seen.length).toBe(35);
  });

  it('a change committed whose broadcast was lost reaches the joined sockets from the database', async () => {
    const { alice, aliceSocket, bobSocket, chatId } = await chatPair(server, { join: true });
    const seen = recordMessageEvents(bobSocket);
    await sendOk(aliceSocket, chatId, 'live');
    // Stored behind the chat service's back: nothing publishes it, as when a node dies after COMMIT.
    const lost = await server.app.store.messages.insertMessage({
      chatId,
      senderId: alice.user.id,
      text: 'never broadcast',
    });
    expect(lost).toMatchObject({ outcome: 'created', message: { version: 2 } });
    await waitFor(() => seen.length === 2, POSITION_CHECK_MS + GAP_WAIT_MS + 2_000, 'the lost message');
    expect(seen.map((s) => [s.event, s.message.version, s.message.text])).toEqual([
      ['new_message', 1, 'live'],
      ['new_message', 2, 'never broadcast'],
    ]);
    // And an edit whose broadcast was lost arrives as an edit, in its current state.
    await server.app.store.messages.editMessage(
      lost.outcome === 'created' ? lost.message.id : '',
      alice.user.id,
      'edited quietly',
    );
    await waitFor(() => seen.length === 3, POSITION_CHECK_MS + GAP_WAIT_MS + 2_000, 'the lost edit');
    expect(seen[2]).toMatchObject({ event: 'message_updated', message: { version: 3, text: 'edited quietly' } });
  });

  it('a change that arrives ahead of a missing one is held until the gap is filled, then both arrive in order', async () => {
    const { alice, aliceSocket, bobSocket, chatId } = await chatPair(server, { join: true });
    const seen = recordMessageEvents(bobSocket);
    await server.app.store.messages.insertMessage({ chatId, senderId: alice.user.id, text: 'missing' });
    await sendOk(aliceSocket, chatId, 'arrives first');
    await waitFor(() => seen.length === 2, GAP_WAIT_MS + 2_000, 'both messages');
    expect(seen.map((s) => [s.message.version, s.message.text])).toEqual([
      [1, 'missing'],
      [2, 'arrives first'],
    ]);
  });

  it('a socket that joined gets the chat under any spelling of its id, and leave_chat stops it', async () => {
    const { aliceSocket, bobSocket, chatId } = await chatPair(server);
    await joinOk(aliceSocket, chatId);
    await joinOk(bobSocket, chatId.toUpperCase());
    const seen = recordMessageEvents(bobSocket);
    const aliceSeen = recordMessageEvents(aliceSocket);
    await sendOk(aliceSocket, chatId, 'to any case');
    await waitFor(() => seen.length === 1, 3_000, 'the message');
    expect(await ask(bobSocket, 'leave_chat', { chatId: chatId.toUpperCase() })).toEqual({ success: true });
    await sendOk(aliceSocket, chatId, 'after leaving');
    // Alice's joined socket is the control: once it has the message, Bob's would have too.
    await waitFor(() => aliceSeen.length === 2, 3_000, 'the control');
    expect(seen.map((s) => s.message.text)).toEqual(['to any case']);
  });

  it('sockets joining a chat at once, while it changes, each get every version after their own page, once', async () => {
    const [alice, ...others] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave', 'erin'].map((name) => registerUser(server, name)),
    );
    const chatId = await createChat(server, alice!, others, 'many joins');
    const aliceSocket = await connect(server, alice!.token);
    const sockets = await Promise.all(others.map((user) => connect(server, user.token)));
    const seen = sockets.map(recordMessageEvents);
    // No socket of this chat is joined yet on the node: the first joins start its position.
    const sends = Array.from({ length: 25 }, (_, i) => ask(aliceSocket, 'send_message', { chatId, text: `m${i}` }));
    const joins = await Promise.all(sockets.map((socket) => ask(socket, 'join_chat', { chatId })));
    expect((await Promise.all(sends)).every((answer) => answer.success)).toBe(true);
    for (const [i, joined] of joins.entries()) {
      expect(joined.success).toBe(true);
      await waitFor(
        () => joined.version + seen[i]!.length >= 25,
        3_000,
        `socket ${i}: every version after ${joined.version}`,
      );
      expect(seen[i]!.map((s) => s.message.version)).toEqual(
        Array.from({ length: 25 - joined.version }, (_, k) => joined.version + k + 1),
      );
    }
  });

  it('two join_chat of one socket at once leave it joined, with nothing repeated', async () => {
    const { aliceSocket, bobSocket, chatId } = await chatPair(server);
    const seen = recordMessageEvents(bobSocket);
    const sends = Array.from({ length: 10 }, (_, i) => ask(aliceSocket, 'send_message', { chatId, text: `m${i}` }));
    const [first, second] = await Promise.all([
      ask(bobSocket, 'join_chat', { chatId }),
      ask(bobSocket, 'join_chat', { chatId }),
    ]);
    await Promise.all(sends);
    expect([first.success, second.success]).toEqual([true, true]);
    await sendOk(aliceSocket, chatId, 'after both joins');
    await waitFor(() => seen.some((s) => s.message.text === 'after both joins'), 3_000, 'the message after both joins');
    const versions = seen.map((s) => s.message.version);
    expect(new Set(versions).size).toBe(versions.length);
    expectStrictlyIncreasing(versions);
    expect(versions.at(-1)).toBe(11);
  });

  it('a member who leaves while their join is in progress is not put back into the chat', async () => {
    for (let round = 0; round < 5; round++) {
      const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
      const chatId = await createChat(server, alice, [bob], `group ${round}`);
      const aliceSocket = await connect(server, alice.token);
      await joinOk(aliceSocket, chatId);
      await sendOk(aliceSocket, chatId, 'before');
      const bobSocket = await connect(server, bob.token);
      const seen = recordMessageEvents(bobSocket);
      const [joined, left] = await Promise.all([
        ask(bobSocket, 'join_chat', { chatId }),
        api(server, 'DELETE', `/chats/${chatId}/members/me`, { token: bob.token }),
      ]);
      expect(left.status).toBe(200);
      expect([true, false]).toContain(joined.success);
      const aliceSeen = recordMessageEvents(aliceSocket);
      await sendOk(aliceSocket, chatId, 'after bob left');
      await waitFor(() => aliceSeen.length === 1, 3_000, 'the control message');
      expect(seen.map((s) => s.message.text)).not.toContain('after bob left');
    }
  });

  it('joining again (a second join_chat on one socket) repeats nothing', async () => {
    const { aliceSocket, bobSocket, chatId } = await chatPair(server, { join: true });
    const seen = recordMessageEvents(bobSocket);
    const sends = Array.from({ length: 20 }, (_, i) => ask(aliceSocket, 'send_message', { chatId, text: `m${i}` }));
    const again = await ask(bobSocket, 'join_chat', { chatId });
    await Promise.all(sends);
    await waitFor(
      () =>
        new Set([...again.messages.map((m: Message) => m.version), ...seen.map((s) => s.message.version)]).size === 20,
      3_000,
      'all 20',
    );
    const afterJoin = seen.filter((s) => s.message.version > again.version).map((s) => s.message.version);
    expectStrictlyIncreasing(afterJoin);
    // Before the second join's answer the socket saw versions up to some point; after it, only newer ones.
    const versions = seen.map((s) => s.message.version);
    expect(new Set(versions).size).toBe(versions.length);
  });
});

describe.each(storeTargets.map((t) => t.name))('read positions (contract §5) on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  it('mark_read answers the seq, messages_read carries it to every joined socket, get_my_chats keeps it', async () => {
    const { alice, aliceSocket, bob, bobSocket, chatId } = await chatPair(server, { join: true });
    const reads = collect(aliceSocket, 'messages_read');
    const ownReads = collect(bobSocket, 'messages_read');
    await sendOk(aliceSocket, chatId, 'one');
    const two = await sendOk(aliceSocket, chatId, 'two');
    expect(await ask(bobSocket, 'mark_read', { chatId, messageId: two.id })).toEqual({
      success: true,
      unreadCount: 0,
      unreadMentionCount: 0,
      seq: 2,
    });
    await waitFor(() => reads.length === 1 && ownReads.length === 1, 3_000, 'messages_read');
    expect(reads[0]).toStrictEqual({ chatId, userId: bob.user.id, messageId: two.id, seq: 2 });
    // After a reload: Alice's chat list shows how far Bob has read.
    const list = await ask(aliceSocket, 'get_my_chats');
    const chat = list.chats.find((c: { id: string }) => c.id === chatId);
    expect(chat.version).toBe(2);
    expect(
      Object.fromEntries(chat.readPositions.map((p: { userId: string; seq: number }) => [p.userId, p.seq])),
    ).toEqual({
      [alice.user.id]: 0,
      [bob.user.id]: 2,
    });
  });
});
