import { randomUUID } from 'node:crypto';
import { MAX_CHAT_MEMBERS } from '../../src/protocol/schemas.js';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { emptyDatabase, expectCountersRight, storeTargets, useStore } from '../helpers/stores.js';

/**
 * The unread counter kept on each membership (migration 4) against the definition it replaces:
 * other members' messages, not deleted, after the member's read position — counted from the
 * messages themselves (expectCountersRight) after every kind of write, and after writes that race
 * each other.
 */
describe.each(storeTargets)('Unread counters on $name', (target) => {
  const opened = useStore(target);
  const newUser = () => opened.newUser('uc');
  const newChat = (memberIds: string[]) => opened.newChat(memberIds);
  const { send } = opened;
  const unread = async (userId: string, chatId: string) =>
    (await opened.store.chats.listChats(userId, chatId))[0]?.unreadCount;

  it('follow sends, batches, mark_read, edits, deletes, leaving, joining and a deleted user', async () => {
    const [a, b, c, d] = await Promise.all([newUser(), newUser(), newUser(), newUser()]);
    const chatId = await newChat([a.id, b.id, c.id]);
    const other = await newChat([a.id, d.id]);
    const check = () => expectCountersRight(opened.db, [chatId, other]);

    const m1 = await send(chatId, a.id);
    const m2 = await send(chatId, b.id);
    expect([await unread(a.id, chatId), await unread(b.id, chatId), await unread(c.id, chatId)]).toEqual([1, 1, 2]);
    await check();

    // A batch across chats and senders, with a refused non-member.
    await opened.store.messages.insertMessages([
      { chatId, senderId: c.id, text: 'c1' },
      { chatId: other, senderId: d.id, text: 'd1' },
      { chatId, senderId: a.id, text: 'a2' },
      { chatId, senderId: d.id, text: 'not a member' },
      { chatId: other, senderId: d.id, text: 'd2' },
    ]);
    expect([await unread(a.id, chatId), await unread(c.id, chatId), await unread(a.id, other)]).toEqual([2, 3, 2]);
    await check();

    // Reading moves forward only; reading an older message changes nothing.
    expect(await opened.store.messages.markRead(chatId, c.id, m2.id)).toMatchObject({ moved: true, unreadCount: 1 });
    expect(await opened.store.messages.markRead(chatId, c.id, m1.id)).toMatchObject({ moved: false, unreadCount: 1 });
    await check();

    // Edits change nothing; deleting an unread message takes it off, a read one does not.
    await opened.store.messages.editMessage(m2.id, b.id, 'edited');
    await opened.store.messages.deleteMessage(m2.id, b.id);
    expect([await unread(a.id, chatId), await unread(c.id, chatId)]).toEqual([1, 1]);
    await opened.store.messages.deleteMessage(m2.id, b.id); // a tombstone again: no second decrement
    await check();

    // Leaving forgets the position; joining again counts the whole history as unread.
    await opened.store.groups.removeMember(chatId, c.id);
    await send(chatId, a.id, 'while c was away');
    expect(await opened.store.groups.addMembers(chatId, [c.id, d.id], MAX_CHAT_MEMBERS)).toMatchObject({
      addedIds: expect.arrayContaining([c.id, d.id]),
    });
    expect([await unread(c.id, chatId), await unread(d.id, chatId)]).toEqual([3, 4]);
    await check();

    // A deleted account's messages become tombstones, which are nobody's unread.
    await send(chatId, b.id, 'b, just before deleting the account');
    expect(await unread(d.id, chatId)).toBe(5);
    await opened.store.users.deleteAccount(b.id);
    await check();
    expect(await unread(d.id, chatId)).toBe(4);
  });

  it('stay right when sends, reads, deletes and additions race', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => newUser()));
    const [a, b, c] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];
    const chatId = await newChat([a.id, b.id, c.id]);
    const seeded = [];
    for (let i = 0; i < 6; i++) seeded.push(await send(chatId, i % 2 ? a.id : b.id, `seed ${i}`));
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      const sender = [a, b, c][i % 3]!;
      work.push(opened.store.messages.insertMessage({ chatId, senderId: sender.id, text: `race ${i}` }));
      if (i % 5 === 0) {
        work.push(
          opened.store.messages.insertMessages([
            { chatId, senderId: a.id, text: `batch ${i}` },
            { chatId, senderId: c.id, text: `batch ${i}` },
          ]),
        );
      }
      if (i % 4 === 0) work.push(opened.store.messages.markRead(chatId, c.id, seeded[(i / 4) % seeded.length]!.id));
      if (i % 6 === 0) work.push(opened.store.messages.deleteMessage(seeded[i / 6]!.id, seeded[i / 6]!.sender));
    }
    work.push(
      opened.store.groups.addMembers(chatId, [users[3]!.id], MAX_CHAT_MEMBERS),
      opened.store.groups.addMembers(chatId, [users[4]!.id, users[5]!.id], MAX_CHAT_MEMBERS),
    );
    await Promise.all(work);
    await expectCountersRight(opened.db, [chatId]);
  });
});

