import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SearchHit, SearchPage } from '../../src/protocol/types.js';
import { ask, connect, createChat, registerUser, useServer, type ClientSocket } from '../helpers/server.js';
import {
  chatPair,
  expectValidationError,
  FORBIDDEN_ANSWER,
  MALFORMED_CHAT_ID,
  NON_OBJECT_PAYLOADS,
  sendOk,
  UNKNOWN_CHAT_ID,
} from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

/** A word no other test sends, so that a search for it sees only this test's messages. */
const token = () => `zq${randomUUID().replaceAll('-', '').slice(0, 10)}`;

async function searchOk(socket: ClientSocket, payload: Record<string, unknown>): Promise<SearchPage> {
  const answer = await ask(socket, 'search_messages', payload);
  expect(answer).toMatchObject({ success: true, hits: expect.any(Array), hasMore: expect.any(Boolean) });
  return answer as SearchPage;
}

const texts = (page: SearchPage) => page.hits.map((hit) => hit.message.text);

/** The highlighted parts of a hit's snippet. */
const highlighted = (hit: SearchHit) =>
  hit.snippet.highlights.map(([start, end]) => hit.snippet.text.slice(start, end));

describe.each(storeTargets.map((t) => t.name))('search_messages on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  describe('search_messages', () => {
    it('finds a message by a Russian word in another form, with the message as history has it, its chat and a snippet', async () => {
      const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const tag = token();
      const sent = await sendOk(aliceSocket, chatId, `Важное сообщение для команды ${tag}`);
      await sendOk(aliceSocket, chatId, `Совсем другой текст ${tag}`);
      const page = await searchOk(bobSocket, { query: `сообщения ${tag}` });
      expect(page).toStrictEqual({
        success: true,
        hits: [
          {
            message: sent,
            chat: { id: chatId, name: null },
            snippet: { text: `Важное сообщение для команды ${tag}`, highlights: expect.any(Array) },
          },
        ],
        hasMore: false,
        nextBefore: null,
      });
      expect(highlighted(page.hits[0]!)).toStrictEqual(['сообщение', tag]);
      expect(sent.user.id).toBe(alice.user.id);
    });

    it('gives each hit’s message in its current state: its reactions with `me` from the searcher’s view, its pin', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const tag = token();
      const sent = await sendOk(aliceSocket, chatId, `react to ${tag}`);
      expect(await ask(bobSocket, 'add_reaction', { messageId: sent.id, emoji: '👍' })).toMatchObject({
        success: true,
      });
      const pinned = await ask(aliceSocket, 'pin_message', { messageId: sent.id });
      const [bobsHit] = (await searchOk(bobSocket, { query: tag })).hits;
      const [alicesHit] = (await searchOk(aliceSocket, { query: tag })).hits;
      expect(bobsHit!.message).toStrictEqual({ ...pinned.message, reactions: [{ emoji: '👍', count: 1, me: true }] });
      expect(alicesHit!.message).toStrictEqual(pinned.message);
      expect(pinned.message.reactions).toStrictEqual([{ emoji: '👍', count: 1, me: false }]);
    });

    it('stems English words, and finds a made-up token as written', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const tag = token();
      await sendOk(aliceSocket, chatId, `The servers were running late ${tag}`);
      const english = await searchOk(aliceSocket, { query: `runs server ${tag}` });
      expect(texts(english)).toStrictEqual([`The servers were running late ${tag}`]);
      expect(highlighted(english.hits[0]!)).toStrictEqual(['servers', 'running', tag]);
      const madeUp = await searchOk(aliceSocket, { query: tag });
      expect(texts(madeUp)).toStrictEqual([`The servers were running late ${tag}`]);
      expect(highlighted(madeUp.hits[0]!)).toStrictEqual([tag]);
    });

    it('finds stop words only as written (the language-neutral config), highlighted', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const tag = token();
      await sendOk(aliceSocket, chatId, `${tag} и ${tag}`);
      const page = await searchOk(aliceSocket, { query: `${tag} и` });
      expect(texts(page)).toStrictEqual([`${tag} и ${tag}`]);
      expect(highlighted(page.hits[0]!)).toContain('и');
    });

    it('searches only the caller’s chats: another chat’s text is never found, a chatId of another’s chat is FORBIDDEN', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const other = await chatPair(server);
      const tag = token();
      await sendOk(aliceSocket, chatId, `mine ${tag}`);
      await sendOk(other.aliceSocket, other.chatId, `theirs ${tag}`);
      expect(texts(await searchOk(aliceSocket, { query: tag }))).toStrictEqual([`mine ${tag}`]);
      expect(texts(await searchOk(other.bobSocket, { query: tag }))).toStrictEqual([`theirs ${tag}`]);
      for (const foreign of [other.chatId, UNKNOWN_CHAT_ID, MALFORMED_CHAT_ID])
        expect(await ask(aliceSocket, 'search_messages', { query: tag, chatId: foreign })).toStrictEqual({
          ...FORBIDDEN_ANSWER,
        });
    });

    it('with chatId searches that chat only', async () => {
      const { alice, bob, chatId, aliceSocket } = await chatPair(server);
      const groupId = await createChat(server, alice, [bob], 'Группа поиска');
      const tag = token();
      await sendOk(aliceSocket, chatId, `direct ${tag}`);
      await sendOk(aliceSocket, groupId, `group ${tag}`);
      const all = await searchOk(aliceSocket, { query: tag });
      expect(texts(all)).toStrictEqual([`group ${tag}`, `direct ${tag}`]);
      expect(all.hits[0]!.chat).toStrictEqual({ id: groupId, name: 'Группа поиска' });
      expect(texts(await searchOk(aliceSocket, { query: tag, chatId }))).toStrictEqual([`direct ${tag}`]);
      expect(texts(await searchOk(aliceSocket, { query: tag, chatId: groupId }))).toStrictEqual([`group ${tag}`]);
    });

    it('never finds a deleted message, and finds an edited one by its new text only', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const [gone, old, fresh] = [token(), token(), token()];
      const deleted = await sendOk(aliceSocket, chatId, `soon gone ${gone}`);
      expect(await ask(aliceSocket, 'delete_message', { messageId: deleted.id })).toMatchObject({ success: true });
      const edited = await sendOk(aliceSocket, chatId, `first words ${old}`);
      const answer = await ask(aliceSocket, 'edit_message', { messageId: edited.id, text: `second words ${fresh}` });
      expect(answer).toMatchObject({ success: true });
      expect((await searchOk(bobSocket, { query: gone })).hits).toStrictEqual([]);
      expect((await searchOk(bobSocket, { query: old })).hits).toStrictEqual([]);
      const found = await searchOk(bobSocket, { query: fresh });
      expect(found.hits.map((hit) => hit.message)).toStrictEqual([answer.message]);
      expect(found.hits[0]!.message.editedAt).toEqual(expect.any(String));
    });

    it('pages newest first with the hit cursor until hasMore is false', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const tag = token();
      const sent = [];
      for (let i = 0; i < 5; i++)
        sent.push(await sendOk(i % 2 ? bobSocket : aliceSocket, chatId, `${tag} number ${i}`));
      const first = await searchOk(aliceSocket, { query: tag, limit: 2 });
      expect(texts(first)).toStrictEqual([`${tag} number 4`, `${tag} number 3`]);
      expect(first).toMatchObject({ hasMore: true, nextBefore: sent[3]!.id });
      const second = await searchOk(aliceSocket, { query: tag, limit: 2, before: first.nextBefore });
      expect(texts(second)).toStrictEqual([`${tag} number 2`, `${tag} number 1`]);
      const last = await searchOk(aliceSocket, { query: tag, limit: 2, before: second.nextBefore });
      expect(last).toMatchObject({ hasMore: false, nextBefore: null });
      expect(texts(last)).toStrictEqual([`${tag} number 0`]);
      // The default page is 20.
      expect(texts(await searchOk(aliceSocket, { query: tag }))).toHaveLength(5);
    });

    it('a cursor that is not a message of the searched chats is NOT_FOUND', async () => {
      const { alice, bob, chatId, aliceSocket } = await chatPair(server);
      const other = await chatPair(server);
      const tag = token();
      const mine = await sendOk(aliceSocket, chatId, `mine ${tag}`);
      const theirs = await sendOk(other.aliceSocket, other.chatId, `theirs ${tag}`);
      const notFound = {
        success: false,
        code: 'NOT_FOUND',
        error: 'Сообщение не найдено в ваших чатах',
        field: 'before',
      };
      for (const before of [theirs.id, randomUUID(), 'not-an-id'])
        expect(await ask(aliceSocket, 'search_messages', { query: tag, before })).toStrictEqual(notFound);
      // One of the caller's chats' messages, but not of the chat searched.
      const groupId = await createChat(server, alice, [bob], 'group');
      expect(await ask(aliceSocket, 'search_messages', { query: tag, chatId: groupId, before: mine.id })).toStrictEqual(
        notFound,
      );
      expect(await ask(aliceSocket, 'search_messages', { query: tag, before: mine.id })).toStrictEqual({
        success: true,
        hits: [],
        hasMore: false,
        nextBefore: null,
      });
    });

    it('returns snippets whose ranges mark the matched words, which marker characters in a text cannot forge', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const tag = token();
      const text = `\uE000forged\uE001 𝒜😀 ${tag} and \uE000 more \uE001 text <b>bold</b> <!-- x --> \uE002.`;
      await sendOk(aliceSocket, chatId, text);
      const [hit] = (await searchOk(aliceSocket, { query: `${tag} forged` })).hits;
      expect(hit!.message.text).toBe(text);
      expect(hit!.snippet.text).toBe(`forged 𝒜😀 ${tag} and  more  text <b>bold</b> <!-- x --> .`);
      // UTF-16 code units: the astral characters before the tag count two each.
      expect(hit!.snippet.highlights).toStrictEqual([
        [0, 6],
        [12, 12 + tag.length],
      ]);
      expect(highlighted(hit!)).toStrictEqual(['forged', tag]);
      // A text made of markers only is no query term and highlights nothing of its own.
      const none = await searchOk(aliceSocket, { query: '\uE000\uE001' });
      expect(none.hits).toStrictEqual([]);
    });

    it('shows a fragment of a long message around the match', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const tag = token();
      await sendOk(aliceSocket, chatId, `${'начало '.repeat(200)}${tag}${' конец'.repeat(200)}`);
      const [hit] = (await searchOk(aliceSocket, { query: tag })).hits;
      expect(hit!.snippet.text.length).toBeLessThan(400);
      expect(highlighted(hit!)).toStrictEqual([tag]);
    });

    it('never fails on query syntax: quotes, operators and punctuation', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const tag = token();
      await sendOk(aliceSocket, chatId, `alpha beta ${tag}`);
      for (const query of [
        `"alpha beta ${tag}`,
        `${tag} -`,
        `(${tag} | !!`,
        `${tag} or`,
        `"beta alpha" ${tag}`,
        '!!!',
        '&|!():*<->',
      ])
        expect(await ask(aliceSocket, 'search_messages', { query })).toMatchObject({ success: true });
      expect(texts(await searchOk(aliceSocket, { query: `"alpha beta" ${tag}` }))).toHaveLength(1);
      expect(texts(await searchOk(aliceSocket, { query: `"beta alpha" ${tag}` }))).toHaveLength(0);
      expect(texts(await searchOk(aliceSocket, { query: `${tag} -beta` }))).toHaveLength(0);
      expect(texts(await searchOk(aliceSocket, { query: `${tag} or nothingsuch` }))).toHaveLength(1);
    });

    it('answers an empty page to a user without chats', async () => {
      const loner = await registerUser(server, 'loner');
      const socket = await connect(server, loner.token);
      expect(await searchOk(socket, { query: 'anything' })).toStrictEqual({
        success: true,
        hits: [],
        hasMore: false,
        nextBefore: null,
      });
    });

    it('refuses missing, empty, blank, oversize and wrong-typed fields with VALIDATION_ERROR', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const cases: [Record<string, unknown>, string][] = [
        [{}, 'query'],
        [{ query: '' }, 'query'],
        [{ query: '   \n\t ' }, 'query'],
        [{ query: 'x'.repeat(201) }, 'query'],
        [{ query: 42 }, 'query'],
        [{ query: ['a'] }, 'query'],
        [{ query: 'a\u0000b' }, 'query'],
        [{ query: 'a', chatId: 42 }, 'chatId'],
        [{ query: 'a', chatId: '' }, 'chatId'],
        [{ query: 'a', before: 42 }, 'before'],
        [{ query: 'a', before: 'x'.repeat(101) }, 'before'],
        [{ query: 'a', limit: 0 }, 'limit'],
        [{ query: 'a', limit: 51 }, 'limit'],
        [{ query: 'a', limit: 2.5 }, 'limit'],
        [{ query: 'a', limit: '5' }, 'limit'],
        [{ query: 'a', limit: null }, 'limit'],
      ];
      for (const [payload, field] of cases)
        expectValidationError(await ask(aliceSocket, 'search_messages', { chatId, ...payload }), field);
      for (const [, payload] of NON_OBJECT_PAYLOADS)
        expectValidationError(await ask(aliceSocket, 'search_messages', payload), undefined);
      // At the bounds: 200 characters (after trimming) and limits 1 and 50.
      await searchOk(aliceSocket, { query: `  ${'x'.repeat(200)}  ` });
      await searchOk(aliceSocket, { query: 'a', limit: 1 });
      await searchOk(aliceSocket, { query: 'a', limit: 50 });
    });
  });
});
