import { beforeAll, describe, expect, it } from 'vitest';
import { CHAT_PAGE_MAX } from '../../src/protocol/schemas.js';
import type { ChatPage, ChatSummary, PublicUser } from '../../src/protocol/types.js';
import {
  api,
  ask,
  connect,
  createChat,
  registerUser,
  sleep,
  useServer,
  type ClientSocket,
  type TestUser,
} from '../helpers/server.js';
import {
  chatPair,
  expectValidationError,
  MALFORMED_CHAT_ID,
  NON_OBJECT_PAYLOADS,
  sendOk,
  UNKNOWN_CHAT_ID,
} from '../helpers/socket-fixtures.js';

const UNKNOWN_CURSOR_TEXT = 'Чат не найден среди ваших чатов';

const byId = (users: readonly PublicUser[]) => [...users].sort((a, b) => a.id.localeCompare(b.id));

/** Message timestamps have millisecond precision: keep activity in different chats apart. */
const tick = () => sleep(5);

describe('get_my_chats', () => {
  const server = useServer();

  it('answers {success, chats: []} for a user without chats', async () => {
    const loner = await connect(server, (await registerUser(server, 'loner')).token);
    expect(await ask(loner, 'get_my_chats')).toStrictEqual({ success: true, chats: [] });
  });

  it('each chat is {id, name, users, messages: [last message], unreadCount, version, readPositions}', async () => {
    const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
    await sendOk(bobSocket, chatId, 'first from bob');
    await sendOk(aliceSocket, chatId, 'from alice');
    const last = await sendOk(bobSocket, chatId, 'last from bob');

    const answer = await ask(aliceSocket, 'get_my_chats');
    const users: PublicUser[] = answer.chats[0]?.users ?? [];
    expect(answer).toStrictEqual({
      success: true,
      chats: [
        {
          id: chatId,
          name: null,
          users: expect.any(Array),
          messages: [last],
          unreadCount: 2, // bob's two messages; alice's own do not count
          unreadMentionCount: 0,
          version: 3, // three sends
          // Every member, in the order of `users`; nobody has marked anything read.
          readPositions: users.map((user) => ({ userId: user.id, seq: 0 })),
          muted: false,
        },
      ],
    });
    expect(last).toMatchObject({ seq: 3, version: 3 });
    const summary: ChatSummary = answer.chats[0];
    // The seed's user fields, plus `online` (both are connected).
    expect(byId(summary.users)).toStrictEqual(byId([alice.user, bob.user]).map((u) => ({ ...u, online: true })));
    for (const user of summary.users) expect(Object.keys(user).sort()).toEqual(['email', 'id', 'online', 'username']);

    const bobView = await ask(bobSocket, 'get_my_chats');
    expect(bobView.chats).toStrictEqual([{ ...summary, unreadCount: 1 }]);
  });

  it('gives a name back exactly, whatever characters JSON has to escape in it', async () => {
    const [owner, a] = await Promise.all([registerUser(server, 'owner'), registerUser(server, 'a')]);
    const name = 'He said "hi" \\ back\nslash\t😀 \u2028 </script>';
    const groupId = await createChat(server, owner, [a], name);
    const socket = await connect(server, owner.token);
    const answer = await ask(socket, 'get_my_chats');
    expect(answer.chats.map((chat: ChatSummary) => [chat.id, chat.name])).toEqual([[groupId, name]]);
  });

  it('a chat without messages has messages: [] and a named chat carries its name', async () => {
    const [owner, a, b] = await Promise.all([
      registerUser(server, 'owner'),
      registerUser(server, 'a'),
      registerUser(server, 'b'),
    ]);
    const groupId = await createChat(server, owner, [a, b], 'Команда');
    const socket = await connect(server, owner.token);
    const answer = await ask(socket, 'get_my_chats');
    const users: PublicUser[] = answer.chats[0]?.users ?? [];
    expect(answer).toStrictEqual({
      success: true,
      chats: [
        {
          id: groupId,
          name: 'Команда',
          users: expect.any(Array),
          messages: [],
          unreadCount: 0,
          unreadMentionCount: 0,
          version: 0,
          readPositions: users.map((user) => ({ userId: user.id, seq: 0 })),
          membersCanAdd: true,
          muted: false,
        },
      ],
    });
    expect(byId(answer.chats[0].users)).toStrictEqual(
      byId([owner.user, a.user, b.user]).map((u) => ({
        ...u,
        role: u.id === owner.user.id ? 'owner' : 'member',
        online: u.id === owner.user.id,
      })),
    );
  });

  it('lists the most recent activity first, and a new message moves its chat to the top', async () => {
    const [me, x, y, z] = await Promise.all([
      registerUser(server, 'me'),
      registerUser(server, 'x'),
      registerUser(server, 'y'),
      registerUser(server, 'z'),
    ]);
    const chatX = await createChat(server, me, [x]);
    const chatY = await createChat(server, me, [y]);
    const chatZ = await createChat(server, me, [z]);
    const socket = await connect(server, me.token);
    const order = async () => ((await ask(socket, 'get_my_chats')).chats as ChatSummary[]).map((c) => c.id);

    await tick();
    await sendOk(socket, chatX, 'x');
    await tick();
    await sendOk(socket, chatY, 'y');
    await tick();
    await sendOk(socket, chatZ, 'z');
    expect(await order()).toEqual([chatZ, chatY, chatX]);

    await tick();
    const xSocket = await connect(server, x.token);
    const latest = await sendOk(xSocket, chatX, 'x again, from the other side');
    expect(await order()).toEqual([chatX, chatZ, chatY]);
    const top = (await ask(socket, 'get_my_chats')).chats[0];
    expect(top.messages).toStrictEqual([latest]);
    expect(top.unreadCount).toBe(1);

    await tick();
    await sendOk(socket, chatY, 'y again');
    expect(await order()).toEqual([chatY, chatX, chatZ]);
  });

  it("lists only the caller's chats", async () => {
    const { alice, chatId: shared, aliceSocket } = await chatPair(server);
    const [carol, dave] = await Promise.all([registerUser(server, 'carol'), registerUser(server, 'dave')]);
    const notMine = await createChat(server, carol, [dave]);
    const mineToo = await createChat(server, carol, [alice, dave], 'with alice');
    const ids = ((await ask(aliceSocket, 'get_my_chats')).chats as ChatSummary[]).map((c) => c.id);
    expect(ids.sort()).toEqual([shared, mineToo].sort());
    expect(ids).not.toContain(notMine);

    const daveSocket = await connect(server, dave.token);
    const daveIds = ((await ask(daveSocket, 'get_my_chats')).chats as ChatSummary[]).map((c) => c.id);
    expect(daveIds.sort()).toEqual([notMine, mineToo].sort());
  });

  it('answers every chat to the seed call (no payload, or null) whatever arguments follow', async () => {
    const { chatId, aliceSocket } = await chatPair(server);
    await sendOk(aliceSocket, chatId, 'hello');
    const plain = await ask(aliceSocket, 'get_my_chats');
    expect(plain.success).toBe(true);
    expect(Object.keys(plain).sort()).toEqual(['chats', 'success']);
    expect(plain.chats.map((c: ChatSummary) => c.id)).toEqual([chatId]);
    expect(await ask(aliceSocket, 'get_my_chats', null)).toStrictEqual(plain);
    expect(await ask(aliceSocket, 'get_my_chats', undefined, 'x', [1])).toStrictEqual(plain);
  });

  describe('paged: a payload {limit?, before?}', () => {
    const CHATS = CHAT_PAGE_MAX + 3;
    /** A user in CHATS chats, some of them moved up by a message. */
    let owner: TestUser;
    let partner: TestUser;
    /** The owner's whole list, as the seed call answers it. */
    let all: ChatSummary[];

    beforeAll(async () => {
      [owner, partner] = await Promise.all([registerUser(server, 'owner'), registerUser(server, 'partner')]);
      const chatIds: string[] = [];
      for (let i = 0; i < CHATS; i++) chatIds.push(await createChat(server, owner, [partner], `Чат ${i}`));
      const socket = await connect(server, owner.token);
      for (const chatId of [chatIds[3]!, chatIds[60]!, chatIds[0]!]) await sendOk(socket, chatId, `в ${chatId}`);
      all = (await ask(socket, 'get_my_chats')).chats;
      expect(all).toHaveLength(CHATS);
      socket.close();
    });

    const ownerSocket = () => connect(server, owner.token);
    const page = (socket: ClientSocket, query: unknown) => ask(socket, 'get_my_chats', query);
    const ids = (chats: readonly ChatSummary[]) => chats.map((chat) => chat.id);

    /** Walks the whole list `limit` chats at a time; returns the pages. */
    async function walk(socket: ClientSocket, limit: number): Promise<ChatPage[]> {
      const pages: ChatPage[] = [];
      let before: string | undefined;
      do {
        const answer = await page(socket, before === undefined ? { limit } : { limit, before });
        expect(answer.success).toBe(true);
        pages.push({ chats: answer.chats, hasMore: answer.hasMore, nextBefore: answer.nextBefore });
        before = answer.nextBefore ?? undefined;
      } while (before !== undefined && pages.length <= CHATS);
      return pages;
    }

    it.each([1, 7, 50, CHAT_PAGE_MAX])('pages of %i walk the whole list in order, each chat once', async (limit) => {
      const pages = await walk(await ownerSocket(), limit);
      expect(pages.flatMap((p) => p.chats)).toStrictEqual(all);
      expect(pages).toHaveLength(Math.ceil(CHATS / limit));
      pages.forEach((p, i) => {
        const last = i === pages.length - 1;
        expect(p.chats).toHaveLength(last ? CHATS - limit * i : limit);
        expect(p.hasMore).toBe(!last);
        expect(p.nextBefore).toBe(last ? null : p.chats.at(-1)!.id);
      });
    });

    it('answers {success, chats, hasMore, nextBefore}, 50 by default; a payload without limit or before is the seed call', async () => {
      const socket = await ownerSocket();
      const expected = { success: true, chats: all.slice(0, 50), hasMore: true, nextBefore: all[49]!.id };
      expect(await page(socket, {})).toStrictEqual({ success: true, chats: all });
      expect(await page(socket, { unknown: 1 })).toStrictEqual({ success: true, chats: all });
      expect(await page(socket, { limit: 50 })).toStrictEqual(expected);
      expect(await page(socket, { before: all[49]!.id })).toStrictEqual({
        success: true,
        chats: all.slice(50, 100),
        hasMore: true,
        nextBefore: all[99]!.id,
      });
    });

    it('accepts limits 1 and 100; hasMore is false once a page reaches the end', async () => {
      const socket = await ownerSocket();
      expect(await page(socket, { limit: 1 })).toStrictEqual({
        success: true,
        chats: all.slice(0, 1),
        hasMore: true,
        nextBefore: all[0]!.id,
      });
      expect(await page(socket, { limit: 100, before: all[1]!.id })).toStrictEqual({
        success: true,
        chats: all.slice(2, 102),
        hasMore: true,
        nextBefore: all[101]!.id,
      });
      expect(await page(socket, { limit: 100, before: all[2]!.id })).toStrictEqual({
        success: true,
        chats: all.slice(3),
        hasMore: false,
        nextBefore: null,
      });
      expect(await page(socket, { before: all.at(-1)!.id })).toStrictEqual({
        success: true,
        chats: [],
        hasMore: false,
        nextBefore: null,
      });
    });

    it('reads the cursor in any case and ignores unknown extra fields', async () => {
      const socket = await ownerSocket();
      const expected = await page(socket, { limit: 2, before: all[5]!.id });
      expect(ids(expected.chats)).toEqual(ids(all.slice(6, 8)));
      expect(await page(socket, { limit: 2, before: all[5]!.id.toUpperCase() })).toStrictEqual(expected);
      expect(
        await page(socket, { limit: 2, before: all[5]!.id, chatId: 'ignored', offset: 40, userId: partner.user.id }),
      ).toStrictEqual(expected);
    });

    it.each([
      ['0', 0],
      ['101', 101],
      ['1.5', 1.5],
      ['negative', -1],
      ['a numeric string', '5'],
      ['a non-numeric string', 'x'],
      ['null', null],
      ['a boolean', true],
      ['an array', [5]],
      ['huge', 1e9],
    ])('refuses a limit that is %s with VALIDATION_ERROR on `limit`', async (_, limit) => {
      const answer = await page(await ownerSocket(), { limit });
      expectValidationError(answer, 'limit');
      expect(answer.error).toContain('«limit»');
    });

    it.each([
      ['a number', 123],
      ['null', null],
      ['an empty string', ''],
      ['over 100 characters', 'a'.repeat(101)],
      ['an object', { id: 'x' }],
      ['text no database can store', 'a\u0000b'],
    ])('refuses a before that is %s with VALIDATION_ERROR on `before`', async (_, before) => {
      expectValidationError(await page(await ownerSocket(), { before, limit: 5 }), 'before');
    });

    it.each(NON_OBJECT_PAYLOADS.filter(([, payload]) => payload !== null))(
      'refuses a payload that is %s',
      async (_, payload) => {
        expectValidationError(await page(await ownerSocket(), payload), undefined);
      },
    );

    it("answers the same NOT_FOUND for a cursor that is another user's chat, unknown, malformed, or left", async () => {
      const { alice, bob, chatId: foreign } = await chatPair(server);
      const carol = await registerUser(server, 'carol');
      const group = await createChat(server, carol, [alice, bob], 'to leave');
      const mine = await createChat(server, carol, [alice]);
      expect(await api(server, 'DELETE', `/chats/${group}/members/me`, { token: carol.token })).toMatchObject({
        status: 200,
      });
      const socket = await connect(server, carol.token);
      // Carol's only chat now: a page after it is an empty one, not an error.
      expect(await page(socket, { before: mine })).toStrictEqual({
        success: true,
        chats: [],
        hasMore: false,
        nextBefore: null,
      });
      const expected = { success: false, error: UNKNOWN_CURSOR_TEXT, code: 'NOT_FOUND', field: 'before' };
      for (const before of [foreign, group, UNKNOWN_CHAT_ID, MALFORMED_CHAT_ID]) {
        expect(await page(socket, { before })).toStrictEqual(expected);
        expect(await page(socket, { before, limit: 1 })).toStrictEqual(expected);
      }
    });

    it('keys each page on the cursor chat as it is then: a chat that moves up leaves the walk', async () => {
      const me = await registerUser(server, 'mover');
      const others = await Promise.all([1, 2, 3, 4, 5].map(() => registerUser(server, 'peer')));
      for (const other of others) {
        await createChat(server, me, [other]);
        await tick();
      }
      const socket = await connect(server, me.token);
      const start: ChatSummary[] = (await ask(socket, 'get_my_chats')).chats;
      const [c1, c2, c3, c4, c5] = ids(start) as [string, string, string, string, string];

      const first = await page(socket, { limit: 2 });
      expect(ids(first.chats)).toEqual([c1, c2]);
      // c4 moves to the top: it is above the cursor now, and the walk goes on without it.
      await tick();
      await sendOk(socket, c4, 'c4 moves up');
      const second = await page(socket, { limit: 2, before: first.nextBefore });
      expect(ids(second.chats)).toEqual([c3, c5]);
      expect(second).toMatchObject({ hasMore: false, nextBefore: null });

      // The cursor chat itself moves to the top: the next page starts after it there.
      await tick();
      await sendOk(socket, c2, 'c2 moves up');
      expect(ids((await page(socket, { limit: 2, before: c2 })).chats)).toEqual([c4, c1]);
    });
  });
});
