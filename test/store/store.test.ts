import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChatSummary } from '../../src/protocol/types.js';
import { migrate } from '../../src/store/migrate.js';
import { messageSummary } from '../../src/store/message-form.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { DELETED_USER, UniqueViolation } from '../../src/store/users.js';
import { storeTargets, useStore } from '../helpers/stores.js';

/**
 * The store's contract, one suite run against every store: embedded PGlite always, PostgreSQL
 * whenever DATABASE_URL is set (always in CI). Data is random so that suites can share a server.
 */
describe.each(storeTargets)('Store on $name', (target) => {
  const opened = useStore(target);

  const tag = () => randomUUID().slice(0, 8);
  const newUser = (prefix = 'u') => opened.newUser(prefix);
  const newChat = (memberIds: string[], name: string | null = 'group') => opened.newChat(memberIds, name);

  describe('migrate', () => {
    it('is idempotent and safe when nodes run it at the same time', async () => {
      expect(await migrate(opened.db)).toEqual([]);
      const results = await Promise.all([migrate(opened.db), migrate(opened.db), migrate(opened.db)]);
      expect(results).toEqual([[], [], []]);
      const rows = await opened.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    });
  });

  describe('users', () => {
    it('creates a user and finds it by id, email and username, case-insensitively', async () => {
      const user = await newUser('Case');
      expect(await opened.store.users.findUserById(user.id)).toEqual(user);
      expect(await opened.store.users.findUserForLogin({ email: user.email.toUpperCase() })).toEqual({
        ...user,
        passwordHash: 'x',
        banned: false,
      });
      expect(await opened.store.users.findAccount(user.id)).toEqual({ user, banned: false });
      expect(await opened.store.users.findUserForLogin({ username: user.username.toLowerCase() })).toMatchObject({
        id: user.id,
      });
    });

    it('refuses a taken email or username whatever the case', async () => {
      const user = await newUser();
      await expect(
        opened.store.users.createUser({
          email: user.email.toUpperCase(),
          username: `other_${tag()}`,
          passwordHash: null,
        }),
      ).rejects.toEqual(new UniqueViolation('email'));
      await expect(
        opened.store.users.createUser({
          email: `other-${tag()}@example.com`,
          username: user.username.toUpperCase(),
          passwordHash: null,
        }),
      ).rejects.toEqual(new UniqueViolation('username'));
    });

    it('finds nothing for ids that are not uuids or not users', async () => {
      expect(await opened.store.users.findUserById('not-a-uuid')).toBeUndefined();
      expect(await opened.store.users.findUserById(randomUUID())).toBeUndefined();
      const user = await newUser();
      expect((await opened.store.users.existingUserIds([user.id, randomUUID(), 'junk'])).sort()).toEqual([user.id]);
    });

    it('searches by prefix of username or whole email, excluding the caller, with wildcards taken literally', async () => {
      const t = tag();
      const me = await opened.store.users.createUser({
        email: `me_${t}@example.com`,
        username: `srch_${t}_me`,
        passwordHash: null,
      });
      const hit = await opened.store.users.createUser({
        email: `zz-${t}@example.com`,
        username: `srch_${t}_hit`,
        passwordHash: null,
      });
      const byEmail = await opened.store.users.createUser({
        email: `srch_${t}_mail@example.com`,
        username: `m_${t}`,
        passwordHash: null,
      });
      const found = await opened.store.users.searchUsers(`SRCH_${t}`, me.id, 20);
      expect(found).toEqual([hit]);
      // An email is found whole (in any case), never by a part of it.
      expect(await opened.store.users.searchUsers(`SRCH_${t}_MAIL@example.com`, me.id, 20)).toEqual([byEmail]);
      expect(await opened.store.users.searchUsers(`srch_${t}_mail@example.co`, me.id, 20)).toEqual([]);
      expect(await opened.store.users.searchUsers(`srch_${t}_mail@%`, me.id, 20)).toEqual([]);
      // "_" and "%" are ordinary characters in a search, not LIKE wildcards.
      expect(await opened.store.users.searchUsers(`srch%${t}`, me.id, 20)).toEqual([]);
      expect(await opened.store.users.searchUsers(`srch_${t}_h`, me.id, 20)).toEqual([hit]);
      expect(await opened.store.users.searchUsers(`srch_${t}`, me.id, 1)).toHaveLength(1);
    });

    it('deletes an account: no lookup finds it, its email and username are free, and it is deleted once', async () => {
      const user = await newUser();
      expect(await opened.store.users.deleteAccount(user.id)).toEqual({ tombstones: [], left: [] });
      expect(await opened.store.users.findUserById(user.id)).toBeUndefined();
      expect(await opened.store.users.findUserForLogin({ id: user.id })).toBeUndefined();
      expect(await opened.store.users.findUserForLogin({ email: user.email })).toBeUndefined();
      expect(await opened.store.users.findUserForLogin({ username: DELETED_USER.username })).toBeUndefined();
      expect(await opened.store.users.existingUserIds([user.id])).toEqual([]);
      expect(await opened.store.users.searchUsers('[deleted', randomUUID(), 20)).toEqual([]);
      expect(await opened.store.users.deleteAccount(user.id)).toBeUndefined();
      const again = await opened.store.users.createUser({
        email: user.email.toUpperCase(),
        username: user.username,
        passwordHash: 'x',
      });
      expect(again.id).not.toBe(user.id);
    });
  });

  describe('chats', () => {
    it('keeps one direct chat per pair, even when both ask at once', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const results = await Promise.all([
        opened.store.chats.createChat({ name: null, memberIds: [a.id, b.id], direct: true }),
        opened.store.chats.createChat({ name: null, memberIds: [b.id, a.id], direct: true }),
        opened.store.chats.createChat({ name: null, memberIds: [a.id, b.id], direct: true }),
      ]);
      expect(new Set(results.map((r) => r.chatId)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await opened.store.chats.listChats(a.id)).toHaveLength(1);
    });

    it('knows its members', async () => {
      const [a, b, outsider] = await Promise.all([newUser(), newUser(), newUser()]);
      const chatId = await newChat([a.id, b.id]);
      expect(await opened.store.chats.isMember(chatId, a.id)).toBe(true);
      expect(await opened.store.chats.isMember(chatId, outsider.id)).toBe(false);
      expect(await opened.store.chats.isMember('junk', a.id)).toBe(false);
      expect(await opened.store.chats.isMember(randomUUID(), a.id)).toBe(false);
    });

    it('lists a user’s chats with members, last message and unread count, most recent activity first', async () => {
      const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
      const first = await newChat([a.id, b.id], 'first');
      const second = await newChat([a.id, c.id], 'second');
      const unrelated = await newChat([b.id, c.id], 'unrelated');
      await opened.store.messages.insertMessage({ chatId: first, senderId: b.id, text: 'one' });
      const last = await opened.store.messages.insertMessage({ chatId: first, senderId: b.id, text: 'two' });
      await opened.store.messages.insertMessage({ chatId: first, senderId: a.id, text: 'mine' });

      let chats = await opened.store.chats.listChats(a.id);
      expect(chats.map((chat) => chat.id)).toEqual([first, second]);
      expect(chats[0]).toMatchObject({ name: 'first', unreadCount: 2, messages: [{ text: 'mine', sender: a.id }] });
      expect(chats[0]!.users.map((u) => u.id).sort()).toEqual([a.id, b.id].sort());
      expect(chats[1]).toMatchObject({ name: 'second', messages: [], unreadCount: 0 });
      expect(chats.some((chat) => chat.id === unrelated)).toBe(false);
      expect(last.outcome).toBe('created');

      await opened.store.messages.insertMessage({ chatId: second, senderId: c.id, text: 'newer' });
      chats = await opened.store.chats.listChats(a.id);
      expect(chats.map((chat) => chat.id)).toEqual([second, first]);
      expect(await opened.store.chats.listChats(a.id, second)).toHaveLength(1);
    });

    it('writes each chat as the JSON of its summary, byte for byte, in every shape a chat has', async () => {
      const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
      const group = await newChat([a.id, b.id, c.id], 'quote " back \\ slash, ü and 🎉');
      const { chatId: direct } = await opened.store.chats.createChat({
        name: null,
        memberIds: [a.id, b.id],
        direct: true,
      });
      await newChat([a.id, c.id], 'empty');
      await opened.store.groups.setRole(group, b.id, 'admin', { id: a.id });
      const first = await opened.send(group, b.id, 'first');
      await opened.store.messages.markRead(group, a.id, first.id);
      const last = await opened.store.messages.insertMessage({
        chatId: group,
        senderId: c.id,
        text: `@${a.username} "quoted"\n`,
        replyToId: first.id,
      });
      if (last.outcome !== 'created') throw new Error(last.outcome);
      await opened.store.marks.react(last.message.id, b.id, '👍', true, 5);
      await opened.store.chats.setMuted(group, a.id, true);
      await opened.send(direct, b.id, 'hi');

      const texts = await opened.store.chats.listChatTexts(a.id);
      expect(texts).toHaveLength(3);
      for (const chat of texts) expect(chat.writeJson(new Map())).toBe(JSON.stringify(chat.toJSON()));
      const [groupChat] = await opened.store.chats.listChats(a.id, group);
      expect(groupChat).toMatchObject({
        name: 'quote " back \\ slash, ü and 🎉',
        unreadCount: 1,
        unreadMentionCount: 1,
        membersCanAdd: true,
        muted: true,
        readPositions: expect.arrayContaining([{ userId: a.id, seq: 1 }]),
        messages: [
          { id: last.message.id, replyTo: { id: first.id }, reactions: [{ emoji: '👍', count: 1, me: false }] },
        ],
      });
      expect(groupChat!.users.find((user) => user.id === b.id)).toMatchObject({ role: 'admin' });
      // Every field of ChatSummary is written: one added to the type fails to compile here until it is listed.
      const everyField: Record<keyof ChatSummary, true> = {
        id: true,
        name: true,
        users: true,
        messages: true,
        unreadCount: true,
        unreadMentionCount: true,
        version: true,
        readPositions: true,
        membersCanAdd: true,
        muted: true,
      };
      expect(Object.keys(groupChat!).sort()).toEqual(Object.keys(everyField).sort());
      expect((await opened.store.chats.listChats(a.id, direct))[0]).not.toHaveProperty('membersCanAdd');
    });

    it("reads a last message's file and reactions however they were written (the chat's flag is the database's)", async () => {
      // As a node of before migration 24 would write them during a rolling upgrade: straight into
      // the tables, without the code of today.
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const chatId = await newChat([a.id, b.id]);
      const last = await opened.send(chatId, a.id, 'last');
      await opened.db.query(
        'INSERT INTO message_reactions (message_id, user_id, emoji, version) VALUES ($1, $2, $3, $4)',
        [last.id, b.id, '🔥', last.version],
      );
      expect((await opened.store.chats.listChats(a.id, chatId))[0]!.messages[0]!.reactions).toStrictEqual([
        { emoji: '🔥', count: 1, me: false },
      ]);
      const filed = await opened.send(chatId, a.id, 'with a file');
      const fileId = randomUUID();
      await opened.store.files.createFile(fileId, a.id, 'a.txt');
      await opened.store.files.completeFile(fileId, { type: 'text/plain', size: 1 });
      await opened.db.query('UPDATE files SET message_id = $1, chat_id = $2, position = 0 WHERE id = $3', [
        filed.id,
        chatId,
        fileId,
      ]);
      expect((await opened.store.chats.listChats(a.id, chatId))[0]!.messages[0]!.attachments).toMatchObject([
        { id: fileId, name: 'a.txt' },
      ]);
    });

    it('names the partners of a user in chats of at most a number of members, each once', async () => {
      const [a, b, c, d, e] = await Promise.all([newUser(), newUser(), newUser(), newUser(), newUser()]);
      await newChat([a.id, b.id], 'small');
      const big = await newChat([a.id, b.id, c.id, d.id], 'big');
      await newChat([c.id, e.id], 'unrelated');
      const partners = async (userId: string, maxChatMembers: number) =>
        (await opened.store.chats.chatPartnerIds(userId, maxChatMembers)).sort();

      expect(await partners(a.id, 3)).toEqual([b.id]);
      expect(await partners(a.id, 4)).toEqual([b.id, c.id, d.id].sort());
      expect(await partners(a.id, 0)).toEqual([]);
      expect(await partners(c.id, 3)).toEqual([e.id]);
      expect(await partners('junk', 3)).toEqual([]);
      // The count follows the members: one leaving brings the big chat down to the limit.
      expect(await opened.store.groups.removeMember(big, d.id)).toBeDefined();
      expect(await partners(a.id, 3)).toEqual([b.id, c.id].sort());
    });

    it('lists hundreds of chats whole and in order, across the rows its query answers in', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const chatIds: string[] = [];
      for (let i = 0; i < 150; i++) chatIds.push(await newChat([a.id, b.id], `chat ${i}`));
      // Activity in an order of its own: a message in every third chat, newest chat first.
      for (const chatId of chatIds.filter((_, i) => i % 3 === 0).reverse()) {
        await opened.store.messages.insertMessage({ chatId, senderId: b.id, text: `in ${chatId}` });
      }
      const expected = await opened.db.query<{ id: string }>(
        `SELECT c.id FROM chat_members cm JOIN chats c ON c.id = cm.chat_id WHERE cm.user_id = $1
          ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC`,
        [a.id],
      );
      const chats = await opened.store.chats.listChats(a.id);
      expect(chats.map((chat) => chat.id)).toEqual(expected.map((row) => row.id));
      expect(chats.slice(0, 50).every((chat) => chat.messages[0]?.text === `in ${chat.id}`)).toBe(true);
      for (const chat of [chats[0]!, chats[64]!, chats[149]!]) {
        expect(await opened.store.chats.listChats(a.id, chat.id)).toStrictEqual([chat]);
      }
    });
  });

  describe('chat list pages', () => {
    it('walk the list in its order, chats active in the same instant by id, at any page size', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const chatIds: string[] = [];
      for (let i = 0; i < 9; i++) chatIds.push(await newChat([a.id, b.id], `chat ${i}`));
      await opened.store.messages.insertMessage({ chatId: chatIds[2]!, senderId: b.id, text: 'moves up' });
      // Five chats created in one instant (as chats created in one transaction would be).
      const tied = chatIds.slice(4);
      await opened.db.query(`UPDATE chats SET created_at = '2001-02-03T04:05:06.789Z' WHERE id = ANY($1::uuid[])`, [
        tied,
      ]);
      const all = await opened.store.chats.listChats(a.id);
      expect(all.map((chat) => chat.id).slice(-5)).toEqual([...tied].sort().reverse());
      expect(all[0]!.id).toBe(chatIds[2]);

      for (let limit = 1; limit <= all.length + 1; limit++) {
        const pages: Array<{ chats: ChatSummary[]; hasMore: boolean }> = [];
        let before: string | undefined;
        do {
          const page = await opened.store.chats.listChatPage(a.id, { before, limit });
          pages.push({ ...page, chats: page.chats.map((chat) => chat.toJSON()) });
          before = pages.at(-1)!.chats.at(-1)?.id;
        } while (pages.at(-1)!.hasMore && pages.length <= all.length);
        expect(
          pages.flatMap((page) => page.chats),
          `limit ${limit}`,
        ).toStrictEqual(all);
        expect(pages.map((page) => page.hasMore)).toEqual(pages.map((_, i) => i < pages.length - 1));
        expect(pages.at(-1)!.chats.length).toBeGreaterThan(0);
      }
    });

    it("list nothing after a chat that is not one of the user's", async () => {
      const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
      const mine = await newChat([a.id, b.id]);
      const theirs = await newChat([b.id, c.id]);
      expect(await opened.store.chats.listChatPage(a.id, { before: undefined, limit: 5 })).toMatchObject({
        chats: [{ id: mine }],
        hasMore: false,
      });
      for (const before of [theirs, randomUUID(), 'not-a-chat-id']) {
        expect(await opened.store.chats.listChatPage(a.id, { before, limit: 5 })).toEqual({
          chats: [],
          hasMore: false,
        });
      }
    });
  });

  describe('messages', () => {
    it('stores a message only from a member', async () => {
      const [a, b, outsider] = await Promise.all([newUser(), newUser(), newUser()]);
      const chatId = await newChat([a.id, b.id]);
      expect(await opened.store.messages.insertMessage({ chatId, senderId: outsider.id, text: 'x' })).toEqual({
        outcome: 'not_member',
      });
      expect(await opened.store.messages.insertMessage({ chatId: 'junk', senderId: a.id, text: 'x' })).toEqual({
        outcome: 'not_member',
      });
      const result = await opened.store.messages.insertMessage({ chatId, senderId: a.id, text: 'hello' });
      expect(result).toEqual({
        outcome: 'created',
        message: {
          id: expect.any(String),
          text: 'hello',
          sender: a.id,
          chatId,
          createdAt: expect.stringMatching(/\.\d{3}Z$/),
          user: a,
          seq: 1,
          version: 1,
        },
      });
    });

    it('loses a chat’s or a user’s messages with the chat or the user deleted by hand (migration 22)', async () => {
      const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
      const gone = await newChat([a.id, b.id]);
      const kept = await newChat([a.id, b.id, c.id]);
      await opened.send(gone, a.id);
      await opened.send(kept, b.id);
      const fromC = await opened.send(kept, c.id);
      const fromA = await opened.send(kept, a.id);
      const messageIds = async (chatId: string) =>
        (
          await opened.db.query<{ id: string }>('SELECT id FROM messages WHERE chat_id = $1 ORDER BY seq', [chatId])
        ).map((row) => row.id);

      await opened.db.query('DELETE FROM chats WHERE id = $1', [gone]);
      expect(await messageIds(gone)).toEqual([]);
      expect(await messageIds(kept)).toHaveLength(3);

      await opened.db.query('DELETE FROM users WHERE id = $1', [b.id]);
      expect(await messageIds(kept)).toEqual([fromC.id, fromA.id]);
    });

    it('builds the message search index without a pending list (fastupdate off, migration 23)', async () => {
      const [index] = await opened.db.query<{ options: string[] | null }>(
        `SELECT reloptions AS options FROM pg_class WHERE relname = 'messages_search'`,
      );
      expect(index?.options).toContain('fastupdate=off');
    });

    it('shows times in UTC with three-digit milliseconds', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const chatId = await newChat([a.id, b.id]);
      const [{ id }] = (await opened.db.query<{ id: string }>(
        `INSERT INTO messages (id, chat_id, sender_id, text, created_at, edited_at, seq, version)
         VALUES (gen_random_uuid(), $1, $2, 'whole second', '2026-01-02 03:04:05+05', '2026-01-02 03:04:05.07+05', 1, 1)
         RETURNING id`,
        [chatId, a.id],
      )) as [{ id: string }];
      await opened.db.query(
        `UPDATE chats c SET last_message_id = m.id, last_seq = m.seq, version = m.version,
                last_message = ${messageSummary('m')}
           FROM messages m WHERE c.id = $1 AND m.id = $2`,
        [chatId, id],
      );
      const times = { createdAt: '2026-01-01T22:04:05.000Z', editedAt: '2026-01-01T22:04:05.070Z' };
      expect(await opened.store.messages.listMessages(chatId, b.id, { limit: 5 })).toMatchObject({
        messages: [{ id, ...times }],
      });
      expect(await opened.store.chats.listChats(b.id, chatId)).toMatchObject([{ messages: [{ id, ...times }] }]);
    });

    it('stores one row per clientMessageId, even for concurrent retries', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const chatId = await newChat([a.id, b.id]);
      const clientMessageId = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          opened.store.messages.insertMessage({ chatId, senderId: a.id, text: 'once', clientMessageId }),
        ),
      );
      expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
      const ids = new Set(results.map((r) => ('message' in r ? r.message.id : undefined)));
      expect(ids.size).toBe(1);
      // The same client id from another sender is another message.
      expect(
        (await opened.store.messages.insertMessage({ chatId, senderId: b.id, text: 'once', clientMessageId })).outcome,
      ).toBe('created');
      const page = await opened.store.messages.listMessages(chatId, a.id, { limit: 100 });
      expect('messages' in page && page.messages).toHaveLength(2);
      // A duplicate must not have moved the chat's last message to a row that does not exist.
      const [chat] = await opened.store.chats.listChats(a.id, chatId);
      expect(chat!.messages[0]!.sender).toBe(b.id);
    });

    it('orders a chat’s messages strictly by (createdAt, id) in commit order, even within one millisecond', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const chatId = await newChat([a.id, b.id]);
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          opened.store.messages.insertMessage({ chatId, senderId: i % 2 ? a.id : b.id, text: `m${i}` }),
        ),
      );
      const page = await opened.store.messages.listMessages(chatId, a.id, { limit: 100 });
      if (!('messages' in page)) throw new Error('unexpected bad cursor');
      expect(page.messages).toHaveLength(60);
      const stamps = page.messages.map((m) => Date.parse(m.createdAt));
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]!).toBeGreaterThan(stamps[i - 1]!);
      expect(new Set(page.messages.map((m) => m.id))).toEqual(
        new Set(results.map((r) => (r.outcome === 'created' ? r.message.id : ''))),
      );
    });

    it('group-commits a batch across chats: input order kept, non-members refused, each chat in batch order', async () => {
      const [a, b, c, outsider] = await Promise.all([newUser(), newUser(), newUser(), newUser()]);
      const first = await newChat([a.id, b.id]);
      const second = await newChat([b.id, c.id]);
      const earlier = await opened.store.messages.insertMessage({ chatId: first, senderId: a.id, text: 'earlier' });
      const batch = [
        { chatId: first, senderId: a.id, text: 'f1' },
        { chatId: second, senderId: c.id, text: 's1' },
        { chatId: first, senderId: outsider.id, text: 'refused' },
        { chatId: 'junk', senderId: a.id, text: 'refused too' },
        { chatId: first, senderId: b.id, text: 'f2' },
        { chatId: second, senderId: b.id, text: 's2' },
        { chatId: first, senderId: a.id, text: 'f3' },
      ];
      const results = await opened.store.messages.insertMessages(batch);
      expect(results.map((r) => r.outcome)).toEqual([
        'created',
        'created',
        'not_member',
        'not_member',
        'created',
        'created',
        'created',
      ]);
      results.forEach((r, i) => {
        if (r.outcome === 'created')
          expect(r.message).toMatchObject({
            text: batch[i]!.text,
            chatId: batch[i]!.chatId,
            sender: batch[i]!.senderId,
          });
      });
      const messageIds = async (chatId: string) => {
        const page = await opened.store.messages.listMessages(chatId, b.id, { limit: 100 });
        if (!('messages' in page)) throw new Error('bad cursor');
        const stamps = page.messages.map((m) => m.createdAt);
        expect([...stamps].sort()).toEqual(stamps);
        expect(new Set(stamps).size).toBe(stamps.length);
        return page.messages.map((m) => m.text);
      };
      expect(await messageIds(first)).toEqual(['earlier', 'f1', 'f2', 'f3']);
      expect(await messageIds(second)).toEqual(['s1', 's2']);
      expect(earlier.outcome).toBe('created');
      const [chat] = await opened.store.chats.listChats(b.id, first);
      expect(chat!.messages[0]!.text).toBe('f3');
    });

    it('stores replies in a batch only to live messages of their own chat, the rest of the batch as usual', async () => {
      const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
      const chat = await newChat([a.id, b.id]);
      const other = await newChat([a.id, c.id]);
      const target = await opened.send(chat, b.id, 'target');
      const elsewhere = await opened.send(other, c.id, 'elsewhere');
      const gone = await opened.send(chat, a.id, 'gone');
      await opened.store.messages.deleteMessage(gone.id, a.id);
      const results = await opened.store.messages.insertMessages([
        { chatId: chat, senderId: a.id, text: 'to the target', replyToId: target.id },
        { chatId: chat, senderId: a.id, text: 'to another chat', replyToId: elsewhere.id },
        { chatId: chat, senderId: a.id, text: 'to a tombstone', replyToId: gone.id },
        { chatId: chat, senderId: a.id, text: 'to nothing', replyToId: randomUUID() },
        { chatId: chat, senderId: a.id, text: 'to junk', replyToId: 'junk' },
        { chatId: chat, senderId: c.id, text: 'from a non-member', replyToId: target.id },
        { chatId: chat, senderId: b.id, text: 'no reply' },
      ]);
      expect(results.map((r) => r.outcome)).toEqual([
        'created',
        'reply_refused',
        'reply_refused',
        'reply_refused',
        'reply_refused',
        'reply_refused',
        'created',
      ]);
      const quote = { id: target.id, text: 'target', user: { id: b.id, email: b.email, username: b.username } };
      expect('message' in results[0]! && results[0].message.replyTo).toStrictEqual(quote);
      expect('message' in results[6]! && results[6].message).not.toHaveProperty('replyTo');
      const page = await opened.store.messages.listMessages(chat, a.id, { limit: 10 });
      expect('messages' in page && page.messages.map((m) => [m.text, m.replyTo?.id ?? null])).toEqual([
        ['target', null],
        ['', null],
        ['to the target', target.id],
        ['no reply', null],
      ]);
    });

    it('replays a batch holding retried clientMessageIds one by one: one row each, originals returned', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const chatId = await newChat([a.id, b.id]);
      const original = await opened.store.messages.insertMessage({
        chatId,
        senderId: a.id,
        text: 'original',
        clientMessageId: 'k1',
      });
      const results = await opened.store.messages.insertMessages([
        { chatId, senderId: a.id, text: 'retry of original', clientMessageId: 'k1' },
        { chatId, senderId: b.id, text: 'fresh' },
        { chatId, senderId: a.id, text: 'twice', clientMessageId: 'k2' },
        { chatId, senderId: a.id, text: 'twice again', clientMessageId: 'k2' },
      ]);
      expect(results.map((r) => r.outcome)).toEqual(['duplicate', 'created', 'created', 'duplicate']);
      expect('message' in results[0]! && results[0].message).toEqual(
        original.outcome === 'created' && original.message,
      );
      expect('message' in results[3]! && results[3].message.text).toBe('twice');
      const page = await opened.store.messages.listMessages(chatId, a.id, { limit: 100 });
      expect('messages' in page && page.messages.map((m) => m.text)).toEqual(['original', 'fresh', 'twice']);
    });

    it('pages with before / after cursors without skipping or repeating', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const chatId = await newChat([a.id, b.id]);
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) {
        const r = await opened.store.messages.insertMessage({ chatId, senderId: a.id, text: `m${i}` });
        if (r.outcome === 'created') ids.push(r.message.id);
      }
      const pageIds = async (range: Parameters<Store['messages']['listMessages']>[2]) => {
        const page = await opened.store.messages.listMessages(chatId, a.id, range);
        if (!('messages' in page)) throw new Error(`bad cursor ${page.badCursor}`);
        return { ids: page.messages.map((m) => m.id), hasMore: page.hasMore };
      };
      expect(await pageIds({ limit: 10 })).toEqual({ ids: ids.slice(15), hasMore: true });
      expect(await pageIds({ limit: 10, before: ids[15] })).toEqual({ ids: ids.slice(5, 15), hasMore: true });
      expect(await pageIds({ limit: 10, before: ids[5] })).toEqual({ ids: ids.slice(0, 5), hasMore: false });
      expect(await pageIds({ limit: 10, after: ids[4] })).toEqual({ ids: ids.slice(5, 15), hasMore: true });
      expect(await pageIds({ limit: 10, after: ids[14] })).toEqual({ ids: ids.slice(15), hasMore: false });
      expect(await pageIds({ limit: 10, after: ids[2], before: ids[6] })).toEqual({
        ids: ids.slice(3, 6),
        hasMore: false,
      });
      expect(await pageIds({ limit: 10, after: ids[24] })).toEqual({ ids: [], hasMore: false });

      const otherChat = await newChat([a.id, b.id]);
      expect(await opened.store.messages.listMessages(otherChat, a.id, { limit: 10, before: ids[3] })).toEqual({
        badCursor: 'before',
      });
      // A non-member's page is empty whatever is in the chat (the service then answers FORBIDDEN).
      const outsider = await newUser();
      expect(await opened.store.messages.listMessages(chatId, outsider.id, { limit: 10 })).toEqual({
        messages: [],
        hasMore: false,
        version: 0,
      });
      expect(await opened.store.messages.listMessages(chatId, outsider.id, { limit: 10, before: ids[15] })).toEqual({
        messages: [],
        hasMore: false,
        version: 0,
      });
      // With the chat's version, for join_chat (25 sends).
      expect(await opened.store.messages.listMessages(chatId, a.id, { limit: 1 })).toMatchObject({ version: 25 });
      expect(await opened.store.messages.listMessages(chatId, a.id, { limit: 10, after: 'junk' })).toEqual({
        badCursor: 'after',
      });
      expect(await opened.store.messages.listMessages(chatId, a.id, { limit: 10, after: randomUUID() })).toEqual({
        badCursor: 'after',
      });
    });

    it('gives back text exactly as stored, whatever it contains', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const chatId = await newChat([a.id, b.id]);
      const text = `<script>alert(1)</script> '; DROP TABLE messages; -- 👩‍👩‍👧 \\ % _ \u202e`;
      const result = await opened.store.messages.insertMessage({ chatId, senderId: a.id, text });
      expect(result.outcome === 'created' && result.message.text).toBe(text);
      const page = await opened.store.messages.listMessages(chatId, a.id, { limit: 1 });
      expect('messages' in page && page.messages[0]!.text).toBe(text);
    });
  });
  describe('reactions and pins', () => {
    it('keeps one reaction per user and emoji, versions only real changes, and caps distinct emoji', async () => {
      const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
      const chatId = await newChat([a.id, b.id]);
      const message = await opened.send(chatId, a.id, 'react');
      const marks = opened.store.marks;
      const added = await marks.react(message.id, b.id, '👍', true, 2);
      expect(added).toMatchObject({ outcome: 'done', changed: true, message: { version: message.version + 1 } });
      expect(await marks.react(message.id, b.id, '👍', true, 2)).toStrictEqual({ ...added, changed: false });
      await marks.react(message.id, a.id, '🔥', true, 2);
      expect(await marks.react(message.id, a.id, '🎉', true, 2)).toEqual({ outcome: 'too_many' });
      const more = await marks.react(message.id, a.id, '👍', true, 2);
      expect(more.outcome === 'done' && more.message.reactions).toStrictEqual([
        { emoji: '👍', count: 2, me: true },
        { emoji: '🔥', count: 1, me: true },
      ]);
      // A non-member, an unknown id and junk are one outcome; nothing is stored for them.
      expect(await marks.react(message.id, c.id, '👍', true, 2)).toEqual({ outcome: 'unknown' });
      expect(await marks.react(randomUUID(), a.id, '👍', true, 2)).toEqual({ outcome: 'unknown' });
      expect(await marks.react('junk', a.id, '👍', true, 2)).toEqual({ outcome: 'unknown' });
      // The chat's version moved once per real change (3), and the changes read it back in their
      // current state: as broadcast, without `me`; as a reader's, with theirs.
      const changes = await opened.store.messages.listChanges(chatId, message.version, 10);
      expect(changes).toMatchObject({ version: message.version + 3, messages: [{ id: message.id }] });
      expect(changes!.messages[0]!.reactions).toStrictEqual([
        { emoji: '👍', count: 2 },
        { emoji: '🔥', count: 1 },
      ]);
      const read = await opened.store.messages.listChangesOf(
        [{ chatId, afterVersion: message.version, limit: 10 }],
        b.id,
      );
      expect(read.get(chatId)!.messages[0]!.reactions).toStrictEqual([
        { emoji: '👍', count: 2, me: true },
        { emoji: '🔥', count: 1, me: false },
      ]);
      await opened.store.messages.deleteMessage(message.id, a.id);
      expect(await marks.react(message.id, b.id, '👍', false, 2)).toEqual({ outcome: 'deleted' });
      expect(await opened.store.messages.findMessage(message.id)).not.toHaveProperty('reactions');
      const [tombstone] = (
        await opened.store.messages.listChangesOf([{ chatId, afterVersion: 0, limit: 10 }], a.id)
      ).get(chatId)!.messages;
      expect(tombstone).not.toHaveProperty('reactions');
    });

    it('pins up to the cap, lists pins newest first, and a deletion unpins', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const chatId = await newChat([a.id, b.id]);
      const [m1, m2, m3] = [
        await opened.send(chatId, a.id, 'one'),
        await opened.send(chatId, a.id, 'two'),
        await opened.send(chatId, b.id, 'three'),
      ];
      const marks = opened.store.marks;
      // In a group, plain members do not pin: its creator (a) makes b an admin.
      expect(await marks.pin(m1.id, b.id, true, 2)).toEqual({ outcome: 'not_admin' });
      await opened.store.groups.setRole(chatId, b.id, 'admin', { id: a.id });
      const pinned = await marks.pin(m1.id, b.id, true, 2);
      expect(pinned).toMatchObject({ outcome: 'done', changed: true, message: { pinnedBy: b.id } });
      expect(await marks.pin(m1.id, a.id, true, 2)).toStrictEqual({ ...pinned, changed: false });
      await marks.pin(m3.id, a.id, true, 2);
      expect(await marks.pin(m2.id, a.id, true, 2)).toEqual({ outcome: 'too_many' });
      expect((await marks.pinnedMessages(chatId, a.id, 50))!.map((m) => m.id)).toEqual([m3.id, m1.id]);
      expect(await marks.pinnedMessages(chatId, randomUUID(), 50)).toBeUndefined();
      const tombstone = await opened.store.messages.deleteMessage(m3.id, b.id);
      expect(tombstone).not.toHaveProperty('pinnedAt');
      expect((await marks.pinnedMessages(chatId, a.id, 50))!.map((m) => m.id)).toEqual([m1.id]);
      // The chat list's copy of its last message follows its pins.
      const last = await opened.send(chatId, a.id, 'last');
      await marks.pin(last.id, a.id, true, 2);
      const [chat] = await opened.store.chats.listChats(a.id, chatId);
      expect(chat!.messages[0]).toMatchObject({ id: last.id, pinnedBy: a.id });
    });
  });
});
