import { describe, expect, it } from 'vitest';
import type { ChatSummary, Mentioned, Message, SyncEntry } from '../../src/protocol/types.js';
import {
  api,
  ask,
  collect,
  connect,
  createChat,
  nextEvent,
  registerUser,
  sleep,
  useServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../helpers/server.js';
import { history, joinOk, QUIET_MS, sendOk, waitFor } from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

/** Alice, Bob and Carol in one group chat; Dave a user outside it. One socket each, none joined. */
async function groupOfThree(server: TestServer) {
  const [alice, bob, carol, dave] = await Promise.all(
    ['alice', 'bob', 'carol', 'dave'].map((prefix) => registerUser(server, prefix)),
  );
  const chatId = await createChat(server, alice!, [bob!, carol!], 'mentions');
  const [aliceSocket, bobSocket, carolSocket, daveSocket] = await Promise.all(
    [alice, bob, carol, dave].map((user) => connect(server, user!.token)),
  );
  return {
    alice: alice!,
    bob: bob!,
    carol: carol!,
    dave: dave!,
    chatId,
    aliceSocket: aliceSocket!,
    bobSocket: bobSocket!,
    carolSocket: carolSocket!,
    daveSocket: daveSocket!,
  };
}

const at = (user: TestUser) => `@${user.user.username}`;

async function chatOf(socket: ClientSocket, chatId: string): Promise<ChatSummary> {
  const answer = await ask(socket, 'get_my_chats');
  expect(answer).toMatchObject({ success: true });
  return answer.chats.find((chat: ChatSummary) => chat.id === chatId);
}

/** unreadMentionCount of `chatId` as get_my_chats (whole and paged) and GET /chats (whole and paged) give it. */
async function mentionCount(server: TestServer, user: TestUser, socket: ClientSocket, chatId: string): Promise<number> {
  const counts = new Set<number>();
  counts.add((await chatOf(socket, chatId)).unreadMentionCount);
  const page = await ask(socket, 'get_my_chats', { limit: 100 });
  counts.add(page.chats.find((chat: ChatSummary) => chat.id === chatId).unreadMentionCount);
  for (const path of ['/chats', '/chats?limit=100']) {
    const listed = await api(server, 'GET', path, { token: user.token });
    expect(listed.status).toBe(200);
    counts.add(listed.body.chats.find((chat: ChatSummary) => chat.id === chatId).unreadMentionCount);
  }
  expect(counts.size).toBe(1);
  return [...counts][0]!;
}

describe.each(storeTargets.map((t) => t.name))('mentions on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  describe('recognised only for members of the chat', () => {
    it('carries the ids of the members named, in order of first mention, once each; others are text', async () => {
      const { alice, bob, carol, dave, chatId, aliceSocket } = await groupOfThree(server);
      const text = `${at(carol)} and ${at(bob)}, also ${at(carol)} again; ${at(dave)} is not here, @nobody_at_all neither`;
      const message = await sendOk(aliceSocket, chatId, text);
      expect(message.mentions).toEqual([carol.user.id, bob.user.id]);
      expect(message.text).toBe(text);
      // The field comes last and only when someone is mentioned.
      expect(Object.keys(message).at(-1)).toBe('mentions');
      const plain = await sendOk(aliceSocket, chatId, `nobody here, ${at(dave)}`);
      expect(plain).not.toHaveProperty('mentions');
      expect(alice.user.id).toBeDefined();
    });

    it('a member of another chat of the sender is no mention here', async () => {
      const { alice, dave, chatId, aliceSocket } = await groupOfThree(server);
      await createChat(server, alice, [dave], 'elsewhere');
      expect(await sendOk(aliceSocket, chatId, `hi ${at(dave)}`)).not.toHaveProperty('mentions');
    });

    it('a member who left is no longer mentioned; a deleted account never is', async () => {
      const { bob, carol, chatId, aliceSocket, carolSocket } = await groupOfThree(server);
      expect(await ask(carolSocket, 'leave_chat', { chatId })).toMatchObject({ success: true });
      const left = await api(server, 'DELETE', `/chats/${chatId}/members/me`, { token: carol.token });
      expect([200, 204]).toContain(left.status);
      expect(await sendOk(aliceSocket, chatId, `${at(carol)}?`)).not.toHaveProperty('mentions');
      const deleted = await api(server, 'DELETE', '/users/me', { token: bob.token, body: { password: bob.password } });
      expect([200, 204]).toContain(deleted.status);
      expect(await sendOk(aliceSocket, chatId, `${at(bob)}?`)).not.toHaveProperty('mentions');
    });

    it('the sender may mention themselves: stored, but never counted or announced to them', async () => {
      const { alice, chatId, aliceSocket } = await groupOfThree(server);
      const second = await connect(server, alice.token);
      const announced = collect<Mentioned>(second, 'mentioned');
      const message = await sendOk(aliceSocket, chatId, `note to self ${at(alice)}`);
      expect(message.mentions).toEqual([alice.user.id]);
      expect(await mentionCount(server, alice, aliceSocket, chatId)).toBe(0);
      await sleep(QUIET_MS);
      expect(announced).toEqual([]);
    });
  });

  describe('case-insensitive, at a word boundary', () => {
    it('matches any case of the username, Cyrillic included', async () => {
      const { bob, chatId, aliceSocket } = await groupOfThree(server);
      expect((await sendOk(aliceSocket, chatId, `@${bob.user.username.toUpperCase()}`)).mentions).toEqual([
        bob.user.id,
      ]);
      const tag = Math.random().toString(36).slice(2, 8);
      const registered = await api(server, 'POST', '/auth/register', {
        body: { email: `zhora-${tag}@example.com`, username: `Жора_${tag}`, password: `pw-${tag}-long-enough` },
      });
      expect(registered.status).toBe(201);
      const zhora: TestUser = {
        user: registered.body.user,
        token: registered.body.accessToken,
        password: `pw-${tag}-long-enough`,
      };
      const zhoraChat = await createChat(server, zhora, [bob], 'кириллица');
      const zhoraSocket = await connect(server, zhora.token);
      const bobSocket = await connect(server, bob.token);
      expect(zhora.user.username.startsWith('Жора')).toBe(true);
      const lower = `@${zhora.user.username.toLowerCase()}`;
      expect((await sendOk(bobSocket, zhoraChat, `привет, ${lower}!`)).mentions).toEqual([zhora.user.id]);
      expect(zhoraSocket.connected).toBe(true);
    });

    it.each([
      ['at the start', (name: string) => `@${name} hi`, true],
      ['after a space, before a comma', (name: string) => `hi @${name}, yes`, true],
      ['in parentheses', (name: string) => `(@${name})`, true],
      ['before a sentence’s full stop', (name: string) => `ask @${name}.`, true],
      ['before a dash and a question mark', (name: string) => `@${name}-?`, true],
      ['on a new line', (name: string) => `first\n@${name}`, true],
      ['inside an email', (name: string) => `mail me at me@${name}`, false],
      ['an email whose domain is the name', (name: string) => `${name}@${name}.com`, false],
      ['a doubled @', (name: string) => `@@${name}`, false],
      ['a longer name', (name: string) => `@${name}x`, false],
      ['with a name character before it', (name: string) => `x_@${name}`, false],
      ['without the @', (name: string) => name, false],
    ])('%s: mentioned = %s', async (_, make, mentioned) => {
      const { bob, chatId, aliceSocket } = await groupOfThree(server);
      const message = await sendOk(aliceSocket, chatId, make(bob.user.username));
      if (mentioned) expect(message.mentions).toEqual([bob.user.id]);
      else expect(message).not.toHaveProperty('mentions');
    });
  });

  describe('stored and returned everywhere the message is', () => {
    it('history, join_chat, sync, the chat list’s last message and new_message carry mentions', async () => {
      const { bob, chatId, aliceSocket, bobSocket } = await groupOfThree(server);
      await joinOk(bobSocket, chatId);
      const delivered = nextEvent<Message>(bobSocket, 'new_message');
      const sent = await sendOk(aliceSocket, chatId, `${at(bob)} look`);
      expect(await delivered).toStrictEqual(sent);
      expect((await history(bobSocket, { chatId })).messages).toStrictEqual([sent]);
      expect(await joinOk(aliceSocket, chatId)).toStrictEqual([sent]);
      const synced = await ask(bobSocket, 'sync', { chats: [{ chatId, version: 0 }] });
      expect((synced.chats[0] as Extract<SyncEntry, { success: true }>).messages).toStrictEqual([sent]);
      expect((await chatOf(bobSocket, chatId)).messages).toStrictEqual([sent]);
      // And over HTTP.
      const page = await api(server, 'GET', `/chats/${chatId}/messages`, { token: bob.token });
      expect(page.body.messages).toStrictEqual([sent]);
      const httpSync = await api(server, 'POST', '/sync', {
        token: bob.token,
        body: { chats: [{ chatId, version: 0 }] },
      });
      expect(httpSync.body.chats[0].messages).toStrictEqual([sent]);
    });

    it('an edit re-resolves them (message_updated, sync); a deletion erases them', async () => {
      const { bob, carol, chatId, aliceSocket, bobSocket } = await groupOfThree(server);
      await joinOk(bobSocket, chatId);
      const sent = await sendOk(aliceSocket, chatId, `${at(bob)} first`);
      const updated = nextEvent<Message>(bobSocket, 'message_updated');
      const edit = await ask(aliceSocket, 'edit_message', { messageId: sent.id, text: `${at(carol)} instead` });
      expect(edit.message.mentions).toEqual([carol.user.id]);
      expect(await updated).toStrictEqual(edit.message);
      const plain = await ask(aliceSocket, 'edit_message', { messageId: sent.id, text: 'no one' });
      expect(plain.message).not.toHaveProperty('mentions');
      await ask(aliceSocket, 'edit_message', { messageId: sent.id, text: `${at(bob)} again` });
      const deleted = await ask(aliceSocket, 'delete_message', { messageId: sent.id });
      expect(deleted.message).not.toHaveProperty('mentions');
      const synced = await ask(bobSocket, 'sync', { chats: [{ chatId, version: 0 }] });
      expect(synced.chats[0].messages).toStrictEqual([deleted.message]);
      expect((await chatOf(bobSocket, chatId)).messages).toStrictEqual([deleted.message]);
    });
  });

  describe('unreadMentionCount in the chat list', () => {
    it('moves with send, mark_read, edit and delete, the same in get_my_chats and GET /chats, paged or not', async () => {
      const { bob, carol, chatId, aliceSocket, bobSocket } = await groupOfThree(server);
      expect(await mentionCount(server, bob, bobSocket, chatId)).toBe(0);
      const first = await sendOk(aliceSocket, chatId, `${at(bob)} one`);
      const second = await sendOk(aliceSocket, chatId, `${at(bob)} ${at(carol)} two`);
      const third = await sendOk(aliceSocket, chatId, 'three, nobody');
      expect(await mentionCount(server, bob, bobSocket, chatId)).toBe(2);
      expect((await chatOf(bobSocket, chatId)).unreadCount).toBe(3);

      expect(await ask(bobSocket, 'mark_read', { chatId, messageId: first.id })).toStrictEqual({
        success: true,
        unreadCount: 2,
        unreadMentionCount: 1,
        seq: 1,
      });
      expect(await mentionCount(server, bob, bobSocket, chatId)).toBe(1);

      // An edit that removes the mention takes it off; one that adds it puts it on.
      await ask(aliceSocket, 'edit_message', { messageId: second.id, text: `${at(carol)} only` });
      expect(await mentionCount(server, bob, bobSocket, chatId)).toBe(0);
      await ask(aliceSocket, 'edit_message', { messageId: third.id, text: `three, ${at(bob)}` });
      expect(await mentionCount(server, bob, bobSocket, chatId)).toBe(1);
      // Editing a read message changes nothing.
      await ask(aliceSocket, 'edit_message', { messageId: first.id, text: 'one, edited' });
      expect(await mentionCount(server, bob, bobSocket, chatId)).toBe(1);

      await ask(aliceSocket, 'delete_message', { messageId: third.id });
      expect(await mentionCount(server, bob, bobSocket, chatId)).toBe(0);
      expect(await mentionCount(server, carol, await connect(server, carol.token), chatId)).toBe(1);
    });
  });

  describe('the mentioned event', () => {
    it('reaches the mentioned user’s sockets outside the chat’s room, not those in it, nor anyone else', async () => {
      const { alice, bob, carol, dave, chatId, aliceSocket, bobSocket, carolSocket, daveSocket } =
        await groupOfThree(server);
      const bobJoined = await connect(server, bob.token);
      await joinOk(bobJoined, chatId);
      const bobInRoom = collect<Mentioned>(bobJoined, 'mentioned');
      const bobInRoomMessages = collect<Message>(bobJoined, 'new_message');
      const toCarol = collect<Mentioned>(carolSocket, 'mentioned');
      const toDave = collect<Mentioned>(daveSocket, 'mentioned');
      const toAlice = collect<Mentioned>(aliceSocket, 'mentioned');
      const toBob = nextEvent<Mentioned>(bobSocket, 'mentioned');

      const sent = await sendOk(aliceSocket, chatId, `${at(bob)} ${at(dave)} look`);
      expect(await toBob).toStrictEqual({ chatId, message: sent });
      await waitFor(() => bobInRoomMessages.length === 1, 3_000, 'new_message in the room');
      expect(bobInRoomMessages).toStrictEqual([sent]);
      await sleep(QUIET_MS);
      expect([bobInRoom, toCarol, toDave, toAlice]).toEqual([[], [], [], []]);
      expect(alice.user.id).not.toBe(carol.user.id);
    });

    it('is not sent for an edit, even one that adds a mention, nor for a message without mentions', async () => {
      const { bob, chatId, aliceSocket, bobSocket } = await groupOfThree(server);
      const toBob = collect<Mentioned>(bobSocket, 'mentioned');
      const sent = await sendOk(aliceSocket, chatId, 'plain');
      await ask(aliceSocket, 'edit_message', { messageId: sent.id, text: `now ${at(bob)}` });
      await sleep(QUIET_MS);
      expect(toBob).toEqual([]);
      // Positive control: the same socket does get one for a new message.
      const next = nextEvent<Mentioned>(bobSocket, 'mentioned');
      await sendOk(aliceSocket, chatId, `${at(bob)}!`);
      expect((await next).chatId).toBe(chatId);
    });
  });

  describe('hostile input', () => {
    it('1,000 @mentions in one text of the maximum length cost a bounded time and mention the members once', async () => {
      const { bob, carol, chatId, aliceSocket } = await groupOfThree(server);
      // 1,000 short @s, then as many distinct candidate names (3 characters) as fit, with the
      // members among them; and a text of 800 distinct candidates only.
      const distinct = (from: number, count: number) =>
        Array.from({ length: count }, (_, i) => `@${(from + i).toString(36).padStart(3, '0')}`);
      const head = `${'@a '.repeat(1_000)}${at(bob)} ${distinct(100, 150).join(' ')} ${at(carol)} ${at(bob)} `;
      const text = (head + distinct(1_000, 200).join(' ')).slice(0, 4_000).trim();
      const candidates = distinct(2_000, 800).join(' ');
      expect(text.split('@').length - 1).toBeGreaterThanOrEqual(1_000);
      expect(candidates.length).toBeLessThanOrEqual(4_000);
      const started = Date.now();
      const message = await sendOk(aliceSocket, chatId, text);
      const onlyCandidates = await sendOk(aliceSocket, chatId, candidates);
      const took = Date.now() - started;
      expect(message.mentions).toEqual([bob.user.id, carol.user.id]);
      expect(onlyCandidates).not.toHaveProperty('mentions');
      expect(took).toBeLessThan(2_000);
      // Editing to it costs the same, and all-@ text is no worse.
      const edited = await ask(aliceSocket, 'edit_message', { messageId: message.id, text: '@'.repeat(4_000) });
      expect(edited.success).toBe(true);
      expect(edited.message).not.toHaveProperty('mentions');
      const names4000 = await sendOk(aliceSocket, chatId, `@${'a'.repeat(3_999)}`);
      expect(names4000).not.toHaveProperty('mentions');
    });

    it('a non-member cannot use mentions to reach a chat’s members, and mentions of another chat’s users do nothing', async () => {
      const { bob, dave, chatId, daveSocket, bobSocket } = await groupOfThree(server);
      const toBob = collect<Mentioned>(bobSocket, 'mentioned');
      expect(await ask(daveSocket, 'send_message', { chatId, text: `${at(bob)} hi` })).toMatchObject({
        success: false,
        code: 'FORBIDDEN',
      });
      // Dave's own chat with someone else: Bob is not in it.
      const eve = await registerUser(server, 'eve');
      const daveChat = await createChat(server, dave, [eve], 'daves');
      expect(await sendOk(daveSocket, daveChat, `${at(bob)} hi`)).not.toHaveProperty('mentions');
      await sleep(QUIET_MS);
      expect(toBob).toEqual([]);
      expect(await mentionCount(server, bob, bobSocket, chatId)).toBe(0);
    });
  });
});
