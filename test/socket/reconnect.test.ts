import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { ask, collect, connect, createChat, nextEvent, registerUser, sleep, useServer } from '../helpers/server.js';

/**
 * Reconnecting is a fresh, authenticated connection: the server keeps no Socket.IO session to
 * restore (see src/realtime/gateway.ts), so nothing of a chat reaches a socket before it has
 * authenticated and joined again — not after a cut, not after leaving the chat during one.
 */
describe('reconnect', () => {
  const server = useServer();

  it('offers no recoverable session: no session id is handed to the client', async () => {
    const alice = await registerUser(server, 'alice');
    const socket = await connect(server, alice.token);
    expect((socket as unknown as { _pid?: string })._pid).toBeUndefined();
  });

  it('a socket that comes back after a cut has no rooms until it joins again, then fills the gap with {after}', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const chatId = await createChat(server, alice, [bob]);
    const sender = await connect(server, alice.token);
    const socket = await connect(server, bob.token, { reconnection: true });
    await ask(socket, 'join_chat', { chatId });
    const received = collect<Message>(socket, 'new_message');
    const first = (await ask(sender, 'send_message', { chatId, text: 'before' })).message;
    await nextEvent(socket, 'new_message').catch(() => undefined);

    const back = nextEvent(socket, 'connect', 5_000);
    (socket as unknown as { io: { engine: { close(): void } } }).io.engine.close();
    await back;
    const during = (await ask(sender, 'send_message', { chatId, text: 'while not joined' })).message;
    await sleep(300);
    expect(received.map((m) => m.id)).toEqual([first.id]);

    await ask(socket, 'join_chat', { chatId });
    const gap = await ask(socket, 'get_chat_messages', { chatId, after: first.id });
    expect(gap.messages.map((m: Message) => m.id)).toEqual([during.id]);
  });
});
