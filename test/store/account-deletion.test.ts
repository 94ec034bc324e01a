import { describe, expect, it } from 'vitest';
import { MAX_CHAT_MEMBERS } from '../../src/protocol/schemas.js';
import { UnknownMembers } from '../../src/store/chats.js';
import { DELETED_USER } from '../../src/store/users.js';
import { storeTargets, useStore } from '../helpers/stores.js';

/**
 * UserStore.deleteAccount on every store: the account's messages stay as tombstones, each a new
 * version of its chat (so that sync finds them), its memberships end, and nothing can bring it
 * back into a chat — also when sends, edits and additions race the deletion.
 */
describe.each(storeTargets)('Account deletion on $name', (target) => {
  const opened = useStore(target);
  const { send, chatVersion } = opened;
  const memberships = async (userId: string) =>
    (await opened.db.query<{ chat_id: string }>('SELECT chat_id FROM chat_members WHERE user_id = $1', [userId])).map(
      (row) => row.chat_id,
    );
  const liveMessages = async (userId: string) =>
    (await opened.db.query('SELECT id FROM messages WHERE sender_id = $1 AND deleted_at IS NULL', [userId])).length;

  it('turns every message of the account into a tombstone of the deleted user, each taking its chat’s next version', async () => {
    const [a, b, c] = await Promise.all([opened.newUser('ad'), opened.newUser('ad'), opened.newUser('ad')]);
    const group = await opened.newChat([a.id, b.id, c.id]);
    const left = await opened.newChat([a.id, b.id]);
    const a1 = await send(group, a.id, 'secret one');
    const b1 = await send(group, b.id, 'from b');
    const a2 = await send(group, a.id, 'secret two');
    await opened.store.messages.editMessage(a1.id, a.id, 'secret one, edited');
    const a3 = await send(group, a.id, 'already deleted');
    await opened.store.messages.deleteMessage(a3.id, a.id);
    const a4 = await send(left, a.id, 'written before leaving');
    expect(await opened.store.groups.removeMember(left, a.id)).toBeDefined();
    const [groupBefore, leftBefore] = [await chatVersion(group), await chatVersion(left)];
    // Leaving took versions of its own (chat events: a left, and handed the group to b).
    expect([groupBefore, leftBefore]).toEqual([6, 3]);

    const deleted = await opened.store.users.deleteAccount(a.id);

    const deletedUser = { id: a.id, ...DELETED_USER };
    const tombstone = { text: '', deletedAt: expect.any(String), sender: a.id, user: deletedUser };
    // The chat the account was still in, with its members after it; its tombstones in seq order.
    // Leaving it after its tombstones, as chat events: a, the group's creator, hands it to the
    // longest-standing member — b and c joined together, so the first by id.
    const events = [
      { chatId: group, version: 9, kind: 'member_left', userId: a.id, actorId: a.id, createdAt: expect.any(String) },
      {
        chatId: group,
        version: 10,
        kind: 'owner_changed',
        userId: [b.id, c.id].sort()[0],
        previousOwnerId: a.id,
        actorId: a.id,
        createdAt: expect.any(String),
      },
    ];
    expect(deleted!.left).toEqual([{ chatId: group, remaining: expect.any(Array), events }]);
    expect(deleted!.left[0]!.remaining.map((user) => user.id).sort()).toEqual([b.id, c.id].sort());
    const inGroup = deleted!.tombstones.filter((message) => message.chatId === group);
    expect(inGroup).toEqual([
      {
        ...tombstone,
        id: a1.id,
        chatId: group,
        createdAt: a1.createdAt,
        seq: 1,
        version: 7,
        editedAt: expect.any(String),
      },
      { ...tombstone, id: a2.id, chatId: group, createdAt: a2.createdAt, seq: 3, version: 8 },
    ]);
    expect(deleted!.tombstones.filter((message) => message.chatId === left)).toEqual([
      { ...tombstone, id: a4.id, chatId: left, createdAt: a4.createdAt, seq: 1, version: 4 },
    ]);
    expect(deleted!.tombstones).toHaveLength(3);
    expect([await chatVersion(group), await chatVersion(left)]).toEqual([10, 4]);

    // sync finds the tombstones and the leaving, and only them, after the version it held; nothing of the old text remains.
    const changes = await opened.store.messages.listChanges(group, groupBefore!, 100);
    expect(changes).toEqual({ version: 10, messages: inGroup, events, hasMore: false });
    const history = await opened.store.messages.listMessages(group, b.id, { limit: 50 });
    expect('messages' in history && history.messages.map((m) => [m.id, m.text, m.user])).toEqual([
      [a1.id, '', deletedUser],
      [b1.id, 'from b', b],
      [a2.id, '', deletedUser],
      [a3.id, '', deletedUser],
    ]);
    const everything = await opened.db.query<{ text: string }>(
      'SELECT text FROM messages WHERE chat_id = ANY($1::uuid[])',
      [[group, left]],
    );
    expect(JSON.stringify(everything)).not.toMatch(/secret|written before/);
    // The chat list's copy of the last message is the tombstone, and the account is in no list.
    const [summary] = await opened.store.chats.listChats(b.id, left);
    expect(summary).toMatchObject({
      version: 4,
      messages: [{ id: a4.id, text: '', user: deletedUser, version: 4 }],
      users: [{ id: b.id }],
    });
    expect(await memberships(a.id)).toEqual([]);
    expect(await opened.store.chats.listChats(a.id)).toEqual([]);
  });

  it('leaves nothing of the account in any chat when sends, edits and additions race it', async () => {
    const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => opened.newUser('ar')));
    const chats = await Promise.all([0, 1, 2].map(() => opened.newChat([a!.id, b!.id, c!.id])));
    const elsewhere = await opened.newChat([b!.id, d!.id]);
    const seeded = await Promise.all(chats.map((chatId) => send(chatId, a!.id, 'seed')));
    const versionsBefore = await Promise.all(chats.map(chatVersion));
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 12; i++) {
      const chatId = chats[i % 3]!;
      work.push(
        opened.store.messages.insertMessages([
          { chatId, senderId: a!.id, text: `a ${i}` },
          { chatId, senderId: b!.id, text: `b ${i}` },
        ]),
      );
      if (i < 3) work.push(opened.store.messages.editMessage(seeded[i]!.id, a!.id, `edited ${i}`));
      if (i === 6) work.push(opened.store.users.deleteAccount(a!.id));
    }
    work.push(opened.store.groups.addMembers(elsewhere, [a!.id], MAX_CHAT_MEMBERS));
    await Promise.all(work);
    // If the addition came first, the deletion took the account out again.
    expect(await memberships(a!.id)).toEqual([]);
    expect(await liveMessages(a!.id)).toBe(0);
    expect(await opened.store.users.findUserById(a!.id)).toBeUndefined();
    // And nobody can add it now, nor make a chat with it.
    expect(await opened.store.groups.addMembers(elsewhere, [a!.id], MAX_CHAT_MEMBERS)).toEqual({
      outcome: 'unknown_user',
      userId: a!.id,
    });
    await expect(
      opened.store.chats.createChat({ name: 'late', memberIds: [b!.id, a!.id], direct: false }),
    ).rejects.toBeInstanceOf(UnknownMembers);
    await expect(
      opened.store.chats.createChat({ name: null, memberIds: [b!.id, a!.id], direct: true }),
    ).rejects.toBeInstanceOf(UnknownMembers);
    for (const [i, chatId] of chats.entries()) {
      const rows = await opened.db.query<{ version: string }>('SELECT version FROM messages WHERE chat_id = $1', [
        chatId,
      ]);
      const versions = rows.map((row) => Number(row.version));
      expect(new Set(versions).size).toBe(versions.length);
      expect(Math.max(...versions)).toBeLessThanOrEqual((await chatVersion(chatId))!);
      expect((await chatVersion(chatId))!).toBeGreaterThan(versionsBefore[i]!);
    }
  });
});

