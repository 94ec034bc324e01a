import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, NO_CHAT_ACCESS } from '../helpers/http-envelope.js';
import {
  api,
  ask,
  closeSockets,
  connect,
  createChat,
  registerUser,
  sleep,
  startServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../helpers/server.js';
import type { ChatSummary, Message } from '../../src/protocol/types.js';

/** Contract §2: creating chats, listing them and reading their history over HTTP. */

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  closeSockets();
  await server.close();
});

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const FORBIDDEN = { status: 403, body: { success: false, error: NO_CHAT_ACCESS, code: 'FORBIDDEN' } };
const UNAUTHORIZED = { status: 401, body: { success: false, error: 'Требуется авторизация', code: 'UNAUTHORIZED' } };

const sockets = new Map<string, ClientSocket>();

/** Sends `texts` in order through `user`'s Socket.IO connection; returns the stored messages. */
async function send(user: TestUser, chatId: string, ...texts: string[]): Promise<Message[]> {
  let socket = sockets.get(user.user.id);
  if (!socket) {
    socket = await connect(server, user.token);
    sockets.set(user.user.id, socket);
  }
  const messages: Message[] = [];
  for (const text of texts) {
    const answer = await ask(socket, 'send_message', { chatId, text });
    if (!answer.success) throw new Error(`send failed: ${JSON.stringify(answer)}`);
    messages.push(answer.message);
  }
  return messages;
}

async function history(user: TestUser, chatId: string, query = '') {
  return api(server, 'GET', `/chats/${encodeURIComponent(chatId)}/messages${query}`, { token: user.token });
}

const ids = (items: Array<{ id: string }>) => items.map((item) => item.id);
/** Read positions where no member has read anything yet: every member, in the order of `users`, at seq 0. */
const nothingRead = (chat: { users?: Array<{ id: string }> } | undefined) =>
  (chat?.users ?? []).map((user) => ({ userId: user.id, seq: 0 }));
const sortedIds = (items: Array<{ id: string }>) => ids(items).sort();

