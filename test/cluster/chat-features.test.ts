import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type {
  ChatEvent,
  ChatSummary,
  Message,
  MessagesRead,
  PresenceChange,
  UserTyping,
} from '../../src/protocol/types.js';
import { clusterEnv, connectTo, untilEvent, useClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js';
import { api, ask, collect, createChat, nextEvent, registerUser, sleep, type ClientSocket } from '../helpers/server.js';

/**
 * The events beyond the seed across two real Parley processes sharing PostgreSQL and Redis: each
 * broadcast made on node A reaches the sockets it is for on node B.
 */
describe.skipIf(!clusterEnv)('features beyond the seed on two nodes', () => {
  const nodes = useClusterNodes('A', 'B');
  let a: ClusterNode;
  let b: ClusterNode;
  beforeAll(() => {
    ({ A: a, B: b } = nodes);
  });

  /** Alice on node A and Bob on node B, both joined to one group chat. */
  async function pairAcrossNodes() {
    const alice = await registerUser(a, 'alice');
    const bob = await registerUser(b, 'bob');
    const chatId = await createChat(a, alice, [bob], `features-${randomUUID().slice(0, 6)}`);
    const aliceOnA = await connectTo(a, alice.token);
    const bobOnB = await connectTo(b, bob.token);
    for (const socket of [aliceOnA, bobOnB]) {
      expect(await ask(socket, 'join_chat', { chatId })).toMatchObject({ success: true });
    }
    return { alice, bob, chatId, aliceOnA, bobOnB };
  }

  async function send(socket: ClientSocket, chatId: string, text: string): Promise<Message> {
    const answer = await ask(socket, 'send_message', { chatId, text });
    expect(answer).toMatchObject({ success: true });
    return answer.message;
  }

  it('messages_read from a reader on B reaches the author on A', async () => {
    const { bob, chatId, aliceOnA, bobOnB } = await pairAcrossNodes();
    const sent = await send(aliceOnA, chatId, 'read me across nodes');
    const atAlice = nextEvent<MessagesRead>(aliceOnA, 'messages_read', 5_000);
    // The reader's own socket hears of the read too (it is published to the whole chat room).
    const atBob = nextEvent<MessagesRead>(bobOnB, 'messages_read', 5_000);
    expect(await ask(bobOnB, 'mark_read', { chatId, messageId: sent.id })).toStrictEqual({
      success: true,
      unreadCount: 0,
      unreadMentionCount: 0,
      seq: 1,
    });
    expect(await atAlice).toStrictEqual({ chatId, userId: bob.user.id, messageId: sent.id, seq: 1 });
    expect(await atBob).toStrictEqual({ chatId, userId: bob.user.id, messageId: sent.id, seq: 1 });
  });

  it('message_updated and message_deleted from the author on A reach a member on B; history through B shows them', async () => {
    const { chatId, aliceOnA, bobOnB } = await pairAcrossNodes();
    const sent = await send(aliceOnA, chatId, 'to be edited');
    const updated = nextEvent<Message>(bobOnB, 'message_updated', 5_000);
    const edit = await ask(aliceOnA, 'edit_message', { messageId: sent.id, text: 'edited on A' });
    expect(edit).toMatchObject({ success: true, message: { id: sent.id, text: 'edited on A', seq: 1, version: 2 } });
    expect(await updated).toStrictEqual(edit.message);

    const deleted = nextEvent<Message>(bobOnB, 'message_deleted', 5_000);
    const removal = await ask(aliceOnA, 'delete_message', { messageId: sent.id });
    expect(await deleted).toStrictEqual(removal.message);
    const page = await ask(bobOnB, 'get_chat_messages', { chatId });
    expect(page.messages).toStrictEqual([removal.message]);
    expect(removal.message).toMatchObject({ text: '', deletedAt: expect.any(String), seq: 1, version: 3 });
  });

  it('a reply sent on B carries its quote on A; the target deleted on A shows as its tombstone in what B reads and syncs', async () => {
    const { alice, chatId, aliceOnA, bobOnB } = await pairAcrossNodes();
    const target = await send(aliceOnA, chatId, 'the text that gets deleted');
    const atAlice = nextEvent<Message>(aliceOnA, 'new_message', 5_000);
    const reply = await ask(bobOnB, 'send_message', { chatId, text: 'a reply', replyTo: target.id });
    const quote = { id: target.id, text: 'the text that gets deleted', user: alice.user };
    expect(reply).toMatchObject({ success: true, message: { replyTo: quote } });
    expect(await atAlice).toStrictEqual(reply.message);

    const deleted = nextEvent<Message>(bobOnB, 'message_deleted', 5_000);
    const removal = await ask(aliceOnA, 'delete_message', { messageId: target.id });
    expect(await deleted).toStrictEqual(removal.message);
    const tombstone = { ...quote, text: '', deletedAt: removal.message.deletedAt };
    const page = await ask(bobOnB, 'get_chat_messages', { chatId });
    expect(page.messages[1]).toStrictEqual({ ...reply.message, replyTo: tombstone });
    const synced = await ask(bobOnB, 'sync', { chats: [{ chatId, version: 0 }] });
    expect(synced.chats[0].messages.map((m: Message) => m.replyTo ?? null)).toStrictEqual([tombstone, null]);
    const chats = await ask(bobOnB, 'get_my_chats');
    const everything = JSON.stringify([page, synced, chats]);
    expect(everything).not.toContain('the text that gets deleted');
  });

  it('a mention sent on B reaches the mentioned user’s socket on A outside the room as mentioned, the one in it as new_message; the counter reads the same on both', async () => {
    const { alice, bob, chatId, aliceOnA, bobOnB } = await pairAcrossNodes();
    const aliceElsewhereOnA = await connectTo(a, alice.token);
    const aliceElsewhereOnB = await connectTo(b, alice.token);
    const inRoom = collect(aliceOnA, 'mentioned');
    const toBob = collect(bobOnB, 'mentioned');
    const messageInRoom = nextEvent<Message>(aliceOnA, 'new_message', 5_000);
    const onA = nextEvent(aliceElsewhereOnA, 'mentioned', 5_000);
    const onB = nextEvent(aliceElsewhereOnB, 'mentioned', 5_000);
    const sent = await send(bobOnB, chatId, `@${alice.user.username.toUpperCase()} across nodes`);
    expect(sent.mentions).toEqual([alice.user.id]);
    expect(await onA).toStrictEqual({ chatId, message: sent });
    expect(await onB).toStrictEqual({ chatId, message: sent });
    expect(await messageInRoom).toStrictEqual(sent);
    await sleep(300);
    expect([inRoom, toBob]).toEqual([[], []]);
    for (const socket of [aliceOnA, aliceElsewhereOnB]) {
      const chats = await ask(socket, 'get_my_chats');
      expect(chats.chats.find((chat: ChatSummary) => chat.id === chatId)).toMatchObject({
        unreadCount: 1,
        unreadMentionCount: 1,
      });
    }
    expect(bob.user.id).not.toBe(alice.user.id);
  });

  it('reactions and pins made on both nodes reach both in version order; B syncs and reads their current state', async () => {
    const { alice, bob, chatId, aliceOnA, bobOnB } = await pairAcrossNodes();
    const sent = await send(aliceOnA, chatId, 'react and pin across nodes');
    const seenOnA: [string, { version: number }][] = [];
    const seenOnB: [string, { version: number }][] = [];
    for (const [socket, seen] of [
      [aliceOnA, seenOnA],
      [bobOnB, seenOnB],
    ] as const) {
      for (const event of ['message_reactions', 'chat_pins', 'message_updated'])
        (socket as unknown as { on(e: string, f: (p: { version: number }) => void): void }).on(event, (payload) =>
          seen.push([event, payload]),
        );
    }
    const reacted = await ask(bobOnB, 'add_reaction', { messageId: sent.id, emoji: '👍' });
    expect(reacted.message.reactions).toStrictEqual([{ emoji: '👍', count: 1, me: true }]);
    await ask(aliceOnA, 'add_reaction', { messageId: sent.id, emoji: '👍' });
    const pinned = await ask(aliceOnA, 'pin_message', { messageId: sent.id });
    expect(pinned.message).toMatchObject({ pinnedBy: alice.user.id, version: sent.version + 3 });
    await ask(bobOnB, 'remove_reaction', { messageId: sent.id, emoji: '👍' });
    const deadline = Date.now() + 5_000;
    while ((seenOnA.length < 4 || seenOnB.length < 4) && Date.now() < deadline) await sleep(20);
    for (const seen of [seenOnA, seenOnB]) {
      expect(seen.map(([event, payload]) => [event, payload.version])).toStrictEqual([
        ['message_reactions', sent.version + 1],
        ['message_reactions', sent.version + 2],
        ['chat_pins', sent.version + 3],
        ['message_reactions', sent.version + 4],
      ]);
    }
    expect(seenOnA[3]![1]).toMatchObject({ userId: bob.user.id, added: false, reactions: [{ emoji: '👍', count: 1 }] });
    const synced = await ask(bobOnB, 'sync', { chats: [{ chatId, version: sent.version }] });
    expect(synced.chats[0].messages).toStrictEqual([
      { ...pinned.message, version: sent.version + 4, reactions: [{ emoji: '👍', count: 1, me: false }] },
    ]);
    const pins = await ask(bobOnB, 'get_pinned_messages', { chatId });
    expect(pins.messages).toStrictEqual(synced.chats[0].messages);
  });

  it('search through B finds what was sent and edited on A by its current text, and never a message deleted on A', async () => {
    const { chatId, aliceOnA, bobOnB } = await pairAcrossNodes();
    const token = () => `zq${randomUUID().slice(0, 8)}`;
    const [kept, old, fresh, gone] = [token(), token(), token(), token()];
    const edited = await send(aliceOnA, chatId, `сообщения ${kept} ${old}`);
    expect(
      await ask(aliceOnA, 'edit_message', { messageId: edited.id, text: `сообщение ${kept} ${fresh}` }),
    ).toMatchObject({
      success: true,
    });
    const deleted = await send(aliceOnA, chatId, `${kept} ${gone}`);
    expect(await ask(aliceOnA, 'delete_message', { messageId: deleted.id })).toMatchObject({ success: true });
    const search = (query: string) => ask(bobOnB, 'search_messages', { query, chatId });
    const found = await search(`сообщениями ${kept}`);
    expect(found).toMatchObject({
      success: true,
      hasMore: false,
      hits: [{ message: { id: edited.id, text: `сообщение ${kept} ${fresh}` } }],
    });
    for (const query of [old, gone]) expect((await search(query)).hits).toStrictEqual([]);
    expect((await search(kept)).hits.map((hit: { message: Message }) => hit.message.id)).toStrictEqual([edited.id]);
  });

  it('user_typing from a typist on B reaches a member on A, true then false', async () => {
    const { bob, chatId, aliceOnA, bobOnB } = await pairAcrossNodes();
    const started = nextEvent<UserTyping>(aliceOnA, 'user_typing', 5_000);
    expect(await ask(bobOnB, 'typing', { chatId })).toStrictEqual({ success: true });
    expect(await started).toStrictEqual({ chatId, userId: bob.user.id, typing: true });
    const stopped = nextEvent<UserTyping>(aliceOnA, 'user_typing', 5_000);
    expect(await ask(bobOnB, 'stop_typing', { chatId })).toStrictEqual({ success: true });
    expect(await stopped).toStrictEqual({ chatId, userId: bob.user.id, typing: false });
  });

  it('chat_created for a chat created through A reaches a member’s socket on B', async () => {
    const alice = await registerUser(a, 'alice');
    const bob = await registerUser(b, 'bob');
    const bobOnB = await connectTo(b, bob.token);
    const created = nextEvent<{ chat: ChatSummary }>(bobOnB, 'chat_created', 5_000);
    const response = await api(a, 'POST', '/chats', {
      token: alice.token,
      body: { userIds: [bob.user.id], name: 'via A' },
    });
    expect(response.status).toBe(201);
    expect(await created).toStrictEqual({ chat: response.body.chat });
  });

  it('leaving through A takes the leaver’s sockets on B out of the chat room at once', async () => {
    const { alice, bob, chatId, aliceOnA, bobOnB } = await pairAcrossNodes();
    const bobOnA = await connectTo(a, bob.token);
    expect(await ask(bobOnA, 'join_chat', { chatId })).toMatchObject({ success: true });
    const toBobOnB = collect<Message>(bobOnB, 'new_message');
    const toBobOnA = collect<Message>(bobOnA, 'new_message');
    const left = nextEvent<{ chatId: string }>(bobOnB, 'chat_left', 5_000);
    const changed = nextEvent(aliceOnA, 'chat_members_changed', 5_000);

    const atAlice = nextEvent<Message>(aliceOnA, 'new_message', 5_000);
    const response = await api(a, 'DELETE', `/chats/${chatId}/members/me`, { token: bob.token });
    expect(response).toStrictEqual({ status: 200, body: { success: true } });
    // Sent as soon as the leave is answered, without waiting for any event.
    const sent = await send(aliceOnA, chatId, 'after bob left');
    expect(await left).toStrictEqual({ chatId });
    expect(await changed).toStrictEqual({ chatId, users: [{ ...alice.user, role: 'owner' }] });
    expect(await atAlice).toStrictEqual(sent);
    await sleep(500);
    expect(toBobOnB).toEqual([]);
    expect(toBobOnA).toEqual([]);
    expect(await ask(bobOnB, 'get_chat_messages', { chatId })).toMatchObject({ success: false, code: 'FORBIDDEN' });
  });

  it('presence counts a user’s sockets on both nodes: online once, offline only when the last one closes', async () => {
    const alice = await registerUser(a, 'alice');
    const bob = await registerUser(b, 'bob');
    const chatId = await createChat(a, alice, [bob], 'presence across nodes');
    const bobOnA = await connectTo(a, bob.token);
    const online = collect<PresenceChange>(bobOnA, 'user_online');
    const offline = collect<PresenceChange>(bobOnA, 'user_offline');
    const onlineOf = async (userId: string) => {
      const answer = await ask(bobOnA, 'get_my_chats');
      return answer.chats.find((c: ChatSummary) => c.id === chatId).users.find((u: { id: string }) => u.id === userId)
        .online;
    };
    expect(await onlineOf(alice.user.id)).toBe(false);

    const aliceOnB = await connectTo(b, alice.token);
    const started = Date.now();
    while (online.length === 0 && Date.now() - started < 5_000) await sleep(20);
    expect(online).toStrictEqual([{ userId: alice.user.id }]);
    // Her only socket is on B; A counts it.
    expect(await onlineOf(alice.user.id)).toBe(true);

    const aliceOnA = await connectTo(a, alice.token);
    aliceOnB.disconnect();
    await sleep(1_000);
    expect(offline).toEqual([]);
    expect(await onlineOf(alice.user.id)).toBe(true);

    aliceOnA.disconnect();
    while (offline.length === 0 && Date.now() - started < 10_000) await sleep(20);
    await sleep(500);
    expect(offline).toStrictEqual([{ userId: alice.user.id }]);
    // A hand-over between sockets may repeat user_online (state, not a toggle), never user_offline.
    expect(online.every((change) => change.userId === alice.user.id)).toBe(true);
    expect(await onlineOf(alice.user.id)).toBe(false);
  });
  it('a role change and a removal made on A reach B in version order; the removed member’s socket on B stops receiving the chat', async () => {
    const { alice, bob, chatId, aliceOnA, bobOnB } = await pairAcrossNodes();
    const carol = await registerUser(b, 'carol');
    const added = nextEvent<ChatEvent>(bobOnB, 'chat_event', 5_000);
    const addition = await api(a, 'POST', `/chats/${chatId}/members`, {
      token: bob.token,
      body: { userIds: [carol.user.id] },
    });
    expect(addition.status).toBe(200);
    expect(await added).toMatchObject({ kind: 'members_added', version: 1, userIds: [carol.user.id] });
    const carolOnB = await connectTo(b, carol.token);
    expect(await ask(carolOnB, 'join_chat', { chatId })).toMatchObject({ success: true });
    const atBob = collect<ChatEvent>(bobOnB, 'chat_event');
    const atCarol = collect<ChatEvent>(carolOnB, 'chat_event');
    const carolLeft = nextEvent(carolOnB, 'chat_left', 5_000);
    const carolMessages = collect<Message>(carolOnB, 'new_message');

    const granted = await api(a, 'PUT', `/chats/${chatId}/members/${bob.user.id}/role`, {
      token: alice.token,
      body: { role: 'admin' },
    });
    expect(granted.status).toBe(200);
    // The new admin removes carol through node A; her socket is on B.
    expect((await api(a, 'DELETE', `/chats/${chatId}/members/${carol.user.id}`, { token: bob.token })).status).toBe(
      200,
    );
    expect(await carolLeft).toEqual({ chatId });
    await untilEvent(bobOnB, 'chat_event', () => atBob.length >= 2);
    expect(atBob.map((event) => [event.kind, event.version])).toEqual([
      ['role_changed', 2],
      ['member_removed', 3],
    ]);
    // Carol's socket, in the room, got the role change; then her removal, once.
    expect(atCarol.map((event) => [event.kind, event.version])).toEqual([
      ['role_changed', 2],
      ['member_removed', 3],
    ]);
    await send(aliceOnA, chatId, 'after carol was removed');
    await sleep(300);
    expect(carolMessages).toEqual([]);
    expect(atCarol).toHaveLength(2);
  });
});