// Concurrent transactions need a server: PGlite runs one transaction at a time.
describe.each(storeTargets.filter((target) => target.name === 'postgres'))(
  'Account deletion racing an addition on $name',
  (target) => {
    const opened = useStore(target);

    it('an addition committed while the deletion waits for the account is found, and the deletion starts over', async () => {
      const [a, b] = await Promise.all([opened.newUser('aw'), opened.newUser('aw')]);
      const joined = await opened.newChat([a.id, b.id]);
      const addedTo = await opened.newChat([b.id]);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      // An addition as ChatStore.addMembers makes it, held open: the account's row is locked FOR SHARE.
      const addition = opened.db.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM chats WHERE id = $1 FOR UPDATE', [addedTo]);
        await tx.query('SELECT id FROM users WHERE id = $1 FOR SHARE', [a.id]);
        await tx.query('INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2)', [addedTo, a.id]);
        holding();
        await released;
      });
      await held;
      const deletion = opened.store.users.deleteAccount(a.id);
      // The deletion has locked the chat it knew of and now waits for the account's row.
      const waiting = async () =>
        (
          await opened.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE users SET deleted_at%'`,
          )
        )[0]!.n > 0;
      while (!(await waiting())) await new Promise((resolve) => setTimeout(resolve, 10));
      release();
      await addition;
      const deleted = await deletion;
      expect(deleted!.left.map((chat) => chat.chatId).sort()).toEqual([joined, addedTo].sort());
      const left = await opened.db.query('SELECT chat_id FROM chat_members WHERE user_id = $1', [a.id]);
      expect(left).toEqual([]);
    });
  },
);