describe('POST /chats', () => {
  it('creates a direct chat: 201 with {id, name, users, messages: [], unreadCount: 0, version: 0, readPositions}', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const response = await api(server, 'POST', '/chats', { token: alice.token, body: { userIds: [bob.user.id] } });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      success: true,
      chat: {
        id: expect.any(String),
        name: null,
        users: expect.any(Array),
        messages: [],
        unreadCount: 0,
        unreadMentionCount: 0,
        version: 0,
        readPositions: nothingRead(response.body.chat),
        muted: false,
      },
    });
    expect(response.body.chat.readPositions).toHaveLength(2);
    expect(response.body.chat.users).toHaveLength(2);
    expect(response.body.chat.users).toEqual(expect.arrayContaining([alice.user, bob.user]));
  });

  it('makes the caller a member without listing them, and only once when they do list themselves', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const carol = await registerUser(server, 'carol');
    const response = await api(server, 'POST', '/chats', {
      token: alice.token,
      body: { userIds: [bob.user.id, alice.user.id, carol.user.id, bob.user.id], name: 'Team' },
    });
    expect(response.status).toBe(201);
    expect(sortedIds(response.body.chat.users)).toEqual(sortedIds([alice.user, bob.user, carol.user]));
    // The chat is really the caller's: it shows in their list and its history is theirs to read.
    const list = await api(server, 'GET', '/chats', { token: alice.token });
    expect(ids(list.body.chats)).toContain(response.body.chat.id);
    expect(await history(alice, response.body.chat.id)).toEqual({
      status: 200,
      body: { success: true, messages: [], hasMore: false },
    });
  });

  it('creates a group chat with a (trimmed) name', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const carol = await registerUser(server, 'carol');
    const response = await api(server, 'POST', '/chats', {
      token: alice.token,
      body: { userIds: [bob.user.id, carol.user.id], name: '  Проект «Парлей»  ' },
    });
    expect(response.status).toBe(201);
    expect(response.body.chat).toEqual({
      id: expect.any(String),
      name: 'Проект «Парлей»',
      users: expect.any(Array),
      messages: [],
      unreadCount: 0,
      unreadMentionCount: 0,
      version: 0,
      readPositions: nothingRead(response.body.chat),
      membersCanAdd: true,
      muted: false,
    });
    expect(sortedIds(response.body.chat.users)).toEqual(sortedIds([alice.user, bob.user, carol.user]));
    expect(response.body.chat.readPositions).toHaveLength(3);
  });

  it('returns the existing direct chat with 200 when either side asks again', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const first = await api(server, 'POST', '/chats', { token: alice.token, body: { userIds: [bob.user.id] } });
    expect(first.status).toBe(201);
    const again = await api(server, 'POST', '/chats', { token: alice.token, body: { userIds: [bob.user.id] } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const fromBob = await api(server, 'POST', '/chats', { token: bob.token, body: { userIds: [alice.user.id] } });
    expect(fromBob.status).toBe(200);
    expect(fromBob.body.chat.id).toBe(first.body.chat.id);
    const listed = await api(server, 'GET', '/chats', { token: alice.token });
    expect(ids(listed.body.chats)).toEqual([first.body.chat.id]);
  });

  it('returns the existing direct chat with its last message', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const chatId = await createChat(server, alice, [bob]);
    const [message] = await send(alice, chatId, 'hello');
    const again = await api(server, 'POST', '/chats', { token: bob.token, body: { userIds: [alice.user.id] } });
    expect(again.status).toBe(200);
    expect(again.body.chat).toMatchObject({ id: chatId, name: null, messages: [message], unreadCount: 1 });
  });

  it('reads user ids in any case: one direct chat per pair, the caller never a member twice', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const upper = await api(server, 'POST', '/chats', {
      token: alice.token,
      body: { userIds: [bob.user.id.toUpperCase()] },
    });
    expect(upper.status).toBe(201);
    expect(sortedIds(upper.body.chat.users)).toEqual(sortedIds([alice.user, bob.user]));
    const lower = await api(server, 'POST', '/chats', { token: alice.token, body: { userIds: [bob.user.id] } });
    expect(lower.status).toBe(200);
    expect(lower.body.chat.id).toBe(upper.body.chat.id);
    const withSelf = await api(server, 'POST', '/chats', {
      token: bob.token,
      body: { userIds: [bob.user.id.toUpperCase(), alice.user.id.toUpperCase()] },
    });
    expect(withSelf.status).toBe(200);
    expect(withSelf.body.chat.id).toBe(upper.body.chat.id);
    const group = await api(server, 'POST', '/chats', {
      token: alice.token,
      body: { userIds: [alice.user.id.toUpperCase(), bob.user.id.toUpperCase(), bob.user.id], name: 'Case' },
    });
    expect(group.status).toBe(201);
    expect(sortedIds(group.body.chat.users)).toEqual(sortedIds([alice.user, bob.user]));
  });

  it('creates a new chat each time when the pair asks with a name', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const direct = await createChat(server, alice, [bob]);
    const named1 = await api(server, 'POST', '/chats', {
      token: alice.token,
      body: { userIds: [bob.user.id], name: 'Work' },
    });
    const named2 = await api(server, 'POST', '/chats', {
      token: alice.token,
      body: { userIds: [bob.user.id], name: 'Work' },
    });
    expect([named1.status, named2.status]).toEqual([201, 201]);
    expect(new Set([direct, named1.body.chat.id, named2.body.chat.id]).size).toBe(3);
  });

  it('answers 404 NOT_FOUND for an unknown user id and creates nothing', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    for (const unknown of [randomUUID(), 'not-a-user-id']) {
      const response = await api(server, 'POST', '/chats', {
        token: alice.token,
        body: { userIds: [bob.user.id, unknown] },
      });
      expectError(response, 404, 'NOT_FOUND', `Пользователь не найден: ${unknown}`);
    }
    expect((await api(server, 'GET', '/chats', { token: alice.token })).body.chats).toEqual([]);
    expect((await api(server, 'GET', '/chats', { token: bob.token })).body.chats).toEqual([]);
  });

  it.each<[string, (self: string) => unknown]>([
    ['only the caller', (self) => ({ userIds: [self] })],
    ['the caller twice', (self) => ({ userIds: [self, self], name: 'Me' })],
    ['an empty list', () => ({ userIds: [] })],
  ])('answers 400 VALIDATION_ERROR for userIds of %s', async (_label, build) => {
    const alice = await registerUser(server, 'alice');
    const response = await api(server, 'POST', '/chats', { token: alice.token, body: build(alice.user.id) });
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(response.body.field).toBe('userIds');
    expect((await api(server, 'GET', '/chats', { token: alice.token })).body.chats).toEqual([]);
  });

  it.each<[string, (other: string) => unknown, string | undefined]>([
    ['userIds is missing', () => ({ name: 'x' }), 'userIds'],
    ['userIds is a string', (other) => ({ userIds: other }), 'userIds'],
    ['userIds is an object', (other) => ({ userIds: { 0: other } }), 'userIds'],
    ['userIds is null', () => ({ userIds: null }), 'userIds'],
    ['an id is a number', (other) => ({ userIds: [other, 42] }), 'userIds.1'],
    ['an id is null', () => ({ userIds: [null] }), 'userIds.0'],
    ['an id is empty', () => ({ userIds: [''] }), 'userIds.0'],
    ['an id is over 100 characters', () => ({ userIds: ['a'.repeat(101)] }), 'userIds.0'],
    ['an id holds a NUL', (other) => ({ userIds: [`${other}\u0000`] }), 'userIds.0'],
    ['an id holds a lone surrogate', (other) => ({ userIds: [other, '\ud800'] }), 'userIds.1'],
    ['the name holds a NUL', (other) => ({ userIds: [other], name: 'a\u0000b' }), 'name'],
    ['the name is empty', (other) => ({ userIds: [other], name: '' }), 'name'],
    ['the name is blank', (other) => ({ userIds: [other], name: '   ' }), 'name'],
    ['the name has 101 characters', (other) => ({ userIds: [other], name: 'n'.repeat(101) }), 'name'],
    ['the name is a number', (other) => ({ userIds: [other], name: 5 }), 'name'],
    ['the body is an array', (other) => [other], undefined],
  ])('answers 400 VALIDATION_ERROR when %s', async (_label, build, field) => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const response = await api(server, 'POST', '/chats', {
      token: alice.token,
      body: JSON.stringify(build(bob.user.id)),
    });
    expectError(response, 400, 'VALIDATION_ERROR', /^Некорректные данные/);
    expect(response.body.field).toBe(field);
    expect((await api(server, 'GET', '/chats', { token: alice.token })).body.chats).toEqual([]);
  });

  it('accepts a name of exactly 100 characters', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const name = 'n'.repeat(100);
    const response = await api(server, 'POST', '/chats', {
      token: alice.token,
      body: { userIds: [bob.user.id], name },
    });
    expect(response.status).toBe(201);
    expect(response.body.chat.name).toBe(name);
  });

  it('answers 401 without a token', async () => {
    const bob = await registerUser(server, 'bob');
    expect(await api(server, 'POST', '/chats', { body: { userIds: [bob.user.id] } })).toEqual(UNAUTHORIZED);
    expect((await api(server, 'GET', '/chats', { token: bob.token })).body.chats).toEqual([]);
  });
});

