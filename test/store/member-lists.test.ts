import { MAX_CHAT_MEMBERS } from '../../src/protocol/schemas.js';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/database.js';
import { storeTargets, useStore } from '../helpers/stores.js';

/**
 * The member id list, read positions, member count and roles kept on each chat (the member
 * trigger, markRead, role changes) against the definitions they replace: the chat's members in
 * join order, each one's last_read_seq in the same order, how many they are, and its owner and
 * admins — after every kind of membership and role change, after changes that race each other,
 * and as the chat list shows them.
 */
const COUNTED = `SELECT c.id, c.member_ids || ' ' || c.read_seqs || ' ' || c.member_count || ' ' || c.member_roles AS kept,
        COALESCE((SELECT string_agg(o.user_id::text, ',' ORDER BY o.joined_at, o.user_id)
                    FROM chat_members o WHERE o.chat_id = c.id), '') || ' ' ||
        COALESCE((SELECT string_agg(o.last_read_seq::text, ',' ORDER BY o.joined_at, o.user_id)
                    FROM chat_members o WHERE o.chat_id = c.id), '') || ' ' ||
        (SELECT count(*) FROM chat_members o WHERE o.chat_id = c.id) || ' ' ||
        COALESCE((SELECT string_agg(o.user_id::text || ':' || left(o.role, 1), ',' ORDER BY o.user_id)
                    FROM chat_members o WHERE o.chat_id = c.id AND o.role <> 'member'), '') AS counted
   FROM chats c WHERE c.id = ANY($1::uuid[]) ORDER BY c.id`;

async function expectMemberListsRight(db: Database, chatIds: string[]): Promise<void> {
  const rows = await db.query<{ id: string; kept: string; counted: string }>(COUNTED, [chatIds]);
  expect(rows).toHaveLength(chatIds.length);
  for (const row of rows)
    expect({ chat: row.id, members: row.kept }).toStrictEqual({ chat: row.id, members: row.counted });
}

describe.each(storeTargets)('Chat member lists on $name', (target) => {
  const opened = useStore(target);
  const newUser = () => opened.newUser('ml');
  const newChat = (memberIds: string[]) => opened.newChat(memberIds);
  const listedIds = async (userId: string, chatId: string) =>
    (await opened.store.chats.listChats(userId, chatId))[0]?.users.map((user) => user.id);

  it('follow creating, joining, leaving and a deleted user, in join order', async () => {
    const [a, b, c, d] = await Promise.all([newUser(), newUser(), newUser(), newUser()]);
    const chatId = await newChat([a.id, b.id]);
    const other = await newChat([b.id, d.id]);
    const check = () => expectMemberListsRight(opened.db, [chatId, other]);
    await check();

    await opened.store.groups.addMembers(chatId, [c.id], MAX_CHAT_MEMBERS);
    expect(await listedIds(a.id, chatId)).toEqual([...[a.id, b.id].sort(), c.id]);
    await check();
    const sent = await opened.store.messages.insertMessage({ chatId, senderId: a.id, text: 'to read' });
    if (sent.outcome !== 'created') throw new Error(sent.outcome);
    await opened.store.messages.markRead(chatId, c.id, sent.message.id);
    await check();

    expect(await opened.store.groups.removeMember(chatId, a.id)).toBeDefined();
    expect(await opened.store.groups.removeMember(chatId, a.id)).toBeUndefined();
    expect(await listedIds(b.id, chatId)).toEqual([b.id, c.id]);
    await check();

    // Joining again puts a at the end; a deleted user leaves every chat they were in.
    await opened.store.groups.addMembers(chatId, [a.id, d.id], MAX_CHAT_MEMBERS);
    await check();
    await opened.store.users.deleteAccount(b.id);
    await check();
    expect(await listedIds(c.id, chatId)).toEqual([c.id, ...[a.id, d.id].sort()]);
    expect(await listedIds(d.id, other)).toEqual([d.id]);
  });

  it('follow roles granted, taken, handed over and inherited, as the chat list shows them', async () => {
    const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
    const chatId = await newChat([a.id, b.id, c.id]);
    const roles = async () =>
      Object.fromEntries(
        (await opened.store.chats.listChats(c.id, chatId))[0]!.users.map((user) => [user.id, user.role]),
      );
    await expectMemberListsRight(opened.db, [chatId]);
    expect(await roles()).toEqual({ [a.id]: 'owner', [b.id]: 'member', [c.id]: 'member' });

    await opened.store.groups.setRole(chatId, b.id, 'admin', { id: a.id });
    await expectMemberListsRight(opened.db, [chatId]);
    expect(await roles()).toEqual({ [a.id]: 'owner', [b.id]: 'admin', [c.id]: 'member' });

    await opened.store.groups.setRole(chatId, c.id, 'owner', { id: a.id });
    await expectMemberListsRight(opened.db, [chatId]);
    expect(await roles()).toEqual({ [a.id]: 'admin', [b.id]: 'admin', [c.id]: 'owner' });

    await opened.store.groups.setRole(chatId, b.id, 'member', { id: c.id });
    // The owner leaves: the longest-standing admin (a) inherits.
    await opened.store.groups.removeMember(chatId, c.id);
    await expectMemberListsRight(opened.db, [chatId]);
    expect(
      Object.fromEntries((await opened.store.chats.listChats(b.id, chatId))[0]!.users.map((u) => [u.id, u.role])),
    ).toEqual({
      [a.id]: 'owner',
      [b.id]: 'member',
    });
  });

  it('stay right when joins, leaves, sends, reads and a user deletion race', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, () => newUser()));
    const ids = users.map((user) => user.id);
    const chatId = await newChat(ids.slice(0, 4));
    const first = await opened.store.messages.insertMessage({ chatId, senderId: ids[0]!, text: 'first' });
    if (first.outcome !== 'created') throw new Error(first.outcome);
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      work.push(opened.store.groups.addMembers(chatId, [ids[4 + i]!], MAX_CHAT_MEMBERS));
      work.push(opened.store.groups.removeMember(chatId, ids[i]!));
      work.push(opened.store.messages.insertMessage({ chatId, senderId: ids[(i + 1) % 4]!, text: `race ${i}` }));
      work.push(opened.store.messages.markRead(chatId, ids[(i + 2) % 4]!, first.message.id));
    }
    work.push(
      opened.store.groups.addMembers(chatId, [ids[8]!, ids[9]!], MAX_CHAT_MEMBERS),
      opened.store.users.deleteAccount(ids[1]!),
    );
    await Promise.all(work);
    await expectMemberListsRight(opened.db, [chatId]);
  });
});