/**
 * The unread mention counter (migration 14) against its rule (isUnreadMention: unread, and the
 * message's mention_ids name the member), recounted from the messages after each kind of write.
 */
describe.each(storeTargets)('Unread mention counters on $name', (target) => {
  const opened = useStore(target);
  const newUser = () => opened.newUser('mc');
  const { send } = opened;
  const counters = async (userId: string, chatId: string) => {
    const [chat] = await opened.store.chats.listChats(userId, chatId);
    return chat && [chat.unreadCount, chat.unreadMentionCount];
  };

  it('follow sends, batches, mark_read, edits adding and removing mentions, deletes, rejoining and a deleted user', async () => {
    const [a, b, c, d] = await Promise.all([newUser(), newUser(), newUser(), newUser()]);
    const chatId = await opened.newChat([a.id, b.id, c.id]);
    const other = await opened.newChat([a.id, d.id]);
    const check = () => expectCountersRight(opened.db, [chatId, other]);

    const m1 = await send(chatId, a.id, `hi @${b.username} and @${c.username.toUpperCase()}, not @${d.username}`);
    expect(m1.mentions).toEqual([b.id, c.id]);
    const m2 = await send(chatId, a.id, `@${b.username} again`);
    expect([await counters(b.id, chatId), await counters(c.id, chatId)]).toEqual([
      [2, 2],
      [2, 1],
    ]);
    await check();

    // A batch across chats and senders; a self-mention is stored but never counts.
    await opened.store.messages.insertMessages([
      { chatId, senderId: c.id, text: `@${c.username} @${a.username}` },
      { chatId: other, senderId: d.id, text: `@${a.username}` },
      { chatId, senderId: d.id, text: `@${a.username} from a non-member` },
      { chatId, senderId: b.id, text: 'no mention' },
    ]);
    expect([await counters(a.id, chatId), await counters(a.id, other), await counters(c.id, chatId)]).toEqual([
      [2, 1],
      [1, 1],
      [3, 1],
    ]);
    await check();

    // Reading past a mention takes it off; an older position changes nothing.
    expect(await opened.store.messages.markRead(chatId, b.id, m1.id)).toMatchObject({
      moved: true,
      unreadCount: 2,
      unreadMentionCount: 1,
    });
    expect(await opened.store.messages.markRead(chatId, b.id, m1.id)).toMatchObject({ unreadMentionCount: 1 });
    await check();

    // An edit re-resolves the mentions: removing one takes it off, adding one puts it on.
    const edited = await opened.store.messages.editMessage(m2.id, a.id, `now @${c.username} instead`);
    expect(edited?.mentions).toEqual([c.id]);
    expect([await counters(b.id, chatId), await counters(c.id, chatId)]).toEqual([
      [2, 0],
      [3, 2],
    ]);
    await check();
    const plain = await opened.store.messages.editMessage(m2.id, a.id, 'nobody now');
    expect(plain?.mentions).toBeUndefined();
    expect(await counters(c.id, chatId)).toEqual([3, 1]);
    await opened.store.messages.editMessage(m2.id, a.id, `@${c.username} back`);
    await check();

    // Deleting takes the message and its mentions off; a tombstone mentions nobody.
    const tombstone = await opened.store.messages.deleteMessage(m2.id, a.id);
    expect(tombstone?.mentions).toBeUndefined();
    expect(await counters(c.id, chatId)).toEqual([2, 1]);
    await check();

    // Leaving and joining again: the mentions made while a member count again, unread; one made
    // while away mentioned a non-member, which is no mention.
    await opened.store.groups.removeMember(chatId, c.id);
    const away = await send(chatId, a.id, `@${c.username} while c was away`);
    expect(away.mentions).toBeUndefined();
    await opened.store.groups.addMembers(chatId, [c.id], MAX_CHAT_MEMBERS);
    expect(await counters(c.id, chatId)).toEqual([3, 1]);
    await check();

    // A deleted account's messages become tombstones: their mentions go with them.
    await send(chatId, b.id, `@${c.username} from b`);
    expect(await counters(c.id, chatId)).toEqual([4, 2]);
    await opened.store.users.deleteAccount(b.id);
    expect(await counters(c.id, chatId)).toEqual([2, 1]);
    await check();
  });

  it('stay right when mentioning sends, reads, edits and deletes race', async () => {
    const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
    const chatId = await opened.newChat([a.id, b.id, c.id]);
    const seeded = [];
    for (let i = 0; i < 6; i++) seeded.push(await send(chatId, a.id, `seed @${i % 2 ? b.username : c.username}`));
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      const [sender, named] = i % 2 ? [a, b] : [b, c];
      work.push(opened.store.messages.insertMessage({ chatId, senderId: sender.id, text: `race @${named.username}` }));
      if (i % 4 === 0) work.push(opened.store.messages.markRead(chatId, c.id, seeded[(i / 4) % seeded.length]!.id));
      if (i % 5 === 0)
        work.push(opened.store.messages.editMessage(seeded[i / 5]!.id, a.id, `@${b.username} @${c.username}`));
      if (i % 6 === 0) work.push(opened.store.messages.deleteMessage(seeded[5 - i / 6]!.id, a.id));
    }
    await Promise.all(work);
    await expectCountersRight(opened.db, [chatId]);
  });
});

