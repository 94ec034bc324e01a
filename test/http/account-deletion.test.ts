import { randomUUID } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEXTS } from '../../src/errors.js';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import type { ChatSummary, Message, PublicUser } from '../../src/protocol/types.js';
import { DELETED_USER } from '../../src/store/users.js';
import { expectRefused, nowSeconds } from '../helpers/auth-tokens.js';
import { expectError } from '../helpers/http-envelope.js';
import { expectRateLimited } from '../limits/rate-limit-answer.js';
import {
  api,
  ask,
  closeSockets,
  collect,
  connect,
  createChat,
  registerUser,
  startServer,
  useServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../helpers/server.js';
import { joinOk, sendOk, waitFor } from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

/**
 * DELETE /users/me: the owner of an account (password, or a fresh provider token) deletes it.
 * Its sockets close, its messages stay as tombstones of the deleted user (found by sync and
 * history), it leaves its chats, and neither its tokens nor its password work again.
 */

const deleteAccount = (server: TestServer, token: string | undefined, body?: unknown) =>
  api(server, 'DELETE', '/users/me', {
    ...(token ? { token } : {}),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/** Resolves with the reason the socket is disconnected for. */
const disconnection = (socket: ClientSocket) =>
  new Promise<string>((resolve) =>
    (socket as unknown as Socket).once('disconnect', (reason: string) => resolve(reason)),
  );

const login = (server: TestServer, body: object) => api(server, 'POST', '/auth/login', { body });
const sortedIds = (users: readonly PublicUser[]) => users.map((user) => user.id).sort();

describe.each(storeTargets)('DELETE /users/me on $name', (target) => {
  const server = useServer(serverEnvFor(target.name));

  it('deletes the account: its sockets close, its messages become tombstones, it leaves its chats', async () => {
    const [alice, bob, carol] = await Promise.all([
      registerUser(server, 'alice'),
      registerUser(server, 'bob'),
      registerUser(server, 'carol'),
    ]);
    const group = await createChat(server, alice, [bob, carol], 'farewell');
    const direct = await createChat(server, alice, [bob]);
    const aliceTabs = [await connect(server, alice.token), await connect(server, alice.token)];
    const bobSocket = await connect(server, bob.token);
    for (const chatId of [group, direct]) await joinOk(bobSocket, chatId);
    const fromAlice = [
      await sendOk(aliceTabs[0]!, group, 'secret in the group'),
      await sendOk(aliceTabs[0]!, direct, 'secret between us'),
    ];
    const fromBob = await sendOk(bobSocket, group, 'bob stays');
    const held = { [group]: fromBob.version, [direct]: fromAlice[1]!.version };
    const closed = aliceTabs.map(disconnection);
    const deletions = collect<Message>(bobSocket, 'message_deleted');
    const membersChanged = collect<{ chatId: string; users: PublicUser[] }>(bobSocket, 'chat_members_changed');

    expect(await deleteAccount(server, alice.token, { password: alice.password })).toStrictEqual({
      status: 200,
      body: { success: true },
    });

    // Every socket of the account is closed by the server (the client does not reconnect by itself).
    expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
    // The members see each message of the account turn into the deleted user's tombstone, and the account leave.
    await waitFor(() => deletions.length === 2 && membersChanged.length === 2, 3_000, 'deletions and member changes');
    const deletedUser = { id: alice.user.id, ...DELETED_USER };
    expect(deletions.map((m) => [m.id, m.text, m.user, m.deletedAt !== undefined])).toEqual(
      expect.arrayContaining(fromAlice.map((m) => [m.id, '', deletedUser, true])),
    );
    expect(Object.fromEntries(membersChanged.map((change) => [change.chatId, sortedIds(change.users)]))).toEqual({
      [group]: sortedIds([bob.user, carol.user]),
      [direct]: [bob.user.id],
    });

    // sync from the versions bob held finds the tombstones; history shows them in place.
    const synced = await ask(bobSocket, 'sync', {
      chats: [group, direct].map((chatId) => ({ chatId, version: held[chatId] })),
    });
    expect(
      synced.chats.map((entry: { messages: Message[] }) => entry.messages.map((m) => [m.id, m.text, m.user])),
    ).toEqual([[[fromAlice[0]!.id, '', deletedUser]], [[fromAlice[1]!.id, '', deletedUser]]]);
    const page = await ask(bobSocket, 'get_chat_messages', { chatId: group });
    expect(page.messages.map((m: Message) => [m.id, m.text, m.user.username])).toEqual([
      [fromAlice[0]!.id, '', DELETED_USER.username],
      [fromBob.id, 'bob stays', bob.user.username],
    ]);
    expect(JSON.stringify([synced, page])).not.toContain('secret');
    const { body } = await api(server, 'GET', '/chats', { token: bob.token });
    const listed = new Map(body.chats.map((chat: ChatSummary) => [chat.id, chat]));
    expect((listed.get(direct) as ChatSummary).users.map((user) => user.id)).toEqual([bob.user.id]);
    expect((listed.get(direct) as ChatSummary).messages).toMatchObject([
      { id: fromAlice[1]!.id, text: '', user: deletedUser },
    ]);

    // Neither the token nor the password works again; nobody can add the account to a chat.
    expectError(await api(server, 'GET', '/users/me', { token: alice.token }), 401, 'UNAUTHORIZED', TEXTS.unknownUser);
    expect((await expectRefused(server, alice.token)).message).toBe(TEXTS.unknownUser);
    for (const credentials of [{ email: alice.user.email }, { username: alice.user.username }]) {
      expectError(
        await login(server, { ...credentials, password: alice.password }),
        401,
        'UNAUTHORIZED',
        TEXTS.badCredentials,
      );
    }
    expectError(
      await api(server, 'POST', `/chats/${group}/members`, { token: bob.token, body: { userIds: [alice.user.id] } }),
      404,
      'NOT_FOUND',
    );
    expectError(await deleteAccount(server, alice.token, { password: alice.password }), 401, 'UNAUTHORIZED');
  });

  it('frees the email and username for a new account', async () => {
    const alice = await registerUser(server, 'again');
    expect((await deleteAccount(server, alice.token, { password: alice.password })).status).toBe(200);
    const reborn = await api(server, 'POST', '/auth/register', {
      body: { email: alice.user.email, username: alice.user.username, password: alice.password },
    });
    expect(reborn.status).toBe(201);
    expect(reborn.body.user).toEqual({
      id: expect.any(String),
      email: alice.user.email,
      username: alice.user.username,
    });
    expect(reborn.body.user.id).not.toBe(alice.user.id);
    // The new account is not the old one: none of its chats.
    expect((await api(server, 'GET', '/chats', { token: reborn.body.accessToken })).body.chats).toEqual([]);
  });
});

describe('DELETE /users/me refusals', () => {
  const server = useServer();

  /** The account still works: its token, its password, its socket. */
  async function expectIntact(user: TestUser): Promise<void> {
    expect((await api(server, 'GET', '/users/me', { token: user.token })).status).toBe(200);
    expect((await login(server, { email: user.user.email, password: user.password })).status).toBe(200);
    expect((await connect(server, user.token)).connected).toBe(true);
  }

  it('a wrong password: 403, and nothing is deleted', async () => {
    const alice = await registerUser(server, 'alice');
    const socket = await connect(server, alice.token);
    expectError(
      await deleteAccount(server, alice.token, { password: `${alice.password}x` }),
      403,
      'FORBIDDEN',
      TEXTS.wrongPassword,
    );
    expect(socket.connected).toBe(true);
    await expectIntact(alice);
  });

  it('another user’s token cannot delete the account: only the caller’s own account is named, with its own password', async () => {
    const [alice, mallory] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'mallory')]);
    // Mallory knows alice's password, but her token names her own account.
    expectError(
      await deleteAccount(server, mallory.token, { password: alice.password }),
      403,
      'FORBIDDEN',
      TEXTS.wrongPassword,
    );
    // There is no route that takes someone else's id.
    expectError(
      await api(server, 'DELETE', `/users/${alice.user.id}`, {
        token: mallory.token,
        body: JSON.stringify({ password: alice.password }),
      }),
      404,
      'NOT_FOUND',
    );
    await expectIntact(alice);
    await expectIntact(mallory);
  });

  it.each<[string, unknown, string | undefined, string | RegExp]>([
    ['no body at all', undefined, 'password', TEXTS.passwordRequired],
    ['an empty object', {}, 'password', TEXTS.passwordRequired],
    ['a password that is a number', { password: 12345678 }, 'password', /«password»/],
    ['a password that is null', { password: null }, 'password', /«password»/],
    ['a password that is an array', { password: ['x'] }, 'password', /«password»/],
    ['a password of 1025 characters', { password: 'p'.repeat(1025) }, 'password', /«password»/],
    ['a password with a NUL', { password: 'pass\u0000word' }, 'password', /«password»/],
    ['a body that is an array', [{ password: 'x' }], undefined, /^Некорректные данные/],
    ['a body that is a string', 'password', undefined, /^Некорректные данные/],
  ])('%s: 400 VALIDATION_ERROR, and nothing is deleted', async (_label, body, field, text) => {
    const alice = await registerUser(server, 'alice');
    const response = await deleteAccount(server, alice.token, body);
    expectError(response, 400, 'VALIDATION_ERROR', text);
    expect(response.body.field).toBe(field);
    await expectIntact(alice);
  });

  it('no token or a bad one: 401', async () => {
    const alice = await registerUser(server, 'alice');
    expectError(await deleteAccount(server, undefined, { password: alice.password }), 401, 'UNAUTHORIZED');
    expectError(await deleteAccount(server, `${alice.token}x`, { password: alice.password }), 401, 'UNAUTHORIZED');
    await expectIntact(alice);
  });
});

