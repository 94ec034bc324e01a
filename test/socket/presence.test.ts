import { describe, expect, it } from 'vitest';
import type { ChatSummary, PresenceChange } from '../../src/protocol/types.js';
import {
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
