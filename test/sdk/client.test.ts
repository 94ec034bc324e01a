import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChatMessages, MemoryOutboxStore, type Message, type VersionedEvent } from '../../sdk/index.js';
import { CuttableProxy } from '../helpers/cuttable-proxy.js';
import {
  api,
  ask,
  closeSockets,
  connect,
  createChat,
  nextEvent,
  registerUser,
  sleep,
  startServer,
  type TestServer,
} from '../helpers/server.js';
import { QUIET_MS } from '../helpers/socket-fixtures.js';
import { realStackEnv, sdkClient, until } from './sdk-fixtures.js';

/**
 * The client SDK (sdk/, README "Client SDK") from Node against a real server, reached through a
 * proxy that the tests cut to drop the connection.
 */
let server: TestServer;
let proxy: CuttableProxy;
let proxyUrl: string;

beforeAll(async () => {
  server = await startServer(realStackEnv());
  proxy = new CuttableProxy('127.0.0.1', server.port);
  await proxy.open();
  proxyUrl = `http://127.0.0.1:${proxy.port}`;
});
afterAll(async () => {
  closeSockets();
  await proxy.cut();
  await server.close();
});

/** Alice on the SDK (through the proxy), Bob on a raw socket that joined their chat. */
async function aliceAndBob() {
  const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
  const chatId = await createChat(server, alice, [bob]);
  const bobSocket = await connect(server, bob.token);
  await ask(bobSocket, 'join_chat', { chatId });
  const client = sdkClient(proxyUrl, alice.token);
  await client.ready();
  const events: VersionedEvent[] = [];
  client.onChatEvent((event) => events.push(event));
  const say = async (text: string): Promise<Message> =>
    (await ask(bobSocket, 'send_message', { chatId, text })).message;
  return { alice, bob, chatId, bobSocket, client, events, say };
}

const texts = (client: ReturnType<typeof sdkClient>, chatId: string) =>
  client
    .messages(chatId)
    .get()
    .items.map((item) => item.message?.text ?? item.pending?.text);

