import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MessageSearch, toSnippet, type SearchResult } from '../../src/store/message-search.js';
import { storeTargets, useStore } from '../helpers/stores.js';

/** A word no other test writes. */
const token = () => `zq${randomUUID().replaceAll('-', '').slice(0, 10)}`;

const idsOf = (result: SearchResult) => {
  if (!('hits' in result)) throw new Error(`refused: ${JSON.stringify(result)}`);
  return result.hits.map((hit) => hit.message.id);
};

describe('toSnippet', () => {
  it('turns the markers into UTF-16 ranges of the text without them', () => {
    expect(toSnippet('a \uE000bc\uE001 d \uE000e\uE001')).toStrictEqual({
      text: 'a bc d e',
      highlights: [
        [2, 4],
        [7, 8],
      ],
    });
    expect(toSnippet('😀 \uE000x\uE001')).toStrictEqual({ text: '😀 x', highlights: [[3, 4]] });
  });

  it('drops unbalanced and empty markers, and gives back the replaced less-than sign', () => {
    expect(toSnippet('\uE001a \uE000\uE001b \uE000c')).toStrictEqual({ text: 'a b c', highlights: [] });
    expect(toSnippet('\uE002b> \uE000w\uE001')).toStrictEqual({ text: '<b> w', highlights: [[4, 5]] });
  });
});