describe('GET /chats', () => {
  it('answers 200 with an empty list for a new user', async () => {
    const alice = await registerUser(server, 'alice');
    expect(await api(server, 'GET', '/chats', { token: alice.token })).toEqual({
      status: 200,
      body: { success: true, chats: [] },
    });
  });

  it('answers exactly what get_my_chats answers', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const carol = await registerUser(server, 'carol');
    const direct = await createChat(server, alice, [bob]);
    const group = await createChat(server, carol, [alice, bob], 'Group');
    await send(bob, direct, 'one', 'two');
    await send(alice, group, 'three');

    for (const user of [alice, bob, carol]) {
      // Connected first: members carry `online`, which the connection itself changes.
      const socket = await connect(server, user.token);
      const viaHttp = await api(server, 'GET', '/chats', { token: user.token });
      expect(viaHttp.status).toBe(200);
      const viaSocket = await ask(socket, 'get_my_chats');
      expect(viaHttp.body).toEqual(viaSocket);
    }

    const { body } = await api(server, 'GET', '/chats', { token: alice.token });
    const [groupSummary, directSummary] = body.chats as ChatSummary[];
    expect(groupSummary).toEqual({
      id: group,
      name: 'Group',
      users: expect.any(Array),
      messages: [
        {
          id: expect.any(String),
          text: 'three',
          sender: alice.user.id,
          chatId: group,
          createdAt: expect.stringMatching(ISO_MS),
          user: alice.user,
          seq: 1,
          version: 1,
        },
      ],
      unreadCount: 0,
      unreadMentionCount: 0,
      version: 1,
      readPositions: nothingRead(groupSummary),
      membersCanAdd: true,
      muted: false,
    });
    expect(sortedIds(groupSummary!.users)).toEqual(sortedIds([alice.user, bob.user, carol.user]));
    expect(directSummary).toEqual({
      id: direct,
      name: null,
      users: expect.any(Array),
      messages: [expect.objectContaining({ text: 'two', sender: bob.user.id, user: bob.user, seq: 2, version: 2 })],
      unreadCount: 2,
      unreadMentionCount: 0,
      version: 2,
      readPositions: nothingRead(directSummary),
      muted: false,
    });
    expect(sortedIds(directSummary!.users)).toEqual(sortedIds([alice.user, bob.user]));
  });

  it('lists the most recent activity first', async () => {
    const alice = await registerUser(server, 'alice');
    const others = await Promise.all([1, 2, 3].map(() => registerUser(server, 'peer')));
    const chats: string[] = [];
    for (const other of others) {
      chats.push(await createChat(server, alice, [other]));
      await sleep(5);
    }
    const [first, second, third] = chats as [string, string, string];
    const list = async () => ids((await api(server, 'GET', '/chats', { token: alice.token })).body.chats);
    expect(await list()).toEqual([third, second, first]);

    await send(alice, first, 'bump the oldest');
    expect(await list()).toEqual([first, third, second]);
    await sleep(5);
    await send(others[1]!, second, 'a reply');
    expect(await list()).toEqual([second, first, third]);
  });

  it("never shows another user's chats", async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const carol = await registerUser(server, 'carol');
    const dave = await registerUser(server, 'dave');
    const mine = await createChat(server, alice, [bob]);
    const theirs = await createChat(server, carol, [dave]);
    const bobAndCarol = await createChat(server, bob, [carol], 'Without Alice');
    await send(carol, theirs, 'secret');
    const { status, body } = await api(server, 'GET', '/chats', { token: alice.token });
    expect(status).toBe(200);
    expect(ids(body.chats)).toEqual([mine]);
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(ids((await api(server, 'GET', '/chats', { token: bob.token })).body.chats).sort()).toEqual(
      [mine, bobAndCarol].sort(),
    );
  });

  describe('a page: ?limit=&before=', () => {
    /** Alice in `count` chats with bob, newest first as the whole list orders them. */
    async function listOf(count: number) {
      const alice = await registerUser(server, 'alice');
      const bob = await registerUser(server, 'bob');
      for (let i = 0; i < count; i++) await createChat(server, alice, [bob], `chat ${i}`);
      const all = (await api(server, 'GET', '/chats', { token: alice.token })).body.chats as ChatSummary[];
      expect(all).toHaveLength(count);
      return { alice, bob, all };
    }
    const chatList = (user: TestUser, query: string) => api(server, 'GET', `/chats${query}`, { token: user.token });

    it('answers every chat without limit and before, whatever else the query holds', async () => {
      const { alice, all } = await listOf(3);
      expect(await chatList(alice, '?order=asc&chatId=x')).toEqual({
        status: 200,
        body: { success: true, chats: all },
      });
    });

    it('walks the list in order, each chat once, answering exactly what get_my_chats with a payload answers', async () => {
      const { alice } = await listOf(5);
      // Connected first: the caller is listed online in every answer below.
      const socket = await connect(server, alice.token);
      const all = (await chatList(alice, '')).body.chats as ChatSummary[];
      const walked: ChatSummary[] = [];
      let before: string | undefined;
      for (const expected of [
        { chats: all.slice(0, 2), hasMore: true, nextBefore: all[1]!.id },
        { chats: all.slice(2, 4), hasMore: true, nextBefore: all[3]!.id },
        { chats: all.slice(4), hasMore: false, nextBefore: null },
      ]) {
        const { status, body } = await chatList(alice, before === undefined ? '?limit=2' : `?limit=2&before=${before}`);
        expect(status).toBe(200);
        expect(body).toEqual({ success: true, ...expected });
        expect(await ask(socket, 'get_my_chats', before === undefined ? { limit: 2 } : { limit: 2, before })).toEqual(
          body,
        );
        walked.push(...(body.chats as ChatSummary[]));
        before = body.nextBefore ?? undefined;
      }
      expect(ids(walked)).toEqual(ids(all));
    });

    it('pages by 50 with before alone, and accepts limits 1 and 100', async () => {
      const { alice, all } = await listOf(3);
      expect((await chatList(alice, `?before=${all[0]!.id}`)).body).toEqual({
        success: true,
        chats: all.slice(1),
        hasMore: false,
        nextBefore: null,
      });
      expect((await chatList(alice, '?limit=1')).body).toMatchObject({
        chats: [all[0]],
        hasMore: true,
        nextBefore: all[0]!.id,
      });
      expect((await chatList(alice, `?limit=100&before=${all[0]!.id.toUpperCase()}`)).body).toMatchObject({
        chats: all.slice(1),
        hasMore: false,
      });
    });

    it.each(['0', '101', 'abc', '-1', '1.5', ''])('answers 400 VALIDATION_ERROR for limit=%s', async (limit) => {
      const { alice } = await listOf(1);
      const response = await chatList(alice, `?limit=${limit}`);
      expectError(response, 400, 'VALIDATION_ERROR', /«limit»/);
      expect(response.body.field).toBe('limit');
    });

    it.each([
      ['empty', '?before='],
      ['over 100 characters', `?before=${'a'.repeat(101)}`],
      ['text no database can store', `?before=${randomUUID()}%00`],
      ['repeated', `?before=${randomUUID()}&before=${randomUUID()}`],
    ])('answers 400 VALIDATION_ERROR for a before that is %s', async (_label, query) => {
      const { alice } = await listOf(1);
      const response = await chatList(alice, query);
      expectError(response, 400, 'VALIDATION_ERROR');
      expect(response.body.field).toBe('before');
    });

    it("answers the same 404 for a before that is another user's chat, unknown, malformed, or left", async () => {
      const { alice, bob } = await listOf(1);
      const carol = await registerUser(server, 'carol');
      const theirs = await createChat(server, bob, [carol]);
      const left = await createChat(server, carol, [alice, bob], 'left');
      expect((await api(server, 'DELETE', `/chats/${left}/members/me`, { token: alice.token })).status).toBe(200);
      for (const before of [theirs, left, randomUUID(), 'not-a-chat-id']) {
        const response = await chatList(alice, `?limit=5&before=${before}`);
        expectError(response, 404, 'NOT_FOUND', 'Чат не найден среди ваших чатов');
        expect(response.body.field).toBe('before');
      }
    });
  });

  it('answers 401 without a token', async () => {
    expect(await api(server, 'GET', '/chats')).toEqual(UNAUTHORIZED);
  });
});

