import { describe, expect, it } from 'vitest';
import { storeTargets, serverEnvFor } from './helpers/stores.js';
import { api, ask, connect, createChat, nextEvent, registerUser, useServer } from './helpers/server.js';

/**
 * The seed document read as a user story, on every store: register, open a chat, join it,
 * exchange messages live, page through history.
 */
describe.each(storeTargets.map((t) => t.name))('the seed client flow on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  it('lets two users chat live and page through history', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const chatId = await createChat(server, alice, [bob]);

    const aliceSocket = await connect(server, `Bearer ${alice.token}`);
    const bobSocket = await connect(server, bob.token, { via: 'header' });

    expect(await ask(aliceSocket, 'join_chat', { chatId })).toEqual({ success: true, messages: [], version: 0 });
    expect(await ask(bobSocket, 'join_chat', { chatId })).toEqual({ success: true, messages: [], version: 0 });

    const delivered = nextEvent(bobSocket, 'new_message');
    const echoed = nextEvent(aliceSocket, 'new_message');
    const sent = await ask(aliceSocket, 'send_message', { chatId, text: '  Текст сообщения  ' });
    expect(sent).toEqual({
      success: true,
      message: {
        id: expect.any(String),
        text: 'Текст сообщения',
        sender: alice.user.id,
        chatId,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        user: alice.user,
        seq: 1,
        version: 1,
      },
    });
    expect(await delivered).toEqual(sent.message);
    expect(await echoed).toEqual(sent.message);

    const ids = [sent.message.id];
    for (let i = 0; i < 5; i++)
      ids.push((await ask(bobSocket, 'send_message', { chatId, text: `reply ${i}` })).message.id);

    const latest = await ask(aliceSocket, 'get_chat_messages', { chatId, limit: 4 });
    expect(latest.success).toBe(true);
    expect(latest.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(2));
    expect(latest.hasMore).toBe(true);
    const older = await ask(aliceSocket, 'get_chat_messages', { chatId, limit: 4, before: ids[2] });
    expect(older.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 2));
    expect(older.hasMore).toBe(false);

    const chats = await ask(bobSocket, 'get_my_chats');
    expect(chats.success).toBe(true);
    expect(chats.chats[0].id).toBe(chatId);
    expect(chats.chats[0].messages).toEqual([
      expect.objectContaining({ id: ids[5], text: 'reply 4', seq: 6, version: 6 }),
    ]);
    expect(chats.chats[0].version).toBe(6);
    expect(chats.chats[0].users.map((u: { id: string }) => u.id).sort()).toEqual([alice.user.id, bob.user.id].sort());

    const viaHttp = await api(server, 'GET', `/chats/${chatId}/messages?limit=2`, { token: alice.token });
    expect(viaHttp.status).toBe(200);
    expect(viaHttp.body.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(4));
  });
});
