import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SearchPage } from '../../src/protocol/types.js';
import { expectError, NO_CHAT_ACCESS } from '../helpers/http-envelope.js';
import { api, ask, connect, createChat, registerUser, useServer, type TestUser } from '../helpers/server.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

/** A word no other test sends. */
const token = () => `zq${randomUUID().replaceAll('-', '').slice(0, 10)}`;

describe.each(storeTargets.map((t) => t.name))('message search over HTTP on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  const search = (user: TestUser, query: Record<string, string>) =>
    api<SearchPage & { success: boolean }>(server, 'GET', `/messages/search?${new URLSearchParams(query).toString()}`, {
      token: user.token,
    });

  /** Two users, a direct chat and a group between them, and one socket of alice's to send with. */
  async function setup() {
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    const chatId = await createChat(server, alice, [bob]);
    const socket = await connect(server, alice.token);
    const send = async (text: string, inChat = chatId) => {
      const answer = await ask(socket, 'send_message', { chatId: inChat, text });
      expect(answer).toMatchObject({ success: true });
      return answer.message;
    };
    return { alice, bob, chatId, socket, send };
  }

  describe('GET /messages/search', () => {
    it('answers the same page as search_messages: stemmed hits, newest first, with chat and snippet, paged', async () => {
      const { alice, bob, chatId, socket, send } = await setup();
      const tag = token();
      const first = await send(`Отправил сообщение ${tag}`);
      const second = await send(`Два сообщения ${tag}`);
      const { status, body } = await search(bob, { query: `сообщений ${tag}`, limit: '1' });
      expect(status).toBe(200);
      expect(body).toStrictEqual({
        success: true,
        hits: [
          {
            message: second,
            chat: { id: chatId, name: null },
            snippet: {
              text: `Два сообщения ${tag}`,
              highlights: [
                [4, 13],
                [14, 14 + tag.length],
              ],
            },
          },
        ],
        hasMore: true,
        nextBefore: second.id,
      });
      const next = await search(bob, { query: `сообщений ${tag}`, limit: '1', before: second.id });
      expect(next.body).toMatchObject({ success: true, hits: [{ message: first }], hasMore: false, nextBefore: null });
      // The same answer as the event, field for field.
      const event = await ask(socket, 'search_messages', { query: `сообщений ${tag}`, limit: 1 });
      expect((await search(alice, { query: `сообщений ${tag}`, limit: '1' })).body).toStrictEqual(event);
    });

    it('searches only the caller’s chats; a chatId of another’s chat is 403, a foreign cursor 404', async () => {
      const { alice, chatId, send } = await setup();
      const other = await setup();
      const tag = token();
      await send(`mine ${tag}`);
      const theirs = await other.send(`theirs ${tag}`);
      const mine = await search(alice, { query: tag });
      expect(mine.body.hits.map((hit) => hit.message.text)).toStrictEqual([`mine ${tag}`]);
      expectError(await search(alice, { query: tag, chatId: other.chatId }), 403, 'FORBIDDEN', NO_CHAT_ACCESS);
      expectError(await search(alice, { query: tag, chatId: randomUUID() }), 403, 'FORBIDDEN', NO_CHAT_ACCESS);
      const foreign = await search(alice, { query: tag, before: theirs.id });
      expectError(foreign, 404, 'NOT_FOUND');
      expect(foreign.body).toMatchObject({ field: 'before' });
      expect((await search(alice, { query: tag, chatId })).body.hits).toHaveLength(1);
    });

    it('never finds deleted messages, finds edited ones by their new text only', async () => {
      const { bob, socket, send } = await setup();
      const [gone, old, fresh] = [token(), token(), token()];
      const deleted = await send(`gone ${gone}`);
      await ask(socket, 'delete_message', { messageId: deleted.id });
      const edited = await send(`old ${old}`);
      await ask(socket, 'edit_message', { messageId: edited.id, text: `new ${fresh}` });
      expect((await search(bob, { query: gone })).body.hits).toStrictEqual([]);
      expect((await search(bob, { query: old })).body.hits).toStrictEqual([]);
      expect((await search(bob, { query: fresh })).body.hits.map((hit) => hit.message.id)).toStrictEqual([edited.id]);
    });

    it('refuses a missing, blank or oversize query and a limit out of bounds with 400, and no token with 401', async () => {
      const { alice } = await setup();
      const cases: [Record<string, string>, string][] = [
        [{}, 'query'],
        [{ query: '' }, 'query'],
        [{ query: '   ' }, 'query'],
        [{ query: 'x'.repeat(201) }, 'query'],
        [{ query: 'a', limit: '0' }, 'limit'],
        [{ query: 'a', limit: '51' }, 'limit'],
        [{ query: 'a', limit: 'many' }, 'limit'],
        [{ query: 'a', limit: '1.5' }, 'limit'],
        [{ query: 'a', chatId: '' }, 'chatId'],
      ];
      for (const [query, field] of cases) {
        const response = await search(alice, query);
        expectError(response, 400, 'VALIDATION_ERROR');
        expect(response.body).toMatchObject({ field });
      }
      const repeated = await api(server, 'GET', '/messages/search?query=a&query=b', { token: alice.token });
      expectError(repeated, 400, 'VALIDATION_ERROR');
      expectError(await api(server, 'GET', '/messages/search?query=a'), 401, 'UNAUTHORIZED');
      expect((await search(alice, { query: 'x'.repeat(200), limit: '50' })).status).toBe(200);
    });

    it('a group chat’s hits carry its name', async () => {
      const { alice, bob, send } = await setup();
      const groupId = await createChat(server, alice, [bob], 'Проектная группа');
      const tag = token();
      await send(`group ${tag}`, groupId);
      expect((await search(bob, { query: tag })).body.hits[0]!.chat).toStrictEqual({
        id: groupId,
        name: 'Проектная группа',
      });
    });
  });
});
