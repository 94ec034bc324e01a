import { describe, expect, it } from 'vitest';
import type { ChatEvent, ChatSummary, Message } from '../../src/protocol/types.js';
import { expectError, NO_CHAT_ACCESS } from '../helpers/http-envelope.js';
import {
  api,
  ask,
  collect,
  connect,
  createChat,
  nextEvent,
  registerUser,
  sleep,
  useServer,
  type ClientSocket,
  type TestUser,
} from '../helpers/server.js';
import { joinOk, MALFORMED_CHAT_ID, QUIET_MS, sendOk, UNKNOWN_CHAT_ID, waitFor } from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

/**
 * Group roles (README "Group roles") and the versioned chat events they make (README "Chat
 * events"): what each role may do, refused alike for a chat the caller is not in and an unknown
 * one, and every change delivered live in version order and returned by sync.
 */

const DIRECT_MEMBERS = 'В личном чате нельзя менять участников';
const DIRECT_FIXED = 'У личного чата нет ролей, названия и настроек';
const ADMINS_ONLY = 'Это могут только администраторы и владелец чата';
const OWNER_ONLY = 'Это может только владелец чата';
const OUTRANKED = 'Нельзя удалить владельца или администратора: это может только владелец';
const NOT_AUTHOR = 'Изменять и удалять можно только свои сообщения';

