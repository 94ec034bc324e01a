import { describe, expect, it } from 'vitest';
import type { ChatSummary, PresenceChange } from '../../src/protocol/types.js';
import {
  api,
  ask,
  type ClientSocket,
  collect,
  connect,
  createChat,
  registerUser,
  sleep,
  useServer,
} from '../helpers/server.js';
import { QUIET_MS, waitFor } from '../helpers/socket-fixtures.js';

/** Presence: user_online / user_offline to chat partners, and `online` in get_my_chats. */
describe('presence', () => {
  const server = useServer();

  async function partners() {
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    const chatId = await createChat(server, alice, [bob], 'presence');
    return { alice, bob, chatId };
  }

  async function onlineIn(socket: ClientSocket, chatId: string): Promise<Record<string, boolean | undefined>> {
    const answer = await ask(socket, 'get_my_chats');
    const chat: ChatSummary = answer.chats.find((c: ChatSummary) => c.id === chatId);
    return Object.fromEntries(chat.users.map((u) => [u.id, u.online]));
  }

  it('get_my_chats users carry online: true while connected, false otherwise', async () => {
    const { alice, bob, chatId } = await partners();
    const bobSocket = await connect(server, bob.token);
    expect(await onlineIn(bobSocket, chatId)).toStrictEqual({ [alice.user.id]: false, [bob.user.id]: true });
    const aliceSocket = await connect(server, alice.token);
    expect(await onlineIn(bobSocket, chatId)).toStrictEqual({ [alice.user.id]: true, [bob.user.id]: true });
    aliceSocket.disconnect();
    await waitFor(() => aliceSocket.disconnected, 3_000, 'disconnect');
    const deadline = Date.now() + 3_000;
    while ((await onlineIn(bobSocket, chatId))[alice.user.id] !== false && Date.now() < deadline) await sleep(20);
    expect(await onlineIn(bobSocket, chatId)).toStrictEqual({ [alice.user.id]: false, [bob.user.id]: true });
  });

  it('user_online when the first socket connects, user_offline when the last one closes; not in between', async () => {
    const { alice, bob } = await partners();
    const bobSocket = await connect(server, bob.token);
    const online = collect<PresenceChange>(bobSocket, 'user_online');
    const offline = collect<PresenceChange>(bobSocket, 'user_offline');

    const first = await connect(server, alice.token);
    await waitFor(() => online.length >= 1, 3_000, 'user_online');
    const second = await connect(server, alice.token);
    await sleep(QUIET_MS);
    expect(online).toStrictEqual([{ userId: alice.user.id }]);

    first.disconnect();
    await sleep(QUIET_MS);
    expect(offline).toEqual([]);
    second.disconnect();
    await waitFor(() => offline.length >= 1, 3_000, 'user_offline');
    await sleep(QUIET_MS);
    expect(offline).toStrictEqual([{ userId: alice.user.id }]);
    expect(online).toHaveLength(1);
  });

  it('reaches every socket of every partner, and nobody who shares no chat', async () => {
    const { alice, bob } = await partners();
    const carol = await registerUser(server, 'carol');
    await createChat(server, carol, [alice], 'another chat of alice');
    const stranger = await registerUser(server, 'stranger');
    const watchers = [
      await connect(server, bob.token),
      await connect(server, bob.token),
      await connect(server, carol.token),
    ];
    const strangerSocket = await connect(server, stranger.token);
    const seen = watchers.map((socket) => collect<PresenceChange>(socket, 'user_online'));
    const toStranger = collect(strangerSocket, 'user_online');

    await connect(server, alice.token);
    await waitFor(() => seen.every((s) => s.length >= 1), 3_000, 'user_online at every partner socket');
    await sleep(QUIET_MS);
    for (const s of seen) expect(s).toStrictEqual([{ userId: alice.user.id }]);
    expect(toStranger).toEqual([]);
  });

  it('several sockets connecting at once announce user_online once', async () => {
    const { alice, bob } = await partners();
    const bobSocket = await connect(server, bob.token);
    const online = collect<PresenceChange>(bobSocket, 'user_online');
    await Promise.all(Array.from({ length: 6 }, () => connect(server, alice.token)));
    await waitFor(() => online.length >= 1, 3_000, 'user_online');
    await sleep(QUIET_MS);
    expect(online).toStrictEqual([{ userId: alice.user.id }]);
  });

  it('a user without chats connects and disconnects without error', async () => {
    const loner = await registerUser(server, 'loner');
    const socket = await connect(server, loner.token);
    expect(await ask(socket, 'get_my_chats')).toStrictEqual({ success: true, chats: [] });
    socket.disconnect();
  });
});

/**
 * Presence only through chats of at most PRESENCE_MAX_CHAT_MEMBERS members (here 3). A user's
 * announcement is one emit to their whole audience, so once a partner in a small chat (the
 * witness) has it, a member of the big chat that asks anything afterwards gets its answer after
 * the announcement would have reached it too: no waiting for something not to happen.
 */
