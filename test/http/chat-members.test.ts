import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChatSummary, Message, PublicUser } from '../../src/protocol/types.js';
import { expectError, NO_CHAT_ACCESS } from '../helpers/http-envelope.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';
import {
  api,
  ask,
  collect,
  connect,
  createChat,
  registerUser,
  sleep,
  type TestUser,
  useServer,
} from '../helpers/server.js';
import {
  FORBIDDEN_ANSWER,
  history,
  idsOf,
  joinOk,
  MALFORMED_CHAT_ID,
  QUIET_MS,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
} from '../helpers/socket-fixtures.js';

/** Chats that change: chat_created, adding members to a group, leaving it. */

const DIRECT_CHAT_TEXT = 'В личном чате нельзя менять участников';
const sortById = <U extends PublicUser>(users: readonly U[]) => [...users].sort((a, b) => a.id.localeCompare(b.id));

describe('chats that change', () => {
  const server = useServer();

  const users = (count: number, prefix = 'm') =>
    Promise.all(Array.from({ length: count }, () => registerUser(server, prefix)));
  const addMembers = (caller: TestUser, chatId: string, body: unknown) =>
    api(server, 'POST', `/chats/${encodeURIComponent(chatId)}/members`, { token: caller.token, body });
  const leave = (caller: TestUser, chatId: string) =>
    api(server, 'DELETE', `/chats/${encodeURIComponent(chatId)}/members/me`, { token: caller.token });

  describe('chat_created on POST /chats', () => {
    it('reaches every member’s connected sockets, the creator’s included, and nobody else', async () => {
      const [owner, bob, carol, stranger] = await users(4);
      const ownerSocket = await connect(server, owner!.token);
      const bobTabs = [await connect(server, bob!.token), await connect(server, bob!.token)];
      const carolSocket = await connect(server, carol!.token);
      const strangerSocket = await connect(server, stranger!.token);
      const received = [ownerSocket, ...bobTabs, carolSocket].map((s) =>
        collect<{ chat: ChatSummary }>(s, 'chat_created'),
      );
      const toStranger = collect(strangerSocket, 'chat_created');

      const response = await api(server, 'POST', '/chats', {
        token: owner!.token,
        body: { userIds: [bob!.user.id, carol!.user.id], name: 'new group' },
      });
      expect(response.status).toBe(201);
      await waitFor(() => received.every((r) => r.length >= 1), 3_000, 'chat_created everywhere');
      await sleep(QUIET_MS);
      for (const r of received) expect(r).toStrictEqual([{ chat: response.body.chat }]);
      expect(toStranger).toEqual([]);
    });

    it('is not sent again when an existing direct chat is returned', async () => {
      const [alice, bob] = await users(2);
      const bobSocket = await connect(server, bob!.token);
      const toBob = collect(bobSocket, 'chat_created');
      await createChat(server, alice!, [bob!]);
      await waitFor(() => toBob.length >= 1, 3_000, 'chat_created');
      const again = await api(server, 'POST', '/chats', { token: alice!.token, body: { userIds: [bob!.user.id] } });
      expect(again.status).toBe(200);
      await sleep(QUIET_MS);
      expect(toBob).toHaveLength(1);
    });
  });

  describe('POST /chats/:id/members', () => {
    it('adds users: 200 {success, chat}; the added get chat_created as they see it, the others chat_members_changed', async () => {
      const [owner, bob, carol, dave] = await users(4);
      const chatId = await createChat(server, owner!, [bob!], 'team');
      const ownerSocket = await connect(server, owner!.token);
      await sendOk(ownerSocket, chatId, 'before carol came');
      const bobSocket = await connect(server, bob!.token);
      const carolSocket = await connect(server, carol!.token);
      const daveSocket = await connect(server, dave!.token);
      const toBob = collect(bobSocket, 'chat_members_changed');
      const toCarol = collect<{ chat: ChatSummary }>(carolSocket, 'chat_created');
      const toDave = collect<{ chat: ChatSummary }>(daveSocket, 'chat_created');

      const response = await addMembers(bob!, chatId, {
        userIds: [carol!.user.id, dave!.user.id, carol!.user.id, owner!.user.id],
      });
      expect(response.status).toBe(200);
      expect(response.body).toStrictEqual({
        success: true,
        chat: expect.objectContaining({ id: chatId, name: 'team' }),
      });
      // The creator owns the group; the rest are plain members (README "Group roles").
      const members = [
        { ...owner!.user, role: 'owner' },
        ...[bob!, carol!, dave!].map((user) => ({ ...user.user, role: 'member' })),
      ];
      expect(sortById(response.body.chat.users)).toStrictEqual(sortById(members));

      await waitFor(() => toBob.length >= 1 && toCarol.length >= 1 && toDave.length >= 1, 3_000, 'events');
      await sleep(QUIET_MS);
      expect(toBob).toStrictEqual([{ chatId, users: response.body.chat.users }]);
      // The newcomer's view: the message sent before they came is unread for them.
      expect(toCarol).toStrictEqual([{ chat: { ...response.body.chat, unreadCount: 1 } }]);
      expect(toDave).toHaveLength(1);

      // The added members can read, join and write.
      expect((await history(carolSocket, { chatId })).messages.map((m) => m.text)).toEqual(['before carol came']);
      await joinOk(carolSocket, chatId);
      await sendOk(carolSocket, chatId, 'hi, I am new');
      const carolChats = await ask(carolSocket, 'get_my_chats');
      expect(carolChats.chats.map((c: ChatSummary) => c.id)).toContain(chatId);
    });

    it('reads the chat id and user ids in any case: each user is added once', async () => {
      const [owner, bob, carol] = await users(3);
      const chatId = await createChat(server, owner!, [bob!], 'any case');
      const upper = await addMembers(owner!, chatId.toUpperCase(), {
        userIds: [carol!.user.id.toUpperCase(), bob!.user.id.toUpperCase()],
      });
      expect(upper.status).toBe(200);
      expect(sortById(upper.body.chat.users).map((user: PublicUser) => user.id)).toStrictEqual(
        sortById([owner!.user, bob!.user, carol!.user]).map((user) => user.id),
      );
      const again = await addMembers(owner!, chatId, { userIds: [carol!.user.id] });
      expect(again.status).toBe(200);
      expect(again.body.chat.users).toHaveLength(3);
    });

    it('adding only members already in the chat changes nothing and sends nothing', async () => {
      const [owner, bob] = await users(2);
      const chatId = await createChat(server, owner!, [bob!], 'same');
      const bobSocket = await connect(server, bob!.token);
      const events = collect(bobSocket, 'chat_members_changed');
      const response = await addMembers(owner!, chatId, { userIds: [bob!.user.id] });
      expect(response.status).toBe(200);
      expect(sortById(response.body.chat.users)).toStrictEqual(
        sortById([
          { ...owner!.user, role: 'owner' },
          { ...bob!.user, role: 'member' },
        ]),
      );
      await sleep(QUIET_MS);
      expect(events).toEqual([]);
    });

    it('refuses a direct chat, a chat the caller is not in, an unknown chat and a malformed id', async () => {
      const [alice, bob, carol] = await users(3);
      const direct = await createChat(server, alice!, [bob!]);
      const group = await createChat(server, alice!, [bob!], 'closed');
      expectError(await addMembers(alice!, direct, { userIds: [carol!.user.id] }), 403, 'FORBIDDEN', DIRECT_CHAT_TEXT);
      for (const chatId of [group, UNKNOWN_CHAT_ID, MALFORMED_CHAT_ID]) {
        expectError(await addMembers(carol!, chatId, { userIds: [carol!.user.id] }), 403, 'FORBIDDEN', NO_CHAT_ACCESS);
      }
      const chats = await api(server, 'GET', '/chats', { token: carol!.token });
      expect(chats.body.chats).toEqual([]);
    });

    it('refuses unknown users (404, nobody added) and bad bodies (400)', async () => {
      const [owner, bob, carol] = await users(3);
      const chatId = await createChat(server, owner!, [bob!], 'strict');
      const unknown = await addMembers(owner!, chatId, { userIds: [carol!.user.id, UNKNOWN_CHAT_ID] });
      expectError(unknown, 404, 'NOT_FOUND');
      expect(unknown.body.field).toBe('userIds');
      const chats = await api(server, 'GET', '/chats', { token: carol!.token });
      expect(chats.body.chats).toEqual([]);

      for (const body of [
        {},
        { userIds: [] },
        { userIds: 'x' },
        { userIds: [5] },
        { userIds: [''] },
        [carol!.user.id],
        'nonsense',
      ]) {
        const response = await addMembers(owner!, chatId, body);
        expectError(response, 400, 'VALIDATION_ERROR');
      }
      expect(
        (await api(server, 'POST', `/chats/${chatId}/members`, { body: { userIds: [carol!.user.id] } })).status,
      ).toBe(401);
    });
  });

  describe('DELETE /chats/:id/members/me', () => {
    async function groupOfThree() {
      const [owner, bob, carol] = await users(3);
      const chatId = await createChat(server, owner!, [bob!, carol!], 'leavable');
      return { owner: owner!, bob: bob!, carol: carol!, chatId };
    }

    it('answers {success: true}; the leaver’s sockets leave the room at once and get chat_left; the others chat_members_changed', async () => {
      const { owner, bob, carol, chatId } = await groupOfThree();
      const ownerSocket = await connect(server, owner.token);
      const bobTabs = [await connect(server, bob.token), await connect(server, bob.token)];
      const carolSocket = await connect(server, carol.token);
      for (const socket of [ownerSocket, ...bobTabs, carolSocket]) await joinOk(socket, chatId);
      const leftEvents = bobTabs.map((tab) => collect(tab, 'chat_left'));
      const toBob = bobTabs.map((tab) => collect<Message>(tab, 'new_message'));
      const toCarol = collect<Message>(carolSocket, 'new_message');
      const changed = collect(carolSocket, 'chat_members_changed');

      expect(await leave(bob, chatId)).toStrictEqual({ status: 200, body: { success: true } });
      const after = await sendOk(ownerSocket, chatId, 'after bob left');
      await waitFor(() => toCarol.length >= 1 && changed.length >= 1, 3_000, 'delivery to carol');
      await waitFor(() => leftEvents.every((l) => l.length >= 1), 3_000, 'chat_left');
      await sleep(QUIET_MS);
      expect(toCarol).toStrictEqual([after]);
      for (const received of toBob) expect(received).toEqual([]);
      for (const received of leftEvents) expect(received).toStrictEqual([{ chatId }]);
      expect(changed).toHaveLength(1);
      expect(changed[0]).toStrictEqual({ chatId, users: expect.any(Array) });
      expect(sortById((changed[0] as { users: PublicUser[] }).users)).toStrictEqual(
        sortById([
          { ...owner.user, role: 'owner' },
          { ...carol.user, role: 'member' },
        ]),
      );
    });

    it('takes the chat id in any case: every socket of the leaver leaves the room', async () => {
      const { owner, bob, chatId } = await groupOfThree();
      const ownerSocket = await connect(server, owner.token);
      const bobTabs = [await connect(server, bob.token), await connect(server, bob.token)];
      await joinOk(ownerSocket, chatId);
      for (const tab of bobTabs) await joinOk(tab, chatId.toUpperCase());
      const toBob = bobTabs.map((tab) => collect<Message>(tab, 'new_message'));
      const toOwner = collect<Message>(ownerSocket, 'new_message');

      expect(await leave(bob, chatId.toUpperCase())).toStrictEqual({ status: 200, body: { success: true } });
      await sendOk(ownerSocket, chatId, 'after bob left');
      await waitFor(() => toOwner.length >= 1, 3_000, 'the control');
      await sleep(QUIET_MS);
      for (const received of toBob) expect(received).toEqual([]);
      expect((await api(server, 'GET', '/chats', { token: bob.token })).body.chats).toEqual([]);
    });

    it('after leaving every event for the chat is refused, over Socket.IO and HTTP', async () => {
      const { owner, bob, chatId } = await groupOfThree();
      const bobSocket = await connect(server, bob.token);
      const ownerSocket = await connect(server, owner.token);
      const own = await sendOk(bobSocket, chatId, 'bob wrote this before leaving');
      const other = await sendOk(ownerSocket, chatId, 'owner wrote this');
      expect((await leave(bob, chatId)).status).toBe(200);

      const refused: [string, object][] = [
        ['send_message', { chatId, text: 'still here?' }],
        ['join_chat', { chatId }],
        ['leave_chat', { chatId }],
        ['get_chat_messages', { chatId }],
        ['mark_read', { chatId, messageId: other.id }],
        ['typing', { chatId }],
        ['stop_typing', { chatId }],
        ['edit_message', { messageId: own.id, text: 'edit after leaving' }],
        ['delete_message', { messageId: own.id }],
      ];
      for (const [event, payload] of refused) {
        expect(await ask(bobSocket, event, payload), event).toStrictEqual(FORBIDDEN_ANSWER);
      }
      expectError(
        await api(server, 'GET', `/chats/${chatId}/messages`, { token: bob.token }),
        403,
        'FORBIDDEN',
        NO_CHAT_ACCESS,
      );
      expectError(await leave(bob, chatId), 403, 'FORBIDDEN', NO_CHAT_ACCESS);
      expectError(await addMembers(bob, chatId, { userIds: [bob.user.id] }), 403, 'FORBIDDEN', NO_CHAT_ACCESS);
      expect((await ask(bobSocket, 'get_my_chats')).chats).toEqual([]);

      // The chat goes on without bob; his messages stay in its history.
      expect(idsOf((await history(ownerSocket, { chatId })).messages)).toEqual([own.id, other.id]);
      await sendOk(ownerSocket, chatId, 'still works for the others');
    });

    it('a former member added again can read the whole history again', async () => {
      const { owner, bob, chatId } = await groupOfThree();
      const ownerSocket = await connect(server, owner.token);
      const sent = await sendOk(ownerSocket, chatId, 'while bob was away');
      expect((await leave(bob, chatId)).status).toBe(200);
      expect((await addMembers(owner, chatId, { userIds: [bob.user.id] })).status).toBe(200);
      const bobSocket = await connect(server, bob.token);
      expect(idsOf((await history(bobSocket, { chatId })).messages)).toEqual([sent.id]);
    });

    it('refuses a direct chat, a chat the caller is not in, an unknown chat and a malformed id', async () => {
      const [alice, bob, carol] = await users(3);
      const direct = await createChat(server, alice!, [bob!]);
      expectError(await leave(alice!, direct), 403, 'FORBIDDEN', DIRECT_CHAT_TEXT);
      const group = await createChat(server, alice!, [bob!], 'not carol’s');
      for (const chatId of [group, UNKNOWN_CHAT_ID, MALFORMED_CHAT_ID]) {
        expectError(await leave(carol!, chatId), 403, 'FORBIDDEN', NO_CHAT_ACCESS);
      }
      expect((await api(server, 'DELETE', `/chats/${group}/members/me`)).status).toBe(401);
    });
  });
});

