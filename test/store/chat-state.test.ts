import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { storeTargets, useStore } from '../helpers/stores.js';

/** Read positions, edits and tombstones: one suite against every store (PGlite; PostgreSQL when set). */
describe.each(storeTargets)('Store chat state on $name', (target) => {
  const opened = useStore(target);

  const newUser = () => opened.newUser('s');

  async function chatWithMessages(count: number) {
    const [author, reader] = await Promise.all([newUser(), newUser()]);
    const { chatId } = await opened.store.chats.createChat({
      name: 'g',
      memberIds: [author.id, reader.id],
      direct: false,
    });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const result = await opened.store.messages.insertMessage({ chatId, senderId: author.id, text: `m${i}` });
      if (result.outcome !== 'created') throw new Error('insert failed');
      ids.push(result.message.id);
    }
    return { author, reader, chatId, ids };
  }

  describe('markRead', () => {
    it('moves forward only and counts what is left', async () => {
      const { reader, chatId, ids } = await chatWithMessages(3);
      // `seq` is the position's: the second message's, also when the position does not move.
      expect(await opened.store.messages.markRead(chatId, reader.id, ids[1]!)).toStrictEqual({
        outcome: 'marked',
        moved: true,
        unreadCount: 1,
        unreadMentionCount: 0,
        seq: 2,
      });
      expect(await opened.store.messages.markRead(chatId, reader.id, ids[0]!)).toStrictEqual({
        outcome: 'marked',
        moved: false,
        unreadCount: 1,
        unreadMentionCount: 0,
        seq: 2,
      });
      expect(await opened.store.messages.markRead(chatId, reader.id, ids[1]!)).toStrictEqual({
        outcome: 'marked',
        moved: false,
        unreadCount: 1,
        unreadMentionCount: 0,
        seq: 2,
      });
      const [summary] = await opened.store.chats.listChats(reader.id, chatId);
      expect(summary!.unreadCount).toBe(1);
      expect(summary!.readPositions).toStrictEqual(
        summary!.users.map((user) => ({ userId: user.id, seq: user.id === reader.id ? 2 : 0 })),
      );
    });

    it('tells an unknown message from a non-member', async () => {
      const { reader, chatId, ids } = await chatWithMessages(1);
      const other = await chatWithMessages(1);
      expect(await opened.store.messages.markRead(chatId, reader.id, other.ids[0]!)).toStrictEqual({
        outcome: 'unknown_message',
      });
      expect(await opened.store.messages.markRead(chatId, reader.id, 'nope')).toStrictEqual({
        outcome: 'unknown_message',
      });
      expect(await opened.store.messages.markRead(chatId, other.reader.id, ids[0]!)).toStrictEqual({
        outcome: 'not_member',
      });
      expect(await opened.store.messages.markRead('nope', reader.id, ids[0]!)).toStrictEqual({ outcome: 'not_member' });
    });
  });

  describe('edits and tombstones', () => {
    it('an edit changes text and editedAt, keeps id, createdAt and order', async () => {
      const { author, chatId, ids } = await chatWithMessages(3);
      const before = await opened.store.messages.listMessages(chatId, author.id, { limit: 10 });
      const edited = await opened.store.messages.editMessage(ids[1]!, author.id, 'changed');
      // Three sends made versions 1..3: the edit is the chat's version 4; the position (seq 2) stays.
      expect(edited).toStrictEqual({
        ...(before as { messages: object[] }).messages[1],
        text: 'changed',
        version: 4,
        editedAt: expect.any(String),
      });
      expect(edited).toMatchObject({ seq: 2 });
      const after = await opened.store.messages.listMessages(chatId, author.id, { limit: 10 });
      expect('messages' in after && after.messages.map((m) => m.id)).toEqual(ids);
      expect('messages' in after && after.messages[1]).toStrictEqual(edited);
    });

    it('only the sender can edit or delete, and a tombstone can no longer be edited', async () => {
      const { author, reader, chatId, ids } = await chatWithMessages(2);
      expect(await opened.store.messages.editMessage(ids[0]!, reader.id, 'hijack')).toBeUndefined();
      expect(await opened.store.messages.deleteMessage(ids[0]!, reader.id)).toBeUndefined();
      const tombstone = await opened.store.messages.deleteMessage(ids[0]!, author.id);
      expect(tombstone).toMatchObject({ id: ids[0], chatId, text: '', deletedAt: expect.any(String) });
      expect(await opened.store.messages.editMessage(ids[0]!, author.id, 'again')).toBeUndefined();
      expect(await opened.store.messages.deleteMessage(ids[0]!, author.id)).toBeUndefined();
      expect(await opened.store.messages.findMessageRef(ids[0]!)).toStrictEqual({
        chatId,
        senderId: author.id,
        deleted: true,
      });
      expect(await opened.store.messages.findMessage(ids[0]!)).toStrictEqual(tombstone);
    });

    it('tombstones are not unread, and the chat list shows a deleted last message as a tombstone', async () => {
      const { author, reader, chatId, ids } = await chatWithMessages(2);
      await opened.store.messages.deleteMessage(ids[1]!, author.id);
      const [summary] = await opened.store.chats.listChats(reader.id, chatId);
      expect(summary!.unreadCount).toBe(1);
      expect(summary!.messages).toStrictEqual([
        expect.objectContaining({ id: ids[1], text: '', deletedAt: expect.any(String) }),
      ]);
    });

    it("the chat list's last message follows sends, edits and deletes of the last message only", async () => {
      const { author, reader, chatId, ids } = await chatWithMessages(2);
      const listed = async () => (await opened.store.chats.listChats(reader.id, chatId))[0]!.messages;
      const stored = async (id: string) => [await opened.store.messages.findMessage(id)];
      expect(await listed()).toStrictEqual(await stored(ids[1]!));

      await opened.store.messages.editMessage(ids[0]!, author.id, 'not the last one');
      expect(await listed()).toStrictEqual(await stored(ids[1]!));
      await opened.store.messages.editMessage(ids[1]!, author.id, 'edited "last" \\ \u0001 ✓');
      expect(await listed()).toStrictEqual(await stored(ids[1]!));
      expect((await listed())[0]).toMatchObject({ text: 'edited "last" \\ \u0001 ✓', editedAt: expect.any(String) });

      const sent = await opened.store.messages.insertMessage({ chatId, senderId: reader.id, text: 'newest' });
      if (sent.outcome !== 'created') throw new Error('insert failed');
      expect(await listed()).toStrictEqual([sent.message]);
      await opened.store.messages.deleteMessage(ids[1]!, author.id);
      expect(await listed()).toStrictEqual([sent.message]);
      await opened.store.messages.deleteMessage(sent.message.id, reader.id);
      expect(await listed()).toStrictEqual(await stored(sent.message.id));
      expect((await listed())[0]).toMatchObject({ text: '', deletedAt: expect.any(String) });
    });

    it('unknown or malformed ids name nothing', async () => {
      const user = await newUser();
      expect(await opened.store.messages.findMessageRef(randomUUID())).toBeUndefined();
      expect(await opened.store.messages.findMessageRef('x')).toBeUndefined();
      expect(await opened.store.messages.editMessage('x', user.id, 't')).toBeUndefined();
      expect(await opened.store.messages.deleteMessage(randomUUID(), user.id)).toBeUndefined();
    });
  });
});