describe('GET /chats/:id/messages', () => {
  /** A chat of alice and bob with `count` messages, oldest first. */
  async function chatWith(count: number) {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const chatId = await createChat(server, alice, [bob]);
    const texts = Array.from({ length: count }, (_, i) => `message ${i}`);
    const messages = await send(alice, chatId, ...texts);
    return { alice, bob, chatId, messages, ids: ids(messages) };
  }

  it('answers 200 {success, messages, hasMore} with the messages oldest first', async () => {
    const { bob, chatId, messages } = await chatWith(3);
    const response = await history(bob, chatId);
    expect(response).toEqual({ status: 200, body: { success: true, messages, hasMore: false } });
    expect(response.body.messages[0]).toEqual({
      id: expect.any(String),
      text: 'message 0',
      sender: messages[0]!.sender,
      chatId,
      createdAt: expect.stringMatching(ISO_MS),
      user: messages[0]!.user,
      seq: 1,
      version: 1,
    });
    expect(response.body.messages.map((m: Message) => [m.seq, m.version])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('answers an empty page for a chat without messages', async () => {
    const { alice, chatId } = await chatWith(0);
    expect(await history(alice, chatId)).toEqual({
      status: 200,
      body: { success: true, messages: [], hasMore: false },
    });
  });

  it('pages backwards with limit and before', async () => {
    const { alice, chatId, ids: all } = await chatWith(7);
    const latest = await history(alice, chatId, '?limit=3');
    expect(ids(latest.body.messages)).toEqual(all.slice(4));
    expect(latest.body.hasMore).toBe(true);
    const older = await history(alice, chatId, `?limit=3&before=${all[4]}`);
    expect(ids(older.body.messages)).toEqual(all.slice(1, 4));
    expect(older.body.hasMore).toBe(true);
    const oldest = await history(alice, chatId, `?limit=3&before=${all[1]}`);
    expect(ids(oldest.body.messages)).toEqual(all.slice(0, 1));
    expect(oldest.body.hasMore).toBe(false);
    const exact = await history(alice, chatId, `?limit=4&before=${all[4]}`);
    expect(ids(exact.body.messages)).toEqual(all.slice(0, 4));
    expect(exact.body.hasMore).toBe(false);
    const beforeFirst = await history(alice, chatId, `?before=${all[0]}`);
    expect(beforeFirst.body).toEqual({ success: true, messages: [], hasMore: false });
  });

  it('pages forwards with after, hasMore saying whether newer messages exist', async () => {
    const { bob, chatId, ids: all } = await chatWith(7);
    const next = await history(bob, chatId, `?after=${all[1]}&limit=3`);
    expect(ids(next.body.messages)).toEqual(all.slice(2, 5));
    expect(next.body.hasMore).toBe(true);
    const rest = await history(bob, chatId, `?after=${all[4]}&limit=3`);
    expect(ids(rest.body.messages)).toEqual(all.slice(5));
    expect(rest.body.hasMore).toBe(false);
    const none = await history(bob, chatId, `?after=${all[6]}`);
    expect(none.body).toEqual({ success: true, messages: [], hasMore: false });
  });

  it('combines after and before into a window', async () => {
    const { alice, chatId, ids: all } = await chatWith(7);
    const window = await history(alice, chatId, `?after=${all[1]}&before=${all[5]}`);
    expect(ids(window.body.messages)).toEqual(all.slice(2, 5));
    expect(window.body.hasMore).toBe(false);
    const partial = await history(alice, chatId, `?after=${all[1]}&before=${all[5]}&limit=2`);
    expect(ids(partial.body.messages)).toEqual(all.slice(2, 4));
    expect(partial.body.hasMore).toBe(true);
  });

  it('defaults to the latest 50 and accepts limits 1 and 100', async () => {
    const { alice, chatId, ids: all } = await chatWith(52);
    const page = await history(alice, chatId);
    expect(ids(page.body.messages)).toEqual(all.slice(2));
    expect(page.body.hasMore).toBe(true);
    const one = await history(alice, chatId, '?limit=1');
    expect(ids(one.body.messages)).toEqual(all.slice(51));
    expect(one.body.hasMore).toBe(true);
    const hundred = await history(alice, chatId, '?limit=100');
    expect(ids(hundred.body.messages)).toEqual(all);
    expect(hundred.body.hasMore).toBe(false);
  });

  it.each(['0', '101', 'abc', '-1', '1.5', ''])('answers 400 VALIDATION_ERROR for limit=%s', async (limit) => {
    const { alice, chatId } = await chatWith(1);
    const response = await history(alice, chatId, `?limit=${limit}`);
    expectError(response, 400, 'VALIDATION_ERROR', /«limit»/);
    expect(response.body.field).toBe('limit');
  });

  it('answers 400 VALIDATION_ERROR for a repeated cursor', async () => {
    const { alice, chatId, ids: all } = await chatWith(2);
    const response = await history(alice, chatId, `?before=${all[1]}&before=${all[0]}`);
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(response.body.field).toBe('before');
  });

  it("answers the same 403 for someone else's chat, an unknown chat and a malformed chat id", async () => {
    const { chatId } = await chatWith(2);
    const mallory = await registerUser(server, 'mallory');
    const foreign = await history(mallory, chatId);
    const unknown = await history(mallory, randomUUID());
    const malformed = await history(mallory, 'not-a-chat-id');
    const injection = await history(mallory, "' OR '1'='1");
    expect(foreign).toEqual(FORBIDDEN);
    expect(unknown).toEqual(FORBIDDEN);
    expect(malformed).toEqual(FORBIDDEN);
    expect(injection).toEqual(FORBIDDEN);
  });

  it('checks membership before cursors and limits, so nothing leaks about a foreign chat', async () => {
    const { chatId, ids: all } = await chatWith(2);
    const mallory = await registerUser(server, 'mallory');
    expect(await history(mallory, chatId, `?before=${all[1]}`)).toEqual(FORBIDDEN);
    expect(await history(mallory, chatId, `?after=${randomUUID()}`)).toEqual(FORBIDDEN);
    expect(await history(mallory, randomUUID(), `?after=${randomUUID()}`)).toEqual(FORBIDDEN);
  });

  it('answers 404 NOT_FOUND for a cursor that is not a message of this chat', async () => {
    const { alice, chatId } = await chatWith(2);
    const other = await chatWith(1);
    const cases: Array<[string, string]> = [
      ['before', randomUUID()],
      ['after', randomUUID()],
      ['before', 'not-a-message-id'],
      ['after', other.ids[0]!], // a real message, of another chat
    ];
    for (const [field, cursor] of cases) {
      const response = await history(alice, chatId, `?${field}=${encodeURIComponent(cursor)}`);
      expectError(response, 404, 'NOT_FOUND', 'Сообщение не найдено в этом чате');
      expect(response.body.field).toBe(field);
    }
  });

  it('reads the chat id and the cursors in any case', async () => {
    const { alice, chatId, messages, ids: all } = await chatWith(3);
    const upper = await history(
      alice,
      chatId.toUpperCase(),
      `?before=${all[2]!.toUpperCase()}&after=${all[0]!.toUpperCase()}`,
    );
    expect(upper).toEqual({ status: 200, body: { success: true, messages: [messages[1]], hasMore: false } });
  });

  it.each([
    ['the chat id', (chatId: string) => `/chats/${chatId}%00/messages`, 'id'],
    ['before', (chatId: string) => `/chats/${chatId}/messages?before=%00`, 'before'],
    ['after', (chatId: string) => `/chats/${chatId}/messages?after=${randomUUID()}%00`, 'after'],
  ])('answers 400 VALIDATION_ERROR for text no database can store in %s', async (_label, path, field) => {
    const { alice, chatId } = await chatWith(1);
    const response = await api(server, 'GET', path(chatId), { token: alice.token });
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(response.body.field).toBe(field);
  });

  it('answers a VALIDATION_ERROR envelope for a chat id longer than any id', async () => {
    const alice = await registerUser(server, 'alice');
    // The router refuses path parameters over 100 characters before the route runs.
    expectError(
      await history(alice, 'x'.repeat(150)),
      414,
      'VALIDATION_ERROR',
      'Слишком длинный параметр в пути запроса',
    );
  });

  it('answers 401 without a token', async () => {
    const { chatId } = await chatWith(1);
    expect(await api(server, 'GET', `/chats/${chatId}/messages`)).toEqual(UNAUTHORIZED);
  });
});
