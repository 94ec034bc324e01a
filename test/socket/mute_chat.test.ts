import { describe, expect, it } from 'vitest';
import type { ChatSummary } from '../../src/protocol/types.js';
import {
  api,
  ask,
  collect,
  connect,
  createChat,
  registerUser,
  sleep,
  useServer,
  type ClientSocket,
} from '../helpers/server.js';
import { expectError, NO_CHAT_ACCESS } from '../helpers/http-envelope.js';
import {
  chatPair,
  expectValidationError,
  FORBIDDEN_ANSWER,
  MALFORMED_CHAT_ID,
  NON_OBJECT_PAYLOADS,
  QUIET_MS,
  sendOk,
  UNKNOWN_CHAT_ID,
  waitFor,
} from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

// One server for the file, on PostgreSQL when DATABASE_URL names one, else on PGlite.
const server = useServer(serverEnvFor(storeTargets.at(-1)!.name));

async function mutedIn(token: string, chatId: string): Promise<boolean> {
  const listed = await api(server, 'GET', '/chats', { token });
  expect(listed.status).toBe(200);
  return listed.body.chats.find((chat: ChatSummary) => chat.id === chatId).muted;
}

describe('mute_chat', () => {
  it('mutes and unmutes the chat for the caller only; the chat list carries it', async () => {
    const { alice, bob, chatId, aliceSocket } = await chatPair(server);
    expect(await mutedIn(alice.token, chatId)).toBe(false);
    expect(await ask(aliceSocket, 'mute_chat', { chatId, muted: true })).toStrictEqual({
      success: true,
      chatId,
      muted: true,
    });
    expect(await mutedIn(alice.token, chatId)).toBe(true);
    expect(await mutedIn(bob.token, chatId)).toBe(false);
    const chats = await ask(aliceSocket, 'get_my_chats');
    expect(chats.chats.find((chat: ChatSummary) => chat.id === chatId).muted).toBe(true);
    expect(await ask(aliceSocket, 'mute_chat', { chatId, muted: false })).toMatchObject({
      success: true,
      muted: false,
    });
    expect(await mutedIn(alice.token, chatId)).toBe(false);
  });

  it('refuses wrong types, missing fields and non-objects', async () => {
    const { chatId, aliceSocket } = await chatPair(server);
    expectValidationError(await ask(aliceSocket, 'mute_chat', { chatId, muted: 'yes' }), 'muted');
    expectValidationError(await ask(aliceSocket, 'mute_chat', { chatId }), 'muted');
    expectValidationError(await ask(aliceSocket, 'mute_chat', { muted: true }), 'chatId');
    expectValidationError(await ask(aliceSocket, 'mute_chat', { chatId: 'x'.repeat(10_000), muted: true }), 'chatId');
    for (const [, payload] of NON_OBJECT_PAYLOADS) {
      expect(await ask(aliceSocket, 'mute_chat', payload)).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    }
  });

  it("answers another user's chat exactly as an unknown one", async () => {
    const { chatId } = await chatPair(server);
    const outsider = await registerUser(server, 'eve');
    const socket = await connect(server, outsider.token);
    expect(await ask(socket, 'mute_chat', { chatId, muted: true })).toStrictEqual(FORBIDDEN_ANSWER);
    expect(await ask(socket, 'mute_chat', { chatId: UNKNOWN_CHAT_ID, muted: true })).toStrictEqual(FORBIDDEN_ANSWER);
  });

  it('stops mention alerts of the muted chat, keeps counting unread, and alerts again once unmuted', async () => {
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((p) => registerUser(server, p)));
    const chatId = await createChat(server, alice!, [bob!, carol!], 'muted group');
    const [aliceSocket, bobSocket, carolSocket] = (await Promise.all(
      [alice!, bob!, carol!].map((user) => connect(server, user.token)),
    )) as [ClientSocket, ClientSocket, ClientSocket];
    await ask(bobSocket, 'mute_chat', { chatId, muted: true });
    const bobAlerts = collect(bobSocket, 'mentioned');
    const carolAlerts = collect(carolSocket, 'mentioned');
    await sendOk(aliceSocket, chatId, `@${bob!.user.username} @${carol!.user.username} look`);
    await waitFor(() => carolAlerts.length === 1, 3_000, 'carol alerted');
    await sleep(QUIET_MS);
    expect(bobAlerts).toHaveLength(0);
    const bobChat = (await ask(bobSocket, 'get_my_chats')).chats.find((chat: ChatSummary) => chat.id === chatId);
    expect(bobChat).toMatchObject({ muted: true, unreadCount: 1, unreadMentionCount: 1 });

    await ask(bobSocket, 'mute_chat', { chatId, muted: false });
    await sendOk(aliceSocket, chatId, `@${bob!.user.username} again`);
    await waitFor(() => bobAlerts.length === 1, 3_000, 'bob alerted once unmuted');
  });
});

describe('PUT /chats/:id/mute', () => {
  it('mutes as mute_chat does', async () => {
    const { alice, chatId } = await chatPair(server);
    const answer = await api(server, 'PUT', `/chats/${chatId}/mute`, { token: alice.token, body: { muted: true } });
    expect(answer).toStrictEqual({ status: 200, body: { success: true, chatId, muted: true } });
    expect(await mutedIn(alice.token, chatId)).toBe(true);
  });

  it('refuses bad bodies, bad ids, no token and chats of others alike', async () => {
    const { alice, chatId } = await chatPair(server);
    const eve = await registerUser(server, 'eve');
    const put = (id: string, body: unknown, token = alice.token) =>
      api(server, 'PUT', `/chats/${id}/mute`, { token, body });
    expectError(await put(chatId, { muted: 1 }), 400, 'VALIDATION_ERROR');
    expectError(await put(chatId, {}), 400, 'VALIDATION_ERROR');
    expectError(await put(chatId, 'muted'), 400, 'VALIDATION_ERROR');
    expectError(await put(MALFORMED_CHAT_ID, { muted: true }), 403, 'FORBIDDEN', NO_CHAT_ACCESS);
    expectError(await put(chatId, { muted: true }, ''), 401, 'UNAUTHORIZED');
    const other = await put(chatId, { muted: true }, eve.token);
    const unknown = await put(UNKNOWN_CHAT_ID, { muted: true }, eve.token);
    expectError(other, 403, 'FORBIDDEN', NO_CHAT_ACCESS);
    expect(unknown).toStrictEqual(other);
  });
});
