import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TEXTS } from '../../src/errors.js';
import { MAX_BLOCKS_PER_USER } from '../../src/protocol/schemas.js';
import { expectError } from '../helpers/http-envelope.js';
import { api, ask, connect, createChat, registerUser, useServer } from '../helpers/server.js';
import {
  chatPair,
  expectValidationError,
  FORBIDDEN_ANSWER,
  NON_OBJECT_PAYLOADS,
  UNKNOWN_CHAT_ID,
} from '../helpers/socket-fixtures.js';

/** Blocking users and reporting messages (README "Blocking and reporting"). */
describe('blocking and reporting', () => {
  const server = useServer();

  describe('POST /users/:id/block', () => {
    it('refuses a new direct chat asked for by either side, and the blocked user’s sends to the existing one; groups are unaffected', async () => {
      const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const carol = await registerUser(server, 'carol');
      const group = await createChat(server, alice, [bob, carol], 'group');
      expect(await api(server, 'POST', `/users/${bob.user.id}/block`, { token: alice.token })).toStrictEqual({
        status: 200,
        body: { success: true },
      });
      // Blocking again answers the same.
      expect((await api(server, 'POST', `/users/${bob.user.id}/block`, { token: alice.token })).status).toBe(200);

      expect(await ask(bobSocket, 'send_message', { chatId, text: 'hi' })).toStrictEqual({
        success: false,
        code: 'FORBIDDEN',
        error: TEXTS.blockedSender,
      });
      expect(await ask(aliceSocket, 'send_message', { chatId, text: 'the blocker still may' })).toMatchObject({
        success: true,
      });
      expect(await ask(bobSocket, 'send_message', { chatId: group, text: 'groups are unaffected' })).toMatchObject({
        success: true,
      });
      // The existing direct chat is still answered; a new one is refused both ways.
      expect(
        (await api(server, 'POST', '/chats', { token: bob.token, body: { userIds: [alice.user.id] } })).status,
      ).toBe(200);
      const dave = await registerUser(server, 'dave');
      await api(server, 'POST', `/users/${alice.user.id}/block`, { token: dave.token });
      for (const [from, to] of [
        [alice, dave],
        [dave, alice],
      ] as const) {
        expectError(
          await api(server, 'POST', '/chats', { token: from.token, body: { userIds: [to.user.id] } }),
          403,
          'FORBIDDEN',
          TEXTS.blockedPair,
        );
      }

      expect(await api(server, 'DELETE', `/users/${bob.user.id}/block`, { token: alice.token })).toStrictEqual({
        status: 200,
        body: { success: true },
      });
      expect(await ask(bobSocket, 'send_message', { chatId, text: 'unblocked' })).toMatchObject({ success: true });
    });

    it('answers 404 alike for an unknown and a malformed user id, 400 for oneself, 401 without a token', async () => {
      const alice = await registerUser(server, 'alice');
      expectError(await api(server, 'POST', `/users/${randomUUID()}/block`, { token: alice.token }), 404, 'NOT_FOUND');
      expectError(await api(server, 'POST', '/users/not-an-id/block', { token: alice.token }), 404, 'NOT_FOUND');
      expectError(
        await api(server, 'POST', `/users/${'x'.repeat(101)}/block`, { token: alice.token }),
        414,
        'VALIDATION_ERROR',
      );
      expectError(
        await api(server, 'POST', `/users/${alice.user.id}/block`, { token: alice.token }),
        400,
        'VALIDATION_ERROR',
      );
      expectError(await api(server, 'POST', `/users/${alice.user.id}/block`), 401, 'UNAUTHORIZED');
    });

    it(`holds at most ${MAX_BLOCKS_PER_USER} blocks per user`, async () => {
      const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
      // Filled in the database: a thousand users through the API would take too long.
      const tag = randomUUID().slice(0, 8);
      await server.app.store.users['db'].query(
        `WITH fillers AS (
           INSERT INTO users (id, email, username)
           SELECT gen_random_uuid(), 'filler-' || g || '-' || $2::text || '@example.com', 'filler_' || g || '_' || $2::text
             FROM generate_series(1, $3::int) g RETURNING id
         ) INSERT INTO user_blocks (blocker_id, blocked_id) SELECT $1::uuid, id FROM fillers`,
        [alice.user.id, tag, MAX_BLOCKS_PER_USER],
      );
      const refused = await api(server, 'POST', `/users/${bob.user.id}/block`, { token: alice.token });
      expectError(refused, 400, 'VALIDATION_ERROR', TEXTS.tooManyBlocks);
    });
  });

  describe('DELETE /users/:id/block', () => {
    it('answers success for a block that does not exist, and for ids that name nobody', async () => {
      const alice = await registerUser(server, 'alice');
      for (const id of [randomUUID(), 'not-an-id']) {
        expect((await api(server, 'DELETE', `/users/${id}/block`, { token: alice.token })).status).toBe(200);
      }
      expectError(await api(server, 'DELETE', `/users/${randomUUID()}/block`), 401, 'UNAUTHORIZED');
    });
  });

  describe('GET /users/me/blocks', () => {
    it('lists the caller’s blocks only, most recent first', async () => {
      const [alice, bob, carol] = await Promise.all([
        registerUser(server, 'alice'),
        registerUser(server, 'bob'),
        registerUser(server, 'carol'),
      ]);
      await api(server, 'POST', `/users/${bob.user.id}/block`, { token: alice.token });
      await api(server, 'POST', `/users/${carol.user.id}/block`, { token: alice.token });
      await api(server, 'POST', `/users/${alice.user.id}/block`, { token: bob.token });
      const listed = await api(server, 'GET', '/users/me/blocks', { token: alice.token });
      expect(listed.status).toBe(200);
      expect(listed.body.users.map((u: { id: string }) => u.id)).toEqual([carol.user.id, bob.user.id]);
      expect(listed.body.users[0]).toStrictEqual({ ...carol.user, blockedAt: expect.any(String) });
      expectError(await api(server, 'GET', '/users/me/blocks'), 401, 'UNAUTHORIZED');
    });
  });

  describe('report_message', () => {
    it('stores one report per member and message; a repeat answers the same', async () => {
      const { bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
      const sent = await ask(aliceSocket, 'send_message', { chatId, text: 'rude' });
      const report = { messageId: sent.message.id, reason: '  spam  ' };
      expect(await ask(bobSocket, 'report_message', report)).toStrictEqual({ success: true });
      expect(await ask(bobSocket, 'report_message', { ...report, reason: 'again' })).toStrictEqual({ success: true });
      const rows = await server.app.store.users['db'].query<{ reason: string }>(
        'SELECT reason FROM message_reports WHERE message_id = $1 AND reporter_id = $2',
        [sent.message.id, bob.user.id],
      );
      expect(rows).toEqual([{ reason: 'spam' }]);
    });

    it('refuses wrong types, missing fields and oversize reasons, naming the field', async () => {
      const { chatId, aliceSocket } = await chatPair(server);
      const { message } = await ask(aliceSocket, 'send_message', { chatId, text: 'x' });
      for (const [, payload] of NON_OBJECT_PAYLOADS)
        expectValidationError(await ask(aliceSocket, 'report_message', payload), undefined);
      expectValidationError(await ask(aliceSocket, 'report_message', { messageId: message.id }), 'reason');
      expectValidationError(await ask(aliceSocket, 'report_message', { reason: 'x' }), 'messageId');
      expectValidationError(await ask(aliceSocket, 'report_message', { messageId: 5, reason: 'x' }), 'messageId');
      expectValidationError(await ask(aliceSocket, 'report_message', { messageId: message.id, reason: 5 }), 'reason');
      expectValidationError(
        await ask(aliceSocket, 'report_message', { messageId: message.id, reason: '   ' }),
        'reason',
      );
      expectValidationError(
        await ask(aliceSocket, 'report_message', { messageId: message.id, reason: 'x'.repeat(501) }),
        'reason',
      );
    });

    it('answers another chat’s message, an unknown id and a malformed one alike; a deleted message NOT_FOUND', async () => {
      const { chatId, aliceSocket, bobSocket } = await chatPair(server);
      const outsider = await registerUser(server, 'outsider');
      const outsiderSocket = await connect(server, outsider.token);
      const { message } = await ask(aliceSocket, 'send_message', { chatId, text: 'private' });
      for (const messageId of [message.id, randomUUID(), UNKNOWN_CHAT_ID, 'not-an-id']) {
        expect(await ask(outsiderSocket, 'report_message', { messageId, reason: 'x' })).toStrictEqual(FORBIDDEN_ANSWER);
      }
      await ask(aliceSocket, 'delete_message', { messageId: message.id });
      expect(await ask(bobSocket, 'report_message', { messageId: message.id, reason: 'x' })).toStrictEqual({
        success: false,
        code: 'NOT_FOUND',
        error: TEXTS.messageDeleted,
        field: 'messageId',
      });
    });
  });

  describe('POST /messages/:id/report', () => {
    it('reports as report_message does, with the same refusals', async () => {
      const { alice, bob, chatId, aliceSocket } = await chatPair(server);
      const outsider = await registerUser(server, 'outsider');
      const { message } = await ask(aliceSocket, 'send_message', { chatId, text: 'reported over HTTP' });
      const path = `/messages/${message.id}/report`;
      expect(await api(server, 'POST', path, { token: bob.token, body: { reason: 'abuse' } })).toStrictEqual({
        status: 200,
        body: { success: true },
      });
      expect((await api(server, 'POST', path, { token: bob.token, body: { reason: 'abuse' } })).status).toBe(200);
      expectError(await api(server, 'POST', path, { token: outsider.token, body: { reason: 'x' } }), 403, 'FORBIDDEN');
      expectError(
        await api(server, 'POST', `/messages/${randomUUID()}/report`, { token: alice.token, body: { reason: 'x' } }),
        403,
        'FORBIDDEN',
      );
      expectError(await api(server, 'POST', path, { token: alice.token, body: {} }), 400, 'VALIDATION_ERROR');
      expectError(
        await api(server, 'POST', path, { token: alice.token, body: { reason: ['x'] } }),
        400,
        'VALIDATION_ERROR',
      );
      expectError(
        await api(server, 'POST', path, { token: alice.token, body: { reason: 'x'.repeat(501) } }),
        400,
        'VALIDATION_ERROR',
      );
      expectError(await api(server, 'POST', path, { body: { reason: 'x' } }), 401, 'UNAUTHORIZED');
    });
  });
});
