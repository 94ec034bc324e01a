import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { ERRORS, TEXTS } from '../../src/errors.js';
import type { Message } from '../../src/protocol/types.js';
import { expectError } from '../helpers/http-envelope.js';
import {
  api,
  ask,
  collect,
  connect,
  registerUser,
  useServer,
  type ClientSocket,
  type TestServer,
} from '../helpers/server.js';
import { chatPair, waitFor } from '../helpers/socket-fixtures.js';

const MODERATOR_ID = randomUUID();

/** The account MODERATOR_IDS names, made in the database (registration picks its own ids), and a token for it. */
async function moderatorToken(server: TestServer): Promise<string> {
  await server.app.store.users['db'].query(
    `INSERT INTO users (id, email, username) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
    [MODERATOR_ID, `mod-${MODERATOR_ID}@example.com`, `mod_${MODERATOR_ID.slice(0, 8)}`],
  );
  return server.app.tokens.issue(MODERATOR_ID);
}

const disconnection = (socket: ClientSocket) =>
  new Promise<string>((resolve) =>
    (socket as unknown as Socket).once('disconnect', (reason: string) => resolve(reason)),
  );

/** Server moderation (README "Operating"): moderators named by MODERATOR_IDS. */
describe('server moderation', () => {
  const server = useServer({ MODERATOR_IDS: MODERATOR_ID });

  it('every /moderation route answers 403 to a non-moderator and 401 without a token', async () => {
    const alice = await registerUser(server, 'alice');
    const routes: [string, string][] = [
      ['POST', `/moderation/users/${alice.user.id}/ban`],
      ['DELETE', `/moderation/users/${alice.user.id}/ban`],
      ['DELETE', `/moderation/messages/${randomUUID()}`],
      ['GET', '/moderation/reports'],
      ['GET', '/moderation/audit'],
    ];
    for (const [method, path] of routes) {
      const body = method === 'POST' ? { reason: 'x' } : undefined;
      expectError(await api(server, method, path, { token: alice.token, body }), 403, 'FORBIDDEN', TEXTS.notModerator);
      expectError(await api(server, method, path, { body }), 401, 'UNAUTHORIZED');
    }
  });

  describe('POST /moderation/users/:id/ban', () => {
    it('closes the user’s sockets, refuses their tokens, handshakes and logins until unbanned; audited', async () => {
      const token = await moderatorToken(server);
      const bob = await registerUser(server, 'bob');
      const sockets = [await connect(server, bob.token), await connect(server, bob.token)];
      const closed = sockets.map(disconnection);
      expect(
        await api(server, 'POST', `/moderation/users/${bob.user.id}/ban`, { token, body: { reason: 'spam' } }),
      ).toStrictEqual({ status: 200, body: { success: true } });
      expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);

      expectError(await api(server, 'GET', '/users/me', { token: bob.token }), 403, 'BANNED', ERRORS.BANNED.text);
      await expect(connect(server, bob.token)).rejects.toMatchObject({
        message: ERRORS.BANNED.text,
        data: { code: 'BANNED' },
      });
      const login = { username: bob.user.username, password: bob.password };
      expectError(await api(server, 'POST', '/auth/login', { body: login }), 403, 'BANNED');
      // A wrong password learns nothing of the ban.
      expectError(
        await api(server, 'POST', '/auth/login', { body: { ...login, password: 'wrong-password' } }),
        401,
        'UNAUTHORIZED',
      );

      expect((await api(server, 'DELETE', `/moderation/users/${bob.user.id}/ban`, { token })).status).toBe(200);
      expect((await api(server, 'GET', '/users/me', { token: bob.token })).status).toBe(200);
      expect((await api(server, 'POST', '/auth/login', { body: login })).status).toBe(200);
      // Reconnecting right after the unban is let in.
      expect((await connect(server, bob.token)).connected).toBe(true);

      const audit = await api(server, 'GET', '/moderation/audit?limit=2', { token });
      expect(
        audit.body.entries.map((e: { action: string; targetUserId: string; reason: string | null }) => [
          e.action,
          e.targetUserId,
          e.reason,
        ]),
      ).toEqual([
        ['unban', bob.user.id, null],
        ['ban', bob.user.id, 'spam'],
      ]);
      expect(audit.body.entries[0].moderator.id).toBe(MODERATOR_ID);
    });

    it('refuses wrong types, missing and oversize reasons, unknown and malformed ids, and oneself', async () => {
      const token = await moderatorToken(server);
      const bob = await registerUser(server, 'bob');
      const path = `/moderation/users/${bob.user.id}/ban`;
      expectError(await api(server, 'POST', path, { token, body: {} }), 400, 'VALIDATION_ERROR');
      expectError(await api(server, 'POST', path, { token, body: { reason: 42 } }), 400, 'VALIDATION_ERROR');
      expectError(
        await api(server, 'POST', path, { token, body: { reason: 'x'.repeat(501) } }),
        400,
        'VALIDATION_ERROR',
      );
      expectError(await api(server, 'POST', path, { token, body: 'not json' }), 400, 'VALIDATION_ERROR');
      for (const id of [randomUUID(), 'not-an-id'])
        expectError(
          await api(server, 'POST', `/moderation/users/${id}/ban`, { token, body: { reason: 'x' } }),
          404,
          'NOT_FOUND',
        );
      expectError(
        await api(server, 'POST', `/moderation/users/${MODERATOR_ID}/ban`, { token, body: { reason: 'x' } }),
        403,
        'FORBIDDEN',
      );
      expect((await api(server, 'GET', '/users/me', { token: bob.token })).status).toBe(200);
    });
  });

  describe('DELETE /moderation/users/:id/ban', () => {
    it('answers 404 for unknown and malformed ids; unbanning an account not banned answers success', async () => {
      const token = await moderatorToken(server);
      const bob = await registerUser(server, 'bob');
      expect((await api(server, 'DELETE', `/moderation/users/${bob.user.id}/ban`, { token })).status).toBe(200);
      for (const id of [randomUUID(), 'not-an-id'])
        expectError(await api(server, 'DELETE', `/moderation/users/${id}/ban`, { token }), 404, 'NOT_FOUND');
    });
  });

  describe('DELETE /moderation/messages/:id', () => {
    it('deletes any message through the chat’s version: members get message_deleted and sync returns the tombstone', async () => {
      const token = await moderatorToken(server);
      const { chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
      const { message } = await ask(aliceSocket, 'send_message', { chatId, text: 'abuse' });
      const deletions = collect<Message>(bobSocket, 'message_deleted');
      const deleted = await api(server, 'DELETE', `/moderation/messages/${message.id}`, { token });
      expect(deleted.status).toBe(200);
      expect(deleted.body.message).toMatchObject({ id: message.id, text: '', version: message.version + 1 });
      await waitFor(() => deletions.length === 1);
      expect(deletions[0]).toMatchObject({ id: message.id, text: '', version: message.version + 1 });
      const synced = await ask(bobSocket, 'sync', { chats: [{ chatId, version: message.version }] });
      expect(synced.chats[0].messages).toMatchObject([{ id: message.id, text: '', deletedAt: expect.any(String) }]);
      // Again: the tombstone, nothing audited twice.
      expect((await api(server, 'DELETE', `/moderation/messages/${message.id}`, { token })).body.message.id).toBe(
        message.id,
      );
      const audit = await api(server, 'GET', '/moderation/audit?limit=2', { token });
      expect(audit.body.entries[0]).toMatchObject({ action: 'delete_message', targetMessageId: message.id });
      expect(audit.body.entries[1]?.targetMessageId).not.toBe(message.id);
      for (const id of [randomUUID(), 'not-an-id'])
        expectError(await api(server, 'DELETE', `/moderation/messages/${id}`, { token }), 404, 'NOT_FOUND');
    });
  });

  describe('GET /moderation/reports', () => {
    it('pages the reports newest first with message, reporter and reason', async () => {
      const token = await moderatorToken(server);
      const { bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const first = (await ask(aliceSocket, 'send_message', { chatId, text: 'one' })).message;
      const second = (await ask(aliceSocket, 'send_message', { chatId, text: 'two' })).message;
      await ask(bobSocket, 'report_message', { messageId: first.id, reason: 'first' });
      await ask(bobSocket, 'report_message', { messageId: second.id, reason: 'second' });
      const page = await api(server, 'GET', '/moderation/reports?limit=1', { token });
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({ success: true, hasMore: true, nextBefore: page.body.reports[0].id });
      expect(page.body.reports[0]).toStrictEqual({
        id: expect.any(String),
        message: expect.objectContaining({ id: second.id, text: 'two' }),
        reporter: bob.user,
        reason: 'second',
        createdAt: expect.any(String),
      });
      const next = await api(server, 'GET', `/moderation/reports?limit=1&before=${page.body.nextBefore}`, { token });
      expect(next.body.reports[0]).toMatchObject({ message: { id: first.id }, reason: 'first' });
      for (const query of ['limit=0', 'limit=101', 'limit=x', 'before=not-a-cursor', `before=${randomUUID()}`])
        expectError(await api(server, 'GET', `/moderation/reports?${query}`, { token }), 400, 'VALIDATION_ERROR');
    });
  });

  describe('GET /moderation/audit', () => {
    it('refuses bad paging like the reports; an old cursor pages on', async () => {
      const token = await moderatorToken(server);
      for (const query of ['limit=0', 'limit=1.5', 'before=-1'])
        expectError(await api(server, 'GET', `/moderation/audit?${query}`, { token }), 400, 'VALIDATION_ERROR');
      const page = await api(server, 'GET', '/moderation/audit?before=1', { token });
      expect(page.body).toStrictEqual({ success: true, entries: [], hasMore: false, nextBefore: null });
    });

    it('keeps the entries of an account deleted since; the deletion itself succeeds', async () => {
      const token = await moderatorToken(server);
      const carol = await registerUser(server, 'carol');
      const path = `/moderation/users/${carol.user.id}/ban`;
      expect((await api(server, 'POST', path, { token, body: { reason: 'spam' } })).status).toBe(200);
      expect((await api(server, 'DELETE', path, { token })).status).toBe(200);
      const deleted = await api(server, 'DELETE', '/users/me', {
        token: carol.token,
        body: { password: carol.password },
      });
      expect(deleted.status).toBe(200);
      const { body } = await api(server, 'GET', '/moderation/audit?limit=2', { token });
      expect(body.entries.map((entry: { action: string; targetUserId: string | null }) => entry)).toMatchObject([
        { action: 'unban', targetUserId: carol.user.id, reason: null },
        { action: 'ban', targetUserId: carol.user.id, reason: 'spam' },
      ]);
    });
  });
});
