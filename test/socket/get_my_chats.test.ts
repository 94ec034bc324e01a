import { describe, expect, it } from 'vitest';
import type { ChatSummary, PublicUser } from '../../src/protocol/types.js';
import { ask, connect, createChat, registerUser, sleep, useServer } from '../helpers/server.js';
import { chatPair, sendOk } from '../helpers/socket-fixtures.js';

const byId = (users: readonly PublicUser[]) => [...users].sort((a, b) => a.id.localeCompare(b.id));

/** Message timestamps have millisecond precision: keep activity in different chats apart. */
const tick = () => sleep(5);

describe('get_my_chats', () => {
  const server = useServer();

  it('answers {success, chats: []} for a user without chats', async () => {
    const loner = await connect(server, (await registerUser(server, 'loner')).token);
    expect(await ask(loner, 'get_my_chats')).toStrictEqual({ success: true, chats: [] });
  });

  it('each chat is {id, name, users, messages: [last message], unreadCount, version, readPositions}', async () => {
    const { alice, bob, chatId, aliceSocket, bobSocket } = await chatPair(server);
    await sendOk(bobSocket, chatId, 'first from bob');
    await sendOk(aliceSocket, chatId, 'from alice');
    const last = await sendOk(bobSocket, chatId, 'last from bob');

    const answer = await ask(aliceSocket, 'get_my_chats');
    const users: PublicUser[] = answer.chats[0]?.users ?? [];
    expect(answer).toStrictEqual({
      success: true,
      chats: [
        {
          id: chatId,
          name: null,
          users: expect.any(Array),
          messages: [last],
          unreadCount: 2, // bob's two messages; alice's own do not count
          version: 3, // three sends
          // Every member, in the order of `users`; nobody has marked anything read.
          readPositions: users.map((user) => ({ userId: user.id, seq: 0 })),
        },
      ],
    });
    expect(last).toMatchObject({ seq: 3, version: 3 });
    const summary: ChatSummary = answer.chats[0];
    // The seed's user fields, plus `online` (both are connected).
    expect(byId(summary.users)).toStrictEqual(byId([alice.user, bob.user]).map((u) => ({ ...u, online: true })));
    for (const user of summary.users) expect(Object.keys(user).sort()).toEqual(['email', 'id', 'online', 'username']);

    const bobView = await ask(bobSocket, 'get_my_chats');
    expect(bobView.chats).toStrictEqual([{ ...summary, unreadCount: 1 }]);
  });

  it('gives a name back exactly, whatever characters JSON has to escape in it', async () => {
    const [owner, a] = await Promise.all([registerUser(server, 'owner'), registerUser(server, 'a')]);
    const name = 'He said "hi" \\ back\nslash\t😀 \u2028 </script>';
    const groupId = await createChat(server, owner, [a], name);
    const socket = await connect(server, owner.token);
    const answer = await ask(socket, 'get_my_chats');
    expect(answer.chats.map((chat: ChatSummary) => [chat.id, chat.name])).toEqual([[groupId, name]]);
  });

  it('a chat without messages has messages: [] and a named chat carries its name', async () => {
    const [owner, a, b] = await Promise.all([
      registerUser(server, 'owner'),
      registerUser(server, 'a'),
      registerUser(server, 'b'),
    ]);
    const groupId = await createChat(server, owner, [a, b], 'Команда');
    const socket = await connect(server, owner.token);
    const answer = await ask(socket, 'get_my_chats');
    const users: PublicUser[] = answer.chats[0]?.users ?? [];
    expect(answer).toStrictEqual({
      success: true,
      chats: [
        {
          id: groupId,
          name: 'Команда',
          users: expect.any(Array),
          messages: [],
          unreadCount: 0,
          version: 0,
          readPositions: users.map((user) => ({ userId: user.id, seq: 0 })),
        },
      ],
    });
    expect(byId(answer.chats[0].users)).toStrictEqual(
      byId([owner.user, a.user, b.user]).map((u) => ({ ...u, online: u.id === owner.user.id })),
    );
  });

  it('lists the most recent activity first, and a new message moves its chat to the top', async () => {
    const [me, x, y, z] = await Promise.all([
      registerUser(server, 'me'),
      registerUser(server, 'x'),
      registerUser(server, 'y'),
      registerUser(server, 'z'),
    ]);
    const chatX = await createChat(server, me, [x]);
    const chatY = await createChat(server, me, [y]);
    const chatZ = await createChat(server, me, [z]);
    const socket = await connect(server, me.token);
    const order = async () => ((await ask(socket, 'get_my_chats')).chats as ChatSummary[]).map((c) => c.id);

    await tick();
    await sendOk(socket, chatX, 'x');
    await tick();
    await sendOk(socket, chatY, 'y');
    await tick();
    await sendOk(socket, chatZ, 'z');
    expect(await order()).toEqual([chatZ, chatY, chatX]);

    await tick();
    const xSocket = await connect(server, x.token);
    const latest = await sendOk(xSocket, chatX, 'x again, from the other side');
    expect(await order()).toEqual([chatX, chatZ, chatY]);
    const top = (await ask(socket, 'get_my_chats')).chats[0];
    expect(top.messages).toStrictEqual([latest]);
    expect(top.unreadCount).toBe(1);

    await tick();
    await sendOk(socket, chatY, 'y again');
    expect(await order()).toEqual([chatY, chatX, chatZ]);
  });

  it("lists only the caller's chats", async () => {
    const { alice, chatId: shared, aliceSocket } = await chatPair(server);
    const [carol, dave] = await Promise.all([registerUser(server, 'carol'), registerUser(server, 'dave')]);
    const notMine = await createChat(server, carol, [dave]);
    const mineToo = await createChat(server, carol, [alice, dave], 'with alice');
    const ids = ((await ask(aliceSocket, 'get_my_chats')).chats as ChatSummary[]).map((c) => c.id);
    expect(ids.sort()).toEqual([shared, mineToo].sort());
    expect(ids).not.toContain(notMine);

    const daveSocket = await connect(server, dave.token);
    const daveIds = ((await ask(daveSocket, 'get_my_chats')).chats as ChatSummary[]).map((c) => c.id);
    expect(daveIds.sort()).toEqual([notMine, mineToo].sort());
  });

  it('works with no payload and ignores a payload object', async () => {
    const { chatId, aliceSocket } = await chatPair(server);
    await sendOk(aliceSocket, chatId, 'hello');
    const plain = await ask(aliceSocket, 'get_my_chats');
    expect(plain.success).toBe(true);
    expect(plain.chats.map((c: ChatSummary) => c.id)).toEqual([chatId]);
    expect(await ask(aliceSocket, 'get_my_chats', {})).toStrictEqual(plain);
    expect(await ask(aliceSocket, 'get_my_chats', { chatId: 'ignored', limit: 1, userId: 'someone' })).toStrictEqual(
      plain,
    );
  });
});
