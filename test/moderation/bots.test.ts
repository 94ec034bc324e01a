import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { BOT_KEY_PREFIX } from '../../src/auth/bot-keys.js';
import { TEXTS } from '../../src/errors.js';
import { adminGuard } from '../../src/http/admin-guard.js';
import { installErrorHandling } from '../../src/http/error-handler.js';
import type { ChatSummary, Message } from '../../src/protocol/types.js';
import { expectError } from '../helpers/http-envelope.js';
import { api, ask, collect, connect, createChat, registerUser, useServer } from '../helpers/server.js';
import { waitFor } from '../helpers/socket-fixtures.js';

const ADMIN_TOKEN = `admin-${randomUUID()}`;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Operators' bots (README "Bots") and POST /chats/:id/messages. */
describe('bots', () => {
  const server = useServer({ ADMIN_TOKEN });

  /** A new bot through the operators' API: its user and key. */
  async function createBot() {
    const username = `bot_${randomUUID().slice(0, 8)}`;
    const created = await api(server, 'POST', '/admin/bots', { headers: admin, body: { username } });
    expect(created.status).toBe(201);
    return { user: created.body.bot as { id: string; username: string }, key: created.body.apiKey as string };
  }

  describe('the admin guard', () => {
    it('answers 401 for a missing or wrong token, in any form', async () => {
      for (const headers of [
        {} as Record<string, string>,
        { authorization: 'Bearer wrong' },
        { authorization: ADMIN_TOKEN },
        { authorization: `Bearer ${ADMIN_TOKEN}x` },
      ]) {
        expectError(await api(server, 'GET', '/admin/bots', { headers }), 401, 'UNAUTHORIZED');
      }
      const user = await registerUser(server, 'user');
      expectError(await api(server, 'GET', '/admin/bots', { token: user.token }), 401, 'UNAUTHORIZED');
    });

    it('without ADMIN_TOKEN every /admin route is an unknown route (404)', async () => {
      // The guard alone on a bare Fastify with Parley's error handling: a second Parley server costs seconds.
      const bare = Fastify();
      installErrorHandling(bare);
      bare.get('/admin/bots', { preHandler: adminGuard(undefined) }, async () => ({ success: true }));
      const guarded = await bare.inject({ method: 'GET', url: '/admin/bots?x=1', headers: admin });
      const unknown = await bare.inject({ method: 'GET', url: '/admin/bots-nowhere' });
      expect(guarded.statusCode).toBe(404);
      expect(guarded.json()).toStrictEqual({
        ...unknown.json(),
        error: unknown.json().error.replace('/admin/bots-nowhere', '/admin/bots'),
      });
      await bare.close();
    });
  });

  describe('POST /admin/bots', () => {
    it('answers the key once; the key is stored only as its digest', async () => {
      const { user, key } = await createBot();
      expect(key.startsWith(BOT_KEY_PREFIX)).toBe(true);
      expect(key.length).toBeGreaterThanOrEqual(BOT_KEY_PREFIX.length + 43);
      const stored = await server.app.store.users['db'].query<{ key_hash: Uint8Array }>(
        'SELECT key_hash FROM bot_keys WHERE bot_id = $1',
        [user.id],
      );
      expect(stored).toHaveLength(1);
      expect(Buffer.from(stored[0]!.key_hash).toString()).not.toContain(key.slice(BOT_KEY_PREFIX.length));
      const listed = await api(server, 'GET', '/admin/bots', { headers: admin });
      expect(listed.body.bots).toContainEqual({
        ...user,
        email: expect.any(String),
        createdAt: expect.any(String),
        keys: 1,
      });
      expect(JSON.stringify(listed.body)).not.toContain(key);
    });

    it('refuses wrong types, missing and oversize names, and a taken one', async () => {
      const { user } = await createBot();
      for (const body of [{}, { username: 42 }, { username: 'x'.repeat(33) }, { username: 'a b' }])
        expectError(await api(server, 'POST', '/admin/bots', { headers: admin, body }), 400, 'VALIDATION_ERROR');
      expectError(
        await api(server, 'POST', '/admin/bots', { headers: admin, body: { username: user.username } }),
        409,
        'CONFLICT',
      );
    });
  });

  describe('a bot', () => {
    it('signs in with its key on HTTP and Socket.IO, is added to chats like a user, sends and reads; its messages say bot', async () => {
      const bot = await createBot();
      const alice = await registerUser(server, 'alice');
      expect((await api(server, 'GET', '/users/me', { token: bot.key })).body.user).toStrictEqual({
        id: bot.user.id,
        username: bot.user.username,
        email: expect.stringMatching(/@bots\.invalid$/),
      });
      const chatId = await createChat(server, alice, [{ user: bot.user } as never], 'with a bot');
      const aliceSocket = await connect(server, alice.token);
      await ask(aliceSocket, 'join_chat', { chatId });
      const received = collect<Message>(aliceSocket, 'new_message');
      const sent = await api(server, 'POST', `/chats/${chatId}/messages`, { token: bot.key, body: { text: 'beep' } });
      expect(sent.status).toBe(201);
      expect(sent.body.message).toMatchObject({ text: 'beep', sender: bot.user.id, chatId, bot: true });
      const botSocket = await connect(server, bot.key);
      expect(await ask(botSocket, 'send_message', { chatId, text: 'boop' })).toMatchObject({ message: { bot: true } });
      await waitFor(() => received.length === 2);
      expect(received.map((m) => m.bot)).toEqual([true, true]);
      const history = await api(server, 'GET', `/chats/${chatId}/messages`, { token: bot.key });
      expect(history.body.messages.map((m: Message) => [m.text, m.bot])).toEqual([
        ['beep', true],
        ['boop', true],
      ]);
      // The chat list's copy of the last message, and a sync, say so too.
      const listed = (await ask(aliceSocket, 'get_my_chats')).chats as ChatSummary[];
      expect(listed.find((chat) => chat.id === chatId)!.messages[0]).toMatchObject({ text: 'boop', bot: true });
      const synced = await ask(aliceSocket, 'sync', { chats: [{ chatId, version: 0 }] });
      expect(synced.chats[0].messages.map((m: Message) => m.bot)).toEqual([true, true]);
      // A person's message carries no mark.
      expect((await ask(aliceSocket, 'send_message', { chatId, text: 'hi' })).message).not.toHaveProperty('bot');
    });

    it('is marked by its account, never by an email that looks like a bot’s, which no one can register', async () => {
      for (const email of [`bot-${randomUUID()}@bots.invalid`, `bot-${randomUUID()}@BOTS.INVALID`]) {
        const refused = await api(server, 'POST', '/auth/register', {
          body: { email, username: `u_${randomUUID().slice(0, 8)}`, password: `pw-${randomUUID()}` },
        });
        expectError(refused, 400, 'VALIDATION_ERROR');
        expect(refused.body.field).toBe('email');
      }
      // An account the store made with such an address anyway (no route makes one) is a person's.
      const lookalike = await server.app.store.users.createUser({
        email: `bot-${randomUUID()}@bots.invalid`,
        username: `look_${randomUUID().slice(0, 8)}`,
        passwordHash: null,
      });
      const alice = await registerUser(server, 'alice');
      const chatId = await createChat(server, alice, [{ user: lookalike } as never]);
      const sent = await server.app.store.messages.insertMessage({ chatId, senderId: lookalike.id, text: 'human' });
      expect(sent).toMatchObject({ outcome: 'created', message: { text: 'human' } });
      expect(sent.outcome === 'created' && sent.message).not.toHaveProperty('bot');
      const history = await api(server, 'GET', `/chats/${chatId}/messages`, { token: alice.token });
      expect(history.body.messages).toHaveLength(1);
      expect(history.body.messages[0]).not.toHaveProperty('bot');
    });

    it('is refused at once when its keys are revoked, live sockets included; a new key works', async () => {
      const bot = await createBot();
      const socket = await connect(server, bot.key);
      const closed = new Promise<string>((resolve) => (socket as unknown as Socket).once('disconnect', resolve));
      expect(await api(server, 'DELETE', `/admin/bots/${bot.user.id}/keys`, { headers: admin })).toStrictEqual({
        status: 200,
        body: { success: true },
      });
      expect(await closed).toBe('io server disconnect');
      expectError(await api(server, 'GET', '/users/me', { token: bot.key }), 401, 'UNAUTHORIZED');
      await expect(connect(server, bot.key)).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
      const added = await api(server, 'POST', `/admin/bots/${bot.user.id}/keys`, { headers: admin });
      expect(added.status).toBe(201);
      expect((await api(server, 'GET', '/users/me', { token: added.body.apiKey })).status).toBe(200);
      expect((await connect(server, added.body.apiKey)).connected).toBe(true);
    });

    it('keys of unknown bots, of users and malformed ids answer 404; a made-up key 401', async () => {
      const user = await registerUser(server, 'user');
      for (const id of [randomUUID(), user.user.id, 'not-an-id']) {
        expectError(
          await api(server, 'DELETE', `/admin/bots/${id}/keys`, { headers: admin }),
          404,
          'NOT_FOUND',
          TEXTS.unknownBot,
        );
        expectError(await api(server, 'POST', `/admin/bots/${id}/keys`, { headers: admin }), 404, 'NOT_FOUND');
      }
      expectError(
        await api(server, 'GET', '/users/me', { token: `${BOT_KEY_PREFIX}${'A'.repeat(43)}` }),
        401,
        'UNAUTHORIZED',
      );
    });
  });

  describe('POST /chats/:id/messages', () => {
    it('sends as send_message does, for any user: retries, replies, same refusals', async () => {
      const [alice, bob, outsider] = await Promise.all([
        registerUser(server, 'alice'),
        registerUser(server, 'bob'),
        registerUser(server, 'out'),
      ]);
      const chatId = await createChat(server, alice, [bob]);
      const path = `/chats/${chatId}/messages`;
      const first = await api(server, 'POST', path, {
        token: alice.token,
        body: { text: ' hello ', clientMessageId: 'c1' },
      });
      expect(first.body.message).toMatchObject({ text: 'hello', sender: alice.user.id });
      expect(first.body.message).not.toHaveProperty('bot');
      const retry = await api(server, 'POST', path, {
        token: alice.token,
        body: { text: 'hello', clientMessageId: 'c1' },
      });
      expect(retry.body.message.id).toBe(first.body.message.id);
      const reply = await api(server, 'POST', path, {
        token: bob.token,
        body: { text: 're', replyTo: first.body.message.id },
      });
      expect(reply.body.message.replyTo).toMatchObject({ id: first.body.message.id });

      for (const body of [
        {},
        { text: 5 },
        { text: '   ' },
        { text: 'x'.repeat(4001) },
        { text: 'x', clientMessageId: 'x'.repeat(65) },
        { text: 'x', attachments: 'no' },
      ])
        expectError(await api(server, 'POST', path, { token: alice.token, body }), 400, 'VALIDATION_ERROR');
      for (const id of [chatId, randomUUID(), 'not-an-id'])
        expectError(
          await api(server, 'POST', `/chats/${id}/messages`, { token: outsider.token, body: { text: 'x' } }),
          403,
          'FORBIDDEN',
          TEXTS.noChatAccess,
        );
      expectError(await api(server, 'POST', path, { body: { text: 'x' } }), 401, 'UNAUTHORIZED');
    });
  });
});