describe.each(storeTargets)('group roles on $name', (target) => {
  const server = useServer(serverEnvFor(target.name));

  const users = (count: number) => Promise.all(Array.from({ length: count }, () => registerUser(server, 'gr')));
  /** A group of `count` users, created by the first (its owner). */
  async function group(count = 3) {
    const members = await users(count);
    const chatId = await createChat(server, members[0]!, members.slice(1), 'team');
    return { members, chatId };
  }
  const patch = (caller: TestUser, chatId: string, body: unknown) =>
    api(server, 'PATCH', `/chats/${chatId}`, { token: caller.token, body });
  const remove = (caller: TestUser, chatId: string, userId: string) =>
    api(server, 'DELETE', `/chats/${chatId}/members/${userId}`, { token: caller.token });
  const setRole = (caller: TestUser, chatId: string, userId: string, body: unknown) =>
    api(server, 'PUT', `/chats/${chatId}/members/${userId}/role`, { token: caller.token, body });
  const addMembers = (caller: TestUser, chatId: string, userIds: string[]) =>
    api(server, 'POST', `/chats/${chatId}/members`, { token: caller.token, body: { userIds } });
  const rolesOf = (chat: ChatSummary) => Object.fromEntries(chat.users.map((user) => [user.id, user.role]));
  async function summary(user: TestUser, chatId: string): Promise<ChatSummary | undefined> {
    const { body } = await api(server, 'GET', '/chats', { token: user.token });
    return (body.chats as ChatSummary[]).find((chat) => chat.id === chatId);
  }
  async function makeAdmin(owner: TestUser, chatId: string, user: TestUser) {
    expect((await setRole(owner, chatId, user.user.id, { role: 'admin' })).status).toBe(200);
  }
  /** The answers a caller who is not in the chat gets, beside an unknown and a malformed chat's: all alike. */
  async function expectRefusedAlike(
    request: (chatId: string) => Promise<{ status: number; body: unknown }>,
    chatId: string,
  ) {
    const answers = await Promise.all([chatId, UNKNOWN_CHAT_ID, MALFORMED_CHAT_ID].map(request));
    for (const answer of answers) {
      expect(answer.status).toBe(403);
      expect(answer.body).toStrictEqual({ success: false, error: NO_CHAT_ACCESS, code: 'FORBIDDEN' });
    }
  }

  describe('roles in the chat summary', () => {
    it('the creator owns a group, the others are members; every list and chat_created says so; a direct chat has none', async () => {
      const [owner, bob, carol] = await users(3);
      const bobSocket = await connect(server, bob!.token);
      const created = nextEvent<{ chat: ChatSummary }>(bobSocket, 'chat_created');
      const { body } = await api(server, 'POST', '/chats', {
        token: owner!.token,
        body: { userIds: [bob!.user.id, carol!.user.id], name: 'roles' },
      });
      const expected = { [owner!.user.id]: 'owner', [bob!.user.id]: 'member', [carol!.user.id]: 'member' };
      expect(rolesOf(body.chat)).toEqual(expected);
      expect(body.chat.membersCanAdd).toBe(true);
      expect(rolesOf((await created).chat)).toEqual(expected);
      expect(rolesOf((await summary(bob!, body.chat.id))!)).toEqual(expected);
      const listed = await ask(bobSocket, 'get_my_chats');
      expect(rolesOf(listed.chats.find((chat: ChatSummary) => chat.id === body.chat.id))).toEqual(expected);

      const direct = await createChat(server, owner!, [bob!]);
      const directSummary = (await summary(owner!, direct))!;
      expect(directSummary.users.every((user) => !('role' in user))).toBe(true);
      expect(directSummary).not.toHaveProperty('membersCanAdd');
    });
  });

  describe('PATCH /chats/:id', () => {
    it('the owner and admins rename and change settings; a plain member is refused', async () => {
      const { members, chatId } = await group(3);
      const [owner, admin, member] = members as [TestUser, TestUser, TestUser];
      await makeAdmin(owner, chatId, admin);
      const renamed = await patch(owner, chatId, { name: '  new name  ' });
      expect(renamed.status).toBe(200);
      expect(renamed.body.chat).toMatchObject({ id: chatId, name: 'new name' });
      expect((await patch(admin, chatId, { name: 'by the admin', membersCanAdd: false })).body.chat).toMatchObject({
        name: 'by the admin',
        membersCanAdd: false,
      });
      expectError(await patch(member, chatId, { name: 'by a member' }), 403, 'FORBIDDEN', ADMINS_ONLY);
      expectError(await patch(member, chatId, { membersCanAdd: true }), 403, 'FORBIDDEN', ADMINS_ONLY);
      expect(await summary(member, chatId)).toMatchObject({ name: 'by the admin', membersCanAdd: false });
    });

    it('membersCanAdd false: plain members may not add people, admins still may; true again lets them', async () => {
      const { members, chatId } = await group(3);
      const [owner, admin, member] = members as [TestUser, TestUser, TestUser];
      const [newcomer, another] = await users(2);
      await makeAdmin(owner, chatId, admin);
      expect((await patch(owner, chatId, { membersCanAdd: false })).status).toBe(200);
      expectError(await addMembers(member, chatId, [newcomer!.user.id]), 403, 'FORBIDDEN', ADMINS_ONLY);
      expect((await addMembers(admin, chatId, [newcomer!.user.id])).status).toBe(200);
      expect((await patch(admin, chatId, { membersCanAdd: true })).status).toBe(200);
      expect((await addMembers(member, chatId, [another!.user.id])).status).toBe(200);
    });

    it('refuses a chat the caller is not in exactly like an unknown one, and a direct chat', async () => {
      const { chatId } = await group(2);
      const [stranger, other] = await users(2);
      await expectRefusedAlike((id) => patch(stranger!, id, { name: 'mine now' }), chatId);
      const direct = await createChat(server, stranger!, [other!]);
      expectError(await patch(stranger!, direct, { name: 'named' }), 403, 'FORBIDDEN', DIRECT_FIXED);
    });

    it('refuses bad input: no field, wrong types, an empty or oversize name, not an object', async () => {
      const { members, chatId } = await group(2);
      const owner = members[0]!;
      for (const body of [
        {},
        { name: 5 },
        { name: '   ' },
        { name: 'x'.repeat(101) },
        { membersCanAdd: 'yes' },
        [1],
        'name',
      ]) {
        const answer = await patch(owner, chatId, body);
        expectError(answer, 400, 'VALIDATION_ERROR');
      }
      expect((await patch(owner, chatId, { name: 'x'.repeat(100) })).status).toBe(200);
    });
  });

  describe('DELETE /chats/:id/members/:userId', () => {
    it('an admin removes a member: they get their removal and chat_left, leave the room (uppercase ids too), and lose access', async () => {
      const { members, chatId } = await group(3);
      const [owner, admin, member] = members as [TestUser, TestUser, TestUser];
      await makeAdmin(owner, chatId, admin);
      const [memberSocket, ownerSocket] = await Promise.all([
        connect(server, member.token),
        connect(server, owner.token),
      ]);
      await joinOk(memberSocket, chatId);
      await joinOk(ownerSocket, chatId);
      const toMember = collect<ChatEvent>(memberSocket, 'chat_event');
      const toOwner = collect<ChatEvent>(ownerSocket, 'chat_event');
      const left = nextEvent<{ chatId: string }>(memberSocket, 'chat_left');
      const memberMessages = collect<Message>(memberSocket, 'new_message');

      const removed = await remove(admin, chatId.toUpperCase(), member.user.id.toUpperCase());
      expect(removed.status).toBe(200);
      expect(removed.body).toStrictEqual({ success: true });
      expect(await left).toEqual({ chatId });
      await waitFor(() => toMember.length >= 1 && toOwner.length >= 1, 3_000, 'chat_event');
      const event = { chatId, kind: 'member_removed', userId: member.user.id, actorId: admin.user.id };
      expect(toMember).toEqual([expect.objectContaining(event)]);
      expect(toOwner).toEqual([expect.objectContaining(event)]);
      expect(toMember[0]!.version).toBe(toOwner[0]!.version);

      await sendOk(ownerSocket, chatId, 'after the removal');
      await sleep(QUIET_MS);
      expect(memberMessages).toEqual([]);
      expect(await ask(memberSocket, 'send_message', { chatId, text: 'still here?' })).toMatchObject({
        code: 'FORBIDDEN',
      });
      expect(await summary(member, chatId)).toBeUndefined();
      expect((await summary(owner, chatId))!.users.map((user) => user.id)).not.toContain(member.user.id);
    });

    it('members remove nobody; admins remove plain members only; the owner removes admins', async () => {
      const { members, chatId } = await group(5);
      const [owner, admin, other, member, last] = members as [TestUser, TestUser, TestUser, TestUser, TestUser];
      await makeAdmin(owner, chatId, admin);
      await makeAdmin(owner, chatId, other);
      expectError(await remove(member, chatId, last.user.id), 403, 'FORBIDDEN', ADMINS_ONLY);
      expectError(await remove(member, chatId, admin.user.id), 403, 'FORBIDDEN', ADMINS_ONLY);
      expectError(await remove(admin, chatId, other.user.id), 403, 'FORBIDDEN', OUTRANKED);
      expectError(await remove(admin, chatId, owner.user.id), 403, 'FORBIDDEN', OUTRANKED);
      expect((await remove(owner, chatId, other.user.id)).status).toBe(200);
      expect((await remove(admin, chatId, last.user.id)).status).toBe(200);
      expect(Object.keys(rolesOf((await summary(owner, chatId))!)).sort()).toEqual(
        [owner, admin, member].map((user) => user.user.id).sort(),
      );
    });

    it('a user who is not a member, an unknown and a malformed id are NOT_FOUND, told only to who may remove', async () => {
      const { members, chatId } = await group(2);
      const [owner, member] = members as [TestUser, TestUser];
      const [outsider] = await users(1);
      for (const userId of [outsider!.user.id, UNKNOWN_CHAT_ID, 'not-a-user']) {
        const answer = await remove(owner, chatId, userId);
        expectError(answer, 404, 'NOT_FOUND', 'Пользователь не состоит в этом чате');
        expect(answer.body.field).toBe('userId');
        expectError(await remove(member, chatId, userId), 403, 'FORBIDDEN', ADMINS_ONLY);
      }
    });

    it('refuses a chat the caller is not in like an unknown one, and a direct chat; your own id leaves', async () => {
      const { members, chatId } = await group(3);
      const [stranger, other] = await users(2);
      await expectRefusedAlike((id) => remove(stranger!, id, members[1]!.user.id), chatId);
      const direct = await createChat(server, stranger!, [other!]);
      expectError(await remove(stranger!, direct, other!.user.id), 403, 'FORBIDDEN', DIRECT_MEMBERS);
      expect((await remove(members[2]!, chatId, members[2]!.user.id)).status).toBe(200);
      expect(await summary(members[2]!, chatId)).toBeUndefined();
    });
  });

  describe('PUT /chats/:id/members/:userId/role', () => {
    it('the owner grants and takes admin, and hands ownership over (becoming an admin)', async () => {
      const { members, chatId } = await group(3);
      const [owner, bob, carol] = members as [TestUser, TestUser, TestUser];
      const granted = await setRole(owner, chatId, bob.user.id, { role: 'admin' });
      expect(granted.status).toBe(200);
      expect(rolesOf(granted.body.chat)[bob.user.id]).toBe('admin');
      const taken = await setRole(owner, chatId, bob.user.id, { role: 'member' });
      expect(rolesOf(taken.body.chat)[bob.user.id]).toBe('member');
      const handed = await setRole(owner, chatId, carol.user.id, { role: 'owner' });
      expect(rolesOf(handed.body.chat)).toEqual({
        [owner.user.id]: 'admin',
        [bob.user.id]: 'member',
        [carol.user.id]: 'owner',
      });
      // The former owner, an admin now, sets roles no more.
      expectError(await setRole(owner, chatId, bob.user.id, { role: 'admin' }), 403, 'FORBIDDEN', OWNER_ONLY);
    });

    it('admins and members are refused; the owner cannot change their own role; the target must be a member', async () => {
      const { members, chatId } = await group(3);
      const [owner, admin, member] = members as [TestUser, TestUser, TestUser];
      const [outsider] = await users(1);
      await makeAdmin(owner, chatId, admin);
      expectError(await setRole(admin, chatId, member.user.id, { role: 'admin' }), 403, 'FORBIDDEN', OWNER_ONLY);
      expectError(await setRole(admin, chatId, admin.user.id, { role: 'owner' }), 403, 'FORBIDDEN', OWNER_ONLY);
      expectError(await setRole(member, chatId, member.user.id, { role: 'admin' }), 403, 'FORBIDDEN', OWNER_ONLY);
      expectError(await setRole(owner, chatId, owner.user.id, { role: 'member' }), 403, 'FORBIDDEN');
      for (const userId of [outsider!.user.id, 'not-a-user']) {
        expectError(await setRole(owner, chatId, userId, { role: 'admin' }), 404, 'NOT_FOUND');
      }
    });

    it('refuses bad input, a chat the caller is not in like an unknown one, and a direct chat', async () => {
      const { members, chatId } = await group(2);
      const [owner, member] = members as [TestUser, TestUser];
      for (const body of [{}, { role: 'king' }, { role: 1 }, { role: null }, 'admin']) {
        const answer = await setRole(owner, chatId, member.user.id, body);
        expectError(answer, 400, 'VALIDATION_ERROR');
      }
      const [stranger, other] = await users(2);
      await expectRefusedAlike((id) => setRole(stranger!, id, member.user.id, { role: 'admin' }), chatId);
      const direct = await createChat(server, stranger!, [other!]);
      expectError(await setRole(stranger!, direct, other!.user.id, { role: 'admin' }), 403, 'FORBIDDEN', DIRECT_FIXED);
    });
  });

  describe('DELETE /chats/:id/members/me by the owner', () => {
    it('hands ownership to the longest-standing admin, else the longest-standing member', async () => {
      const [owner, bob, carol, dave] = (await users(4)) as [TestUser, TestUser, TestUser, TestUser];
      const chatId = await createChat(server, owner, [bob], 'heirs');
      // One by one, so that each joined after the one before.
      expect((await addMembers(owner, chatId, [carol.user.id])).status).toBe(200);
      expect((await addMembers(owner, chatId, [dave.user.id])).status).toBe(200);
      await makeAdmin(owner, chatId, dave);
      await makeAdmin(owner, chatId, carol);
      const leave = (user: TestUser) => api(server, 'DELETE', `/chats/${chatId}/members/me`, { token: user.token });
      expect((await leave(owner)).status).toBe(200);
      expect(rolesOf((await summary(bob, chatId))!)).toEqual({
        [bob.user.id]: 'member',
        [carol.user.id]: 'owner',
        [dave.user.id]: 'admin',
      });
      expect((await leave(carol)).status).toBe(200);
      expect(rolesOf((await summary(bob, chatId))!)[dave.user.id]).toBe('owner');
      expect((await leave(dave)).status).toBe(200);
      expect(rolesOf((await summary(bob, chatId))!)).toEqual({ [bob.user.id]: 'owner' });
      // Each hand-over is an event after its leaving.
      const synced = await ask(await connect(server, bob.token), 'sync', { chats: [{ chatId, version: 0 }] });
      expect(
        (synced.chats[0].events as ChatEvent[])
          .filter((event) => event.kind === 'member_left' || event.kind === 'owner_changed')
          .map((event) => [event.kind, 'userId' in event ? event.userId : undefined]),
      ).toEqual([
        ['member_left', owner.user.id],
        ['owner_changed', carol.user.id],
        ['member_left', carol.user.id],
        ['owner_changed', dave.user.id],
        ['member_left', dave.user.id],
        ['owner_changed', bob.user.id],
      ]);
    });
  });

  describe('pin_message in groups', () => {
    it('admins and the owner pin; a plain member is refused; in a direct chat either of the pair pins', async () => {
      const { members, chatId } = await group(3);
      const [owner, admin, member] = members as [TestUser, TestUser, TestUser];
      await makeAdmin(owner, chatId, admin);
      const memberSocket = await connect(server, member.token);
      const message = await sendOk(memberSocket, chatId, 'pin me');
      expect(await ask(memberSocket, 'pin_message', { messageId: message.id })).toMatchObject({
        success: false,
        code: 'FORBIDDEN',
        error: ADMINS_ONLY,
      });
      const adminSocket = await connect(server, admin.token);
      expect(await ask(adminSocket, 'pin_message', { messageId: message.id })).toMatchObject({ success: true });
      expect(await ask(memberSocket, 'unpin_message', { messageId: message.id })).toMatchObject({ code: 'FORBIDDEN' });
      const direct = await createChat(server, member, [owner]);
      const directMessage = await sendOk(memberSocket, direct, 'mine to pin');
      expect(await ask(memberSocket, 'pin_message', { messageId: directMessage.id })).toMatchObject({ success: true });
    });
  });

  describe("delete_message of someone else's message", () => {
    it('admins and the owner delete it in a group; a plain member, and anyone in a direct chat, are refused', async () => {
      const { members, chatId } = await group(3);
      const [owner, admin, member] = members as [TestUser, TestUser, TestUser];
      await makeAdmin(owner, chatId, admin);
      const [ownerSocket, adminSocket, memberSocket] = await Promise.all([
        connect(server, owner.token),
        connect(server, admin.token),
        connect(server, member.token),
      ]);
      const first = await sendOk(memberSocket, chatId, 'first');
      const second = await sendOk(adminSocket, chatId, 'second');
      expect(await ask(memberSocket, 'delete_message', { messageId: second.id })).toMatchObject({
        code: 'FORBIDDEN',
        error: NOT_AUTHOR,
      });
      await joinOk(memberSocket, chatId);
      const deletedEvent = nextEvent<Message>(memberSocket, 'message_deleted');
      const deleted = await ask(adminSocket, 'delete_message', { messageId: first.id });
      expect(deleted).toMatchObject({ success: true, message: { id: first.id, text: '', sender: member.user.id } });
      expect(await deletedEvent).toEqual(deleted.message);
      expect(await ask(ownerSocket, 'delete_message', { messageId: second.id })).toMatchObject({ success: true });

      const direct = await createChat(server, owner, [member]);
      const theirs = await sendOk(memberSocket, direct, 'direct');
      expect(await ask(ownerSocket, 'delete_message', { messageId: theirs.id })).toMatchObject({
        code: 'FORBIDDEN',
        error: NOT_AUTHOR,
      });
    });
  });

  describe('chat events', () => {
    /** Every versioned event a socket receives for a chat, as [event, version, kind?], in arrival order. */
    function versioned(socket: ClientSocket) {
      const seen: [string, number, string?][] = [];
      const raw = socket as unknown as { on(event: string, listener: (payload: any) => void): void };
      for (const event of ['new_message', 'message_updated', 'message_deleted', 'chat_pins', 'message_reactions'])
        raw.on(event, (payload: { version: number }) => seen.push([event, payload.version]));
      raw.on('chat_event', (payload: ChatEvent) => seen.push(['chat_event', payload.version, payload.kind]));
      return seen;
    }

    it('reach joined sockets live in version order with the messages, and sync returns both over the same versions', async () => {
      const { members, chatId } = await group(3);
      const [owner, bob, carol] = members as [TestUser, TestUser, TestUser];
      const [newcomer] = await users(1);
      const [ownerSocket, carolSocket] = await Promise.all([
        connect(server, owner.token),
        connect(server, carol.token),
      ]);
      await joinOk(carolSocket, chatId);
      const seen = versioned(carolSocket);
      await sendOk(ownerSocket, chatId, 'one');
      expect((await patch(owner, chatId, { name: 'renamed' })).status).toBe(200);
      await sendOk(ownerSocket, chatId, 'three');
      await makeAdmin(owner, chatId, bob);
      expect((await addMembers(bob, chatId, [newcomer!.user.id])).status).toBe(200);
      expect((await remove(bob, chatId, newcomer!.user.id)).status).toBe(200);
      expect((await patch(owner, chatId, { membersCanAdd: false })).status).toBe(200);
      expect((await setRole(owner, chatId, bob.user.id, { role: 'owner' })).status).toBe(200);
      await waitFor(() => seen.length >= 8, 3_000, 'eight changes');
      await sleep(QUIET_MS);
      expect(seen).toEqual([
        ['new_message', 1],
        ['chat_event', 2, 'chat_renamed'],
        ['new_message', 3],
        ['chat_event', 4, 'role_changed'],
        ['chat_event', 5, 'members_added'],
        ['chat_event', 6, 'member_removed'],
        ['chat_event', 7, 'settings_changed'],
        ['chat_event', 8, 'owner_changed'],
      ]);

      const synced = await ask(carolSocket, 'sync', { chats: [{ chatId, version: 0 }] });
      const entry = synced.chats[0];
      expect(entry).toMatchObject({ success: true, chatId, version: 8, hasMore: false });
      expect(entry.messages.map((m: Message) => [m.version, m.text])).toEqual([
        [1, 'one'],
        [3, 'three'],
      ]);
      const events = entry.events as ChatEvent[];
      expect(events.map((event) => event.version)).toEqual([2, 4, 5, 6, 7, 8]);
      expect(events).toEqual([
        {
          chatId,
          version: 2,
          kind: 'chat_renamed',
          name: 'renamed',
          actorId: owner.user.id,
          createdAt: expect.any(String),
        },
        {
          chatId,
          version: 4,
          kind: 'role_changed',
          userId: bob.user.id,
          role: 'admin',
          actorId: owner.user.id,
          createdAt: expect.any(String),
        },
        {
          chatId,
          version: 5,
          kind: 'members_added',
          userIds: [newcomer!.user.id],
          actorId: bob.user.id,
          createdAt: expect.any(String),
        },
        {
          chatId,
          version: 6,
          kind: 'member_removed',
          userId: newcomer!.user.id,
          actorId: bob.user.id,
          createdAt: expect.any(String),
        },
        {
          chatId,
          version: 7,
          kind: 'settings_changed',
          membersCanAdd: false,
          actorId: owner.user.id,
          createdAt: expect.any(String),
        },
        {
          chatId,
          version: 8,
          kind: 'owner_changed',
          userId: bob.user.id,
          previousOwnerId: owner.user.id,
          actorId: owner.user.id,
          createdAt: expect.any(String),
        },
      ]);
      // Paged: three changes at a time, messages and events together, up to the same version.
      const paged = await ask(carolSocket, 'sync', { chats: [{ chatId, version: 0 }], limit: 3 });
      expect(paged.chats[0]).toMatchObject({ version: 3, hasMore: true });
      expect(paged.chats[0].messages.map((m: Message) => m.version)).toEqual([1, 3]);
      expect(paged.chats[0].events.map((event: ChatEvent) => event.version)).toEqual([2]);
      // The same over HTTP.
      const viaHttp = await api(server, 'POST', '/sync', {
        token: carol.token,
        body: { chats: [{ chatId, version: 4 }] },
      });
      expect(viaHttp.body.chats[0].events.map((event: ChatEvent) => event.version)).toEqual([5, 6, 7, 8]);
    });

    it('a chat event filled from the database after a gap comes in its version order', async () => {
      const { members, chatId } = await group(2);
      const [owner, bob] = members as [TestUser, TestUser];
      const bobSocket = await connect(server, bob.token);
      await joinOk(bobSocket, chatId);
      const seen = versioned(bobSocket);
      // A change this node never publishes (as if made by a node that died after its commit):
      // the position check finds it and fills it from the database.
      const store = server.app.store;
      await store.groups.rename(chatId, 'renamed quietly', { id: owner.user.id });
      await waitFor(() => seen.length >= 1, 3_000, 'the filled event');
      const ownerSocket = await connect(server, owner.token);
      await sendOk(ownerSocket, chatId, 'after');
      await waitFor(() => seen.length >= 2, 3_000, 'the next message');
      expect(seen).toEqual([
        ['chat_event', 1, 'chat_renamed'],
        ['new_message', 2],
      ]);
    });
  });
});