describe.each(storeTargets)('MessageSearch on $name', (target) => {
  const opened = useStore(target);

  /**
   * Messages of `chatId` from `senderId` written straight into the table with their ages in
   * hours, so that a search crosses its windows (the last day, week and month, then the rest);
   * returns their ids, newest first.
   */
  async function insertAged(chatId: string, senderId: string, text: string, hoursAgo: number[]): Promise<string[]> {
    const rows = await opened.db.query<{ id: string }>(
      `INSERT INTO messages (id, chat_id, sender_id, text, created_at, seq, version)
       SELECT gen_random_uuid(), $1, $2, $3 || ' ' || n, date_trunc('milliseconds', now()) - a * interval '1 hour', 1000 + n, 1000 + n
         FROM unnest($4::float8[]) WITH ORDINALITY AS t(a, n)
       RETURNING id, created_at`,
      [chatId, senderId, text, hoursAgo],
    );
    const ages = new Map(rows.map((row, i) => [row.id, hoursAgo[i]!]));
    return rows.map((row) => row.id).sort((a, b) => ages.get(a)! - ages.get(b)!);
  }

  it.each([
    ['the store’s', undefined],
    ['chats by id, read one by one (every window)', { walk: 2, fewChats: 300 }],
    ['a walk of 2 and membership checked (every window)', { walk: 2, fewChats: 0 }],
  ] as const)(
    'pages newest first with %s search, up to years back, without a hit lost or repeated',
    async (_, tuning) => {
      const store = { search: tuning ? new MessageSearch(opened.db, tuning) : opened.store.search };
      const user = await opened.newUser();
      const chatId = await opened.newChat([user.id]);
      const other = await opened.newUser();
      const othersChat = await opened.newChat([other.id]);
      const tag = token();
      // Within 15 minutes, within an hour, …, then past the last bounded window (about 1.9 years).
      const ages = [0.01, 0.1, 0.5, 2, 3, 10, 30, 100, 500, 2_000, 8_000, 20_000, 30_000];
      const expected = await insertAged(chatId, user.id, `needle ${tag}`, ages);
      // Another user's matches in between, which no page shows.
      await insertAged(othersChat, other.id, `needle ${tag}`, [0.02, 5, 600, 25_000]);
      for (const limit of [1, 2, 5, 13, 20]) {
        const seen: string[] = [];
        let before: string | undefined;
        for (;;) {
          const page = await store.search.search(user.id, { query: tag, limit, before });
          if (!('hits' in page)) throw new Error('refused');
          seen.push(...page.hits.map((hit) => hit.message.id));
          expect(page.hits.length).toBeLessThanOrEqual(limit);
          if (!page.hasMore) {
            expect(page.nextBefore).toBeNull();
            break;
          }
          expect(page.nextBefore).toBe(page.hits.at(-1)!.message.id);
          before = page.nextBefore!;
        }
        expect(seen).toStrictEqual(expected);
        // And one chat of them, by its own index.
        const inChat = await store.search.search(user.id, { query: tag, chatId, limit: 20 });
        expect(idsOf(inChat)).toStrictEqual(expected);
      }
    },
  );

  it('finds a rare word only in a message years old, and a common word in the newest first', async () => {
    const { store } = opened;
    const user = await opened.newUser();
    const chatId = await opened.newChat([user.id]);
    const [rare, common] = [token(), token()];
    const [old] = await insertAged(chatId, user.id, `${rare} ${common}`, [40_000]);
    const recent = await insertAged(chatId, user.id, common, [0.001, 0.002, 0.003]);
    expect(idsOf(await store.search.search(user.id, { query: rare, limit: 20 }))).toStrictEqual([old]);
    const page = await store.search.search(user.id, { query: common, limit: 3 });
    expect(idsOf(page)).toStrictEqual(recent);
    expect(page).toMatchObject({ hasMore: true, nextBefore: recent[2] });
    expect(idsOf(await store.search.search(user.id, { query: common, limit: 3, before: recent[2] }))).toStrictEqual([
      old,
    ]);
  });

  it('reads only the member’s chats (or the one asked for), and refuses a chat or a cursor outside them', async () => {
    const { store } = opened;
    const [alice, bob] = [await opened.newUser(), await opened.newUser()];
    const shared = await opened.newChat([alice.id, bob.id]);
    const bobs = await opened.newChat([bob.id]);
    const tag = token();
    const inShared = await opened.send(shared, alice.id, `shared ${tag}`);
    const inBobs = await opened.send(bobs, bob.id, `bob only ${tag}`);
    expect(idsOf(await store.search.search(alice.id, { query: tag, limit: 20 }))).toStrictEqual([inShared.id]);
    expect(idsOf(await store.search.search(bob.id, { query: tag, limit: 20 }))).toStrictEqual([inBobs.id, inShared.id]);
    expect(idsOf(await store.search.search(bob.id, { query: tag, chatId: shared, limit: 20 }))).toStrictEqual([
      inShared.id,
    ]);
    expect(await store.search.search(alice.id, { query: tag, chatId: bobs, limit: 20 })).toStrictEqual({
      refused: 'chat',
    });
    expect(await store.search.search(alice.id, { query: tag, chatId: 'nonsense', limit: 20 })).toStrictEqual({
      refused: 'chat',
    });
    expect(await store.search.search(alice.id, { query: tag, before: inBobs.id, limit: 20 })).toStrictEqual({
      refused: 'before',
    });
    expect(
      await store.search.search(bob.id, { query: tag, chatId: bobs, before: inShared.id, limit: 20 }),
    ).toStrictEqual({ refused: 'before' });
    // Once alice has left, the shared chat is no longer hers to search.
    await store.groups.removeMember(shared, alice.id);
    expect(await store.search.search(alice.id, { query: tag, limit: 20 })).toStrictEqual({
      hits: [],
      hasMore: false,
      nextBefore: null,
    });
  });

  it('follows edits and deletions: the current text only, never a tombstone', async () => {
    const { store } = opened;
    const user = await opened.newUser();
    const chatId = await opened.newChat([user.id]);
    const [before, after, gone] = [token(), token(), token()];
    const edited = await opened.send(chatId, user.id, `text ${before}`);
    await store.messages.editMessage(edited.id, user.id, `text ${after}`);
    const deleted = await opened.send(chatId, user.id, `text ${gone}`);
    await store.messages.deleteMessage(deleted.id, user.id);
    expect(idsOf(await store.search.search(user.id, { query: before, limit: 20 }))).toStrictEqual([]);
    expect(idsOf(await store.search.search(user.id, { query: after, limit: 20 }))).toStrictEqual([edited.id]);
    expect(idsOf(await store.search.search(user.id, { query: gone, limit: 20 }))).toStrictEqual([]);
    expect(idsOf(await store.search.search(user.id, { query: 'text', chatId, limit: 20 }))).toStrictEqual([edited.id]);
  });
});