describe.each(storeTargets)('POST /chats/:id/members racing for the member cap, on $name', (target) => {
  const server = useServer(serverEnvFor(target.name));

  it('of two concurrent additions that together pass 200 members, exactly one succeeds', async () => {
    const [owner, bob] = await Promise.all([registerUser(server, 'owner'), registerUser(server, 'bob')]);
    // Users straight into the store: 298 registrations would spend their time in the password hash.
    const newcomers = await Promise.all(
      Array.from({ length: 2 * 149 }, () => {
        const tag = randomUUID().slice(0, 8);
        return server.app.store.users.createUser({
          email: `crowd-${tag}@example.com`,
          username: `crowd_${tag}`,
          passwordHash: null,
        });
      }),
    );
    const halves = [newcomers.slice(0, 149), newcomers.slice(149)].map((half) => half.map((user) => user.id));
    // Several chats at once, so that the two additions of each really do overlap.
    const chatIds = await Promise.all([1, 2, 3].map((n) => createChat(server, owner, [bob], `crowd ${n}`)));
    const answers = await Promise.all(
      chatIds.map((chatId) =>
        Promise.all(
          halves.map((userIds) =>
            api(server, 'POST', `/chats/${chatId}/members`, { token: owner.token, body: { userIds } }),
          ),
        ),
      ),
    );
    const { body } = await api(server, 'GET', '/chats', { token: owner.token });
    for (const [i, chatId] of chatIds.entries()) {
      const [accepted, refused] = [...answers[i]!].sort((a, b) => a.status - b.status);
      expect(accepted!.status).toBe(200);
      expect(accepted!.body.chat.users).toHaveLength(151);
      expectError(refused!, 400, 'VALIDATION_ERROR', 'Слишком много участников в чате');
      expect(refused!.body.field).toBe('userIds');
      expect(body.chats.find((chat: ChatSummary) => chat.id === chatId).users).toHaveLength(151);
    }
  });
});