describe.each(storeTargets)('Migrations 4 and 5 on $name', (target) => {
  it('fills the counters of the chats that exist when it runs', async () => {
    const { db, close } = await emptyDatabase(target);
    try {
      await migrate(
        db,
        MIGRATIONS.filter((m) => m.version < 4),
      );
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      const chatId = randomUUID();
      await db.query(
        `INSERT INTO users (id, email, username) SELECT id, id || '@example.com', 'u' || replace(id::text, '-', '')
           FROM unnest($1::uuid[]) AS id`,
        [[a, b, c]],
      );
      await db.query(`INSERT INTO chats (id, name) VALUES ($1, 'g')`, [chatId]);
      await db.query(`INSERT INTO chat_members (chat_id, user_id) SELECT $1, unnest($2::uuid[])`, [chatId, [a, b, c]]);
      await db.query(
        `INSERT INTO messages (id, chat_id, sender_id, text, created_at, deleted_at)
         SELECT gen_random_uuid(), $1, CASE WHEN g % 3 = 0 THEN $2::uuid ELSE $3::uuid END, 'm',
                now() - interval '1 hour' + g * interval '1 second', CASE WHEN g = 7 THEN now() END
           FROM generate_series(1, 10) AS g`,
        [chatId, a, b],
      );
      await db.query(
        `UPDATE chat_members SET last_read_at = now() - interval '1 hour' + interval '5 seconds' WHERE user_id = $1`,
        [c],
      );
      expect(await migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 4).map((m) => m.version));
      await expectCountersRight(db, [chatId]);
      const counts = await db.query<{ user_id: string; unread_count: number }>(
        'SELECT user_id, unread_count FROM chat_members WHERE chat_id = $1',
        [chatId],
      );
      // a wrote 3, 6, 9; b the other seven, of which 7 is deleted; c read up to the 5th.
      expect(Object.fromEntries(counts.map((r) => [r.user_id, r.unread_count]))).toStrictEqual({
        [a]: 6,
        [b]: 3,
        [c]: 4,
      });
      const [listed] = await new Store(db).chats.listChats(c, chatId);
      expect(listed!.unreadCount).toBe(4);
      // Migration 5 fills the member id list of chats that existed before it.
      expect(listed!.users.map((user) => user.id)).toEqual([a, b, c].sort());
    } finally {
      await close();
    }
  });
});