describe('DELETE /users/me against password guessing', () => {
  const FAILURES = 3;
  const server = useServer({ RATE_LIMIT_LOGIN_FAILURES: String(FAILURES) });

  it('wrong passwords spend the account’s login failure budget: a stolen token cannot be used to guess it', async () => {
    const alice = await registerUser(server, 'alice');
    for (let i = 0; i < FAILURES; i++) {
      expectError(
        await deleteAccount(server, alice.token, { password: `guess-${i}-xx` }),
        403,
        'FORBIDDEN',
        TEXTS.wrongPassword,
      );
    }
    for (const refused of [
      await deleteAccount(server, alice.token, { password: alice.password }),
      await login(server, { username: alice.user.username, password: alice.password }),
    ]) {
      expect(refused.status).toBe(429);
      expectRateLimited(refused.body, RATE_LIMIT_TEXTS.login, 15 * 60_000);
    }
    expect((await api(server, 'GET', '/users/me', { token: alice.token })).status).toBe(200);
  });
});

describe('DELETE /users/me of an account from the external provider', () => {
  const ISSUER = 'https://id.example.test';
  const AUDIENCE = 'parley-test';
  let server: TestServer;
  let provider: { privateKey: CryptoKey; publicKey: CryptoKey };

  beforeAll(async () => {
    provider = await generateKeyPair('RS256', { extractable: true });
    server = await startServer({
      JWT_PUBLIC_KEY: await exportSPKI(provider.publicKey),
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
    });
  });
  afterAll(async () => {
    closeSockets();
    await server.close();
  });

  /** A provider token for `sub`, issued `age` seconds ago (no `iat` at all with null). */
  const providerToken = (sub: string, age: number | null) => {
    const now = nowSeconds();
    const claims: JWTPayload = {
      sub,
      iss: ISSUER,
      aud: AUDIENCE,
      exp: now + 600,
      ...(age === null ? {} : { iat: now - age }),
    };
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(provider.privateKey);
  };

  it('needs no password but a token issued in the last five minutes; afterwards the subject’s tokens are refused', async () => {
    const sub = `idp|${randomUUID()}`;
    const me = await api(server, 'GET', '/users/me', { token: await providerToken(sub, 3_600) });
    expect(me.status).toBe(200);
    for (const stale of [
      await providerToken(sub, 6 * 60),
      await providerToken(sub, null),
      await providerToken(sub, -3_600),
    ]) {
      expectError(await deleteAccount(server, stale), 403, 'FORBIDDEN', TEXTS.staleToken);
    }
    const socket = await connect(server, await providerToken(sub, 3_600));
    const closed = disconnection(socket);

    expect(await deleteAccount(server, await providerToken(sub, 10))).toStrictEqual({
      status: 200,
      body: { success: true },
    });

    expect(await closed).toBe('io server disconnect');
    // Every token of the subject, old or new, names no account: it is not created again.
    for (const token of [await providerToken(sub, 3_600), await providerToken(sub, 0)]) {
      expectError(await api(server, 'GET', '/users/me', { token }), 401, 'UNAUTHORIZED', TEXTS.unknownUser);
      expect((await expectRefused(server, token)).message).toBe(TEXTS.unknownUser);
    }
  });
});
