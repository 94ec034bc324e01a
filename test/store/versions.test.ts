import { describe, expect, it } from 'vitest';
import { storeTargets, useStore } from '../helpers/stores.js';

/**
 * Chat versions and message positions (migration 8, contract §5) as the store keeps them: every
 * change to a chat's messages takes the chat's next version, gap-free and in commit order, and
 * listChanges(Of) gives the messages changed after a version in their current state.
 */
describe.each(storeTargets)('Store chat versions on $name', (target) => {
  const opened = useStore(target);
  const { send, chatVersion } = opened;

  it('numbers sends 1, 2, 3… in seq and version, edits and deletes take the next version', async () => {
    const [a, b] = await Promise.all([opened.newUser('v'), opened.newUser('v')]);
    const chatId = await opened.newChat([a.id, b.id]);
    expect(await chatVersion(chatId)).toBe(0);
    const m1 = await send(chatId, a.id, 'one');
    const m2 = await send(chatId, b.id, 'two');
    expect([m1.seq, m1.version, m2.seq, m2.version]).toEqual([1, 1, 2, 2]);
    const edited = await opened.store.messages.editMessage(m1.id, a.id, 'one, edited');
    expect(edited).toMatchObject({ seq: 1, version: 3, text: 'one, edited' });
    const deleted = await opened.store.messages.deleteMessage(m2.id, b.id);
    expect(deleted).toMatchObject({ seq: 2, version: 4, text: '' });
    // Changing what cannot be changed takes no version.
    expect(await opened.store.messages.deleteMessage(m2.id, b.id)).toBeUndefined();
    expect(await opened.store.messages.editMessage(m1.id, b.id, 'not yours')).toBeUndefined();
    const m3 = await send(chatId, a.id, 'three');
    expect([m3.seq, m3.version]).toEqual([3, 5]);
    expect(await chatVersion(chatId)).toBe(5);
    // The chat list's copy of the last message carries both too.
    const [summary] = await opened.store.chats.listChats(a.id, chatId);
    expect(summary).toMatchObject({ version: 5, messages: [{ id: m3.id, seq: 3, version: 5 }] });
  });

  it('stays gap-free and in commit order under concurrent batches, edits and deletes', async () => {
    const users = await Promise.all([0, 1, 2].map(() => opened.newUser('vc')));
    const chatId = await opened.newChat(users.map((u) => u.id));
    const first = await Promise.all(users.map((u, i) => send(chatId, u.id, `seed ${i}`)));
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      const sender = users[i % 3]!;
      work.push(
        opened.store.messages.insertMessages([
          { chatId, senderId: sender.id, text: `b${i}a` },
          { chatId, senderId: sender.id, text: `b${i}b` },
        ]),
      );
      if (i < first.length) work.push(opened.store.messages.editMessage(first[i]!.id, users[i]!.id, `edited ${i}`));
    }
    work.push(opened.store.messages.deleteMessage(first[0]!.id, users[0]!.id));
    await Promise.all(work);
    const rows = await opened.db.query<{ seq: string; version: string; created_at: Date; id: string }>(
      'SELECT seq, version, created_at, id FROM messages WHERE chat_id = $1 ORDER BY seq',
      [chatId],
    );
    const seqs = rows.map((row) => Number(row.seq));
    expect(seqs).toEqual(Array.from({ length: 63 }, (_, i) => i + 1));
    // Position order is history's order (created_at, id).
    const byTime = [...rows].sort(
      (x, y) => x.created_at.getTime() - y.created_at.getTime() || x.id.localeCompare(y.id),
    );
    expect(byTime.map((row) => Number(row.seq))).toEqual(seqs);
    // 63 sends, 3 edits and 1 delete: 67 versions, each message at the version of its last change.
    const versions = rows.map((row) => Number(row.version));
    expect(new Set(versions).size).toBe(versions.length);
    expect(await chatVersion(chatId)).toBe(67);
    expect(Math.max(...versions)).toBeLessThanOrEqual(67);
  });

  it('listChanges: what changed after a version, in its current state and version order, paged', async () => {
    const [a, b, outsider] = await Promise.all([opened.newUser('lc'), opened.newUser('lc'), opened.newUser('lc')]);
    const chatId = await opened.newChat([a.id, b.id]);
    const m1 = await send(chatId, a.id, 'secret to delete');
    const m2 = await send(chatId, a.id, 'before the edit');
    const m3 = await send(chatId, b.id, 'untouched');
    await opened.store.messages.editMessage(m2.id, a.id, 'after the edit');
    await opened.store.messages.deleteMessage(m1.id, a.id);

    const all = await opened.store.messages.listChanges(chatId, 0, 100);
    expect(all).toMatchObject({ version: 5, hasMore: false });
    expect(all!.messages.map((m) => [m.id, m.version, m.text])).toEqual([
      [m3.id, 3, 'untouched'],
      [m2.id, 4, 'after the edit'],
      [m1.id, 5, ''],
    ]);
    expect(all!.messages[2]!.deletedAt).toEqual(expect.any(String));
    expect(JSON.stringify(all)).not.toMatch(/secret to delete|before the edit/);

    const since3 = await opened.store.messages.listChanges(chatId, 3, 100);
    expect(since3!.messages.map((m) => m.version)).toEqual([4, 5]);
    const page = await opened.store.messages.listChanges(chatId, 0, 2);
    expect(page).toMatchObject({ version: 4, hasMore: true });
    const rest = await opened.store.messages.listChanges(chatId, page!.version, 2);
    expect(rest).toMatchObject({ version: 5, hasMore: false });
    expect(rest!.messages.map((m) => m.version)).toEqual([5]);
    // Up to date, or even ahead: nothing, and the chat's version.
    expect(await opened.store.messages.listChanges(chatId, 5, 100)).toEqual({
      version: 5,
      messages: [],
      events: [],
      hasMore: false,
    });
    expect(await opened.store.messages.listChanges(chatId, 99, 100)).toEqual({
      version: 5,
      messages: [],
      events: [],
      hasMore: false,
    });
    // A limit of 0 only says whether there is more.
    expect(await opened.store.messages.listChanges(chatId, 3, 0)).toEqual({
      version: 3,
      messages: [],
      events: [],
      hasMore: true,
    });

    // Access is memberChatVersions' to tell: a member's chats only.
    expect(await opened.store.messages.memberChatVersions(b.id, [chatId, 'not-an-id'])).toEqual(new Map([[chatId, 5]]));
    expect(await opened.store.messages.memberChatVersions(outsider.id, [chatId])).toEqual(new Map());
    expect(await opened.store.messages.listChanges('00000000-0000-4000-8000-000000000000', 0, 100)).toBeUndefined();
    expect(await opened.store.messages.listChanges('not-an-id', 0, 100)).toBeUndefined();
  });

  it("keeps each member's read position as a seq, in the chat list and from markRead", async () => {
    const [a, b] = await Promise.all([opened.newUser('rp'), opened.newUser('rp')]);
    const chatId = await opened.newChat([a.id, b.id]);
    const m1 = await send(chatId, a.id, 'one');
    const m2 = await send(chatId, a.id, 'two');
    // In the order of `users` (join order).
    const positions = async () => {
      const [summary] = await opened.store.chats.listChats(a.id, chatId);
      expect(summary!.readPositions.map((p) => p.userId)).toEqual(summary!.users.map((u) => u.id));
      return Object.fromEntries(summary!.readPositions.map((p) => [p.userId, p.seq]));
    };
    expect(await positions()).toEqual({ [a.id]: 0, [b.id]: 0 });
    expect(await opened.store.messages.markRead(chatId, b.id, m2.id)).toEqual({
      outcome: 'marked',
      moved: true,
      unreadCount: 0,
      unreadMentionCount: 0,
      seq: 2,
    });
    expect(await opened.store.messages.markRead(chatId, b.id, m1.id)).toEqual({
      outcome: 'marked',
      moved: false,
      unreadCount: 0,
      unreadMentionCount: 0,
      seq: 2,
    });
    expect(await positions()).toEqual({ [a.id]: 0, [b.id]: 2 });
  });
  it('chat events take versions between the messages, and listChanges pages both together by version', async () => {
    const [a, b, c] = await Promise.all([opened.newUser('v'), opened.newUser('v'), opened.newUser('v')]);
    const chatId = await opened.newChat([a.id, b.id]);
    const m1 = await send(chatId, a.id, 'one');
    const actor = { id: a.id };
    await opened.store.groups.rename(chatId, 'renamed', actor);
    expect(await opened.store.groups.addMembers(chatId, [c.id], 10, actor)).toMatchObject({ addedIds: [c.id] });
    const m4 = await send(chatId, c.id, 'four');
    await opened.store.groups.setRole(chatId, b.id, 'admin', actor);
    // Nothing changed, no version: the same name, a role it has.
    expect(await opened.store.groups.rename(chatId, 'renamed', actor)).toEqual([]);
    expect(await opened.store.groups.setRole(chatId, b.id, 'admin', actor)).toEqual([]);
    expect(await chatVersion(chatId)).toBe(5);
    const all = await opened.store.messages.listChanges(chatId, 0, 100);
    expect(all!.messages.map((m) => [m.id, m.version])).toEqual([
      [m1.id, 1],
      [m4.id, 4],
    ]);
    expect(all!.events).toEqual([
      { chatId, version: 2, kind: 'chat_renamed', name: 'renamed', actorId: a.id, createdAt: expect.any(String) },
      { chatId, version: 3, kind: 'members_added', userIds: [c.id], actorId: a.id, createdAt: expect.any(String) },
      {
        chatId,
        version: 5,
        kind: 'role_changed',
        userId: b.id,
        role: 'admin',
        actorId: a.id,
        createdAt: expect.any(String),
      },
    ]);
    expect(all).toMatchObject({ version: 5, hasMore: false });
    // Pages of two changes, whichever their kinds: versions 1–2, 3–4, 5.
    const pages = [];
    for (let version = 0, more = true; more;) {
      const page = (await opened.store.messages.listChanges(chatId, version, 2))!;
      pages.push([
        page.version,
        page.hasMore,
        [...page.messages, ...page.events].map((change) => change.version).sort(),
      ]);
      ({ version, hasMore: more } = page);
    }
    expect(pages).toEqual([
      [2, true, [1, 2]],
      [4, true, [3, 4]],
      [5, false, [5]],
    ]);
  });
});