describe('presence in chats bigger than PRESENCE_MAX_CHAT_MEMBERS', () => {
  const server = useServer({ PRESENCE_MAX_CHAT_MEMBERS: '3' });

  /** Alice in a group chat of four (over the limit) with bob and two others, and in a direct chat with a witness. */
  async function bigChat() {
    const [alice, bob, carol, dave, witness] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave', 'witness'].map((name) => registerUser(server, name)),
    );
    const chatId = await createChat(server, alice!, [bob!, carol!, dave!], 'big');
    await createChat(server, alice!, [witness!]);
    return { alice: alice!, bob: bob!, carol: carol!, witness: witness!, chatId };
  }

  /** `userId`'s `online` in `chatId`, as `socket`'s chat list shows it. */
  async function listedOnline(socket: ClientSocket, chatId: string, userId: string) {
    const answer = await ask(socket, 'get_my_chats');
    return (answer.chats as ChatSummary[]).find((c) => c.id === chatId)!.users.find((u) => u.id === userId)!.online;
  }

  it('a member of a bigger chat is not told of the others through it; the chat list still shows them', async () => {
    const { alice, bob, witness, chatId } = await bigChat();
    const [bobSocket, witnessSocket] = await Promise.all([connect(server, bob.token), connect(server, witness.token)]);
    const toBob = [collect(bobSocket, 'user_online'), collect(bobSocket, 'user_offline')];
    const witnessOnline = collect<PresenceChange>(witnessSocket, 'user_online');
    const witnessOffline = collect<PresenceChange>(witnessSocket, 'user_offline');

    const aliceSocket = await connect(server, alice.token);
    await waitFor(() => witnessOnline.length >= 1, 3_000, 'user_online at the witness');
    expect(await listedOnline(bobSocket, chatId, alice.user.id)).toBe(true);
    aliceSocket.disconnect();
    await waitFor(() => witnessOffline.length >= 1, 3_000, 'user_offline at the witness');
    expect(await listedOnline(bobSocket, chatId, alice.user.id)).toBe(false);

    expect(toBob).toEqual([[], []]);
    expect([witnessOnline, witnessOffline]).toStrictEqual([[{ userId: alice.user.id }], [{ userId: alice.user.id }]]);
  });

  it('a partner in both a small and a bigger chat is told once; the bigger chat’s other members are not', async () => {
    const { alice, bob, carol } = await bigChat();
    await createChat(server, alice, [bob]);
    const [bobSocket, carolSocket] = await Promise.all([connect(server, bob.token), connect(server, carol.token)]);
    const bobOnline = collect<PresenceChange>(bobSocket, 'user_online');
    const bobOffline = collect<PresenceChange>(bobSocket, 'user_offline');
    const toCarol = [collect(carolSocket, 'user_online'), collect(carolSocket, 'user_offline')];

    const aliceSocket = await connect(server, alice.token);
    await waitFor(() => bobOnline.length >= 1, 3_000, 'user_online at bob');
    aliceSocket.disconnect();
    await waitFor(() => bobOffline.length >= 1, 3_000, 'user_offline at bob');
    await Promise.all([ask(bobSocket, 'get_my_chats'), ask(carolSocket, 'get_my_chats')]);

    expect([bobOnline, bobOffline]).toStrictEqual([[{ userId: alice.user.id }], [{ userId: alice.user.id }]]);
    expect(toCarol).toEqual([[], []]);
  });

  it('a chat of exactly the limit carries presence, and stops once members are added past it', async () => {
    const [alice, bob, carol, dave, witness] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave', 'witness'].map((name) => registerUser(server, name)),
    );
    const chatId = await createChat(server, alice!, [bob!, carol!], 'at the limit');
    await createChat(server, alice!, [witness!]);
    const [bobSocket, witnessSocket] = await Promise.all([
      connect(server, bob!.token),
      connect(server, witness!.token),
    ]);
    const bobOnline = collect<PresenceChange>(bobSocket, 'user_online');
    const witnessOnline = collect<PresenceChange>(witnessSocket, 'user_online');
    const witnessOffline = collect<PresenceChange>(witnessSocket, 'user_offline');

    const first = await connect(server, alice!.token);
    await waitFor(
      () => bobOnline.length >= 1 && witnessOnline.length >= 1,
      3_000,
      'user_online at bob and the witness',
    );
    first.disconnect();
    await waitFor(() => witnessOffline.length >= 1, 3_000, 'user_offline at the witness');
    const added = await api(server, 'POST', `/chats/${chatId}/members`, {
      token: alice!.token,
      body: { userIds: [dave!.user.id] },
    });
    expect(added.status).toBe(200);

    await connect(server, alice!.token);
    await waitFor(() => witnessOnline.length >= 2, 3_000, 'the second user_online at the witness');
    await ask(bobSocket, 'get_my_chats');
    expect(bobOnline).toStrictEqual([{ userId: alice!.user.id }]);
  });
});