describe('connect, chat list and live messages', () => {
  it('lists the chats and delivers live messages to the cache and the app in version order, each once', async () => {
    const { client, chatId, events, say, bob } = await aliceAndBob();
    expect(client.chats.get().map((chat) => chat.id)).toEqual([chatId]);
    const sent: Message[] = [];
    for (let i = 1; i <= 5; i++) sent.push(await say(`m${i}`));
    await until(client.messages(chatId), (view) => view.items.length === 5);
    expect(texts(client, chatId)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(events.map((event) => [event.name, event.version])).toEqual(sent.map((m) => ['new_message', m.version]));
    const [chat] = client.chats.get();
    expect(chat).toMatchObject({ id: chatId, unreadCount: 5, version: sent[4]!.version });
    expect(chat!.messages).toEqual([sent[4]]);
    expect(client.me()?.id).not.toBe(bob.user.id);
  });
});

describe('gaps', () => {
  it('repairs a jump in a chat’s versions with sync, and delivers what was missed in order', async () => {
    const { client, chatId, events, say, bobSocket } = await aliceAndBob();
    await say('seen');
    await until(client.messages(chatId), (view) => view.items.length === 1);
    // The SDK's socket leaves the room behind its back: two changes never reach it live.
    await client.socket.emitWithAck('leave_chat', { chatId });
    const missed = await say('missed');
    const edited = (await ask(bobSocket, 'edit_message', { messageId: missed.id, text: 'missed, edited' })).message;
    await client.socket.emitWithAck('join_chat', { chatId });
    const after = await say('after');
    await until(client.messages(chatId), (view) => view.items.length === 3);
    expect(texts(client, chatId)).toEqual(['seen', 'missed, edited', 'after']);
    // The missed message comes once, in its current state (its edit skipped), before the change
    // after it — live, or read by the same sync when it was committed by then.
    expect(events.map((event) => event.version)).toEqual([missed.version - 1, edited.version, after.version]);
    expect(events[1]).toMatchObject({ name: 'sync_message', message: { text: 'missed, edited' } });
    expect(events[2]!.message).toEqual(after);
    // The chat list counts what the sync found as unread, as it counts live messages.
    expect(client.chats.get()[0]).toMatchObject({ unreadCount: 3, messages: [after] });
  });

  it('syncs what changed while it was disconnected, and comes back by itself', async () => {
    const { client, chatId, say, bobSocket } = await aliceAndBob();
    const first = await say('before the cut');
    await until(client.messages(chatId), (view) => view.items.length === 1);
    await proxy.cut();
    await until(client.status, (status) => status === 'connecting');
    await ask(bobSocket, 'delete_message', { messageId: first.id });
    await say('during the cut');
    await proxy.open();
    await until(client.status, (status) => status === 'online');
    expect(
      client
        .messages(chatId)
        .get()
        .items.map((item) => [item.message?.text, !!item.message?.deletedAt]),
    ).toEqual([
      ['', true],
      ['during the cut', false],
    ]);
    expect(client.chats.get()[0]!.messages[0]!.text).toBe('during the cut');
  });
});

describe('sending', () => {
  it('goes sending → sent, and read once the other member has read it', async () => {
    const { client, chatId, bobSocket } = await aliceAndBob();
    const states: string[] = [];
    client.messages(chatId).subscribe((view) => {
      const state = view.items.find((item) => (item.message?.text ?? item.pending?.text) === 'hello')?.state;
      if (state && states.at(-1) !== state) states.push(state);
    });
    const { sent } = await client.send(chatId, 'hello');
    const message = await sent;
    await ask(bobSocket, 'mark_read', { chatId, messageId: message.id });
    await until(client.messages(chatId), (view) => view.items.at(-1)?.state === 'read');
    expect(states).toEqual(['sending', 'sent', 'read']);
  });

  it('retries a send whose answer was lost with the connection, and the server stores it once', async () => {
    const { client, chatId, bobSocket } = await aliceAndBob();
    proxy.muteReplies(); // the send reaches the server; its answer never comes back
    const stored = nextEvent<Message>(bobSocket, 'new_message');
    const { clientMessageId, sent } = await client.send(chatId, 'exactly once');
    await stored;
    expect(
      client
        .messages(chatId)
        .get()
        .items.map((item) => [item.key, item.state]),
    ).toEqual([[clientMessageId, 'sending']]);
    await proxy.cut();
    await proxy.open();
    const message = await sent;
    expect(message.text).toBe('exactly once');
    const history = await ask(bobSocket, 'get_chat_messages', { chatId });
    expect(history.messages.map((m: Message) => m.text)).toEqual(['exactly once']);
    await until(client.messages(chatId), (view) => view.items.length === 1 && view.items[0]!.state === 'sent');
  });

  it('sends on the next start what was still in the outbox when the app closed', async () => {
    const { alice, client: running, chatId, bobSocket } = await aliceAndBob();
    running.close();
    const outbox = new MemoryOutboxStore(); // the app's own store, as a browser's IndexedDB outlives a page
    // No server at this address: the message stays in the outbox.
    const closed = sdkClient('http://127.0.0.1:9', alice.token, { outbox, user: alice.user });
    const { clientMessageId } = await closed.send(chatId, 'written offline');
    expect(
      closed
        .messages(chatId)
        .get()
        .items.map((item) => item.state),
    ).toEqual(['sending']);
    closed.close();
    const arrived = nextEvent<Message>(bobSocket, 'new_message');
    const next = sdkClient(proxyUrl, alice.token, { outbox });
    expect((await arrived).text).toBe('written offline');
    await until(next.messages(chatId), (view) => view.items.length === 1 && view.items[0]!.state === 'sent');
    // Out of the outbox (deleted before the view drops the pending entry), and stored once.
    expect(await outbox.list()).toEqual([]);
    expect(next.messages(chatId).get().items[0]!.message!.id).not.toBe(clientMessageId);
    const history = await ask(bobSocket, 'get_chat_messages', { chatId });
    expect(history.messages.map((m: Message) => m.text)).toEqual(['written offline']);
  });

  it('marks a refused send failed with its code, does not retry it, and can discard it', async () => {
    const { client, chatId, bobSocket } = await aliceAndBob();
    const arrivals: Message[] = [];
    bobSocket.on('new_message', (m) => arrivals.push(m));
    const { clientMessageId, sent } = await client.send(chatId, 'x'.repeat(5_000));
    await expect(sent).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    const [item] = client.messages(chatId).get().items;
    expect(item).toMatchObject({ key: clientMessageId, state: 'failed', error: { code: 'VALIDATION_ERROR' } });
    // A later flush (a new message) does not send it again.
    await (
      await client.send(chatId, 'fine')
    ).sent;
    await sleep(QUIET_MS);
    expect(arrivals.map((m) => m.text)).toEqual(['fine']);
    expect(
      client
        .messages(chatId)
        .get()
        .items.map((i) => i.state),
    ).toEqual(['sent', 'failed']);
    await client.discard(clientMessageId);
    expect(
      client
        .messages(chatId)
        .get()
        .items.map((i) => i.state),
    ).toEqual(['sent']);
  });
});

describe('tokens', () => {
  it('asks the refresh hook before a reconnection and after a refused token', async () => {
    const alice = await registerUser(server, 'alice');
    const refreshToken = vi.fn<(reason: 'reconnect' | 'unauthorized') => Promise<string>>(async () => alice.token);
    const client = sdkClient(proxyUrl, 'not-a-token', { refreshToken, user: alice.user });
    await client.ready();
    expect(refreshToken.mock.calls.map(([reason]) => reason)).toEqual(['unauthorized']);
    await proxy.cut();
    await until(client.status, (status) => status === 'connecting');
    await proxy.open();
    await until(client.status, (status) => status === 'online');
    expect(refreshToken.mock.calls.at(-1)).toEqual(['reconnect']);
  });

  it('stops as unauthorized when the hook gives no token the server accepts', async () => {
    const client = sdkClient(proxyUrl, 'not-a-token', { refreshToken: async () => 'still-not-a-token' });
    await until(client.status, (status) => status === 'unauthorized', 10_000);
  });
});

describe('the caches follow every change', () => {
  it('applies chat events to the chat list: a rename and a role change reach client.chats', async () => {
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    const chatId = await createChat(server, alice, [bob], 'Before');
    const client = sdkClient(proxyUrl, bob.token);
    await client.ready();
    await api(server, 'PATCH', `/chats/${chatId}`, { token: alice.token, body: { name: 'After' } });
    await api(server, 'PUT', `/chats/${chatId}/members/${bob.user.id}/role`, {
      token: alice.token,
      body: { role: 'admin' },
    });
    const chat = await until(client.chats, ([held]) => held?.users.find((u) => u.id === bob.user.id)?.role === 'admin');
    expect(chat[0]).toMatchObject({ id: chatId, name: 'After' });
  });

  it('keeps a change to a message older than its pages out of the view (no hole), known to find()', async () => {
    const { chatId, say, bobSocket } = await aliceAndBob();
    const old = await say('old');
    const recent = [await say('recent 1'), await say('recent 2')];
    const cache = new ChatMessages(
      chatId,
      () => undefined,
      async () => ({ messages: [old], hasMore: false }),
    );
    cache.upsert(recent, true); // the latest page only
    const edited = (await ask(bobSocket, 'edit_message', { messageId: old.id, text: 'old, edited' })).message;
    cache.upsert([edited]); // as a live event or a sync brings it
    expect(cache.get().items.map((item) => item.message?.text)).toEqual(['recent 1', 'recent 2']);
    expect(cache.get().hasOlder).toBe(true);
    expect(cache.find(old.id)?.text).toBe('old, edited');
    // Its page, when read, brings it into the view in its newest state.
    await cache.loadOlder();
    expect(cache.get().items.map((item) => item.message?.text)).toEqual(['old, edited', 'recent 1', 'recent 2']);
  });

  it('follows the user’s reading elsewhere: a partial read in one client sets the unread count in another', async () => {
    const { alice, chatId, say, client } = await aliceAndBob();
    const elsewhere = sdkClient(proxyUrl, alice.token);
    await elsewhere.ready();
    const first = await say('one');
    await say('two');
    await say('three');
    await until(elsewhere.chats, ([chat]) => chat?.unreadCount === 3);
    await client.markRead(chatId, first.id);
    await until(elsewhere.chats, ([chat]) => chat?.unreadCount === 2);
    expect(client.chats.get()[0]!.unreadCount).toBe(2);
  });
});
