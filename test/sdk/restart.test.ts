import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CuttableProxy } from '../helpers/cuttable-proxy.js';
import {
  ask,
  closeSockets,
  connect,
  createChat,
  registerUser,
  startServer,
  type TestServer,
} from '../helpers/server.js';
import { realStackEnv, sdkClient, until } from './sdk-fixtures.js';

/**
 * The SDK across a restart of the server: the same store (a PGlite data directory, or the
 * PostgreSQL server of DATABASE_URL), the same address; the client comes back by itself and
 * catches up on what changed while it was away.
 */
describe('a server restart', () => {
  const servers: TestServer[] = [];
  let dataDir: string | undefined;
  let proxy: CuttableProxy | undefined;
  afterAll(async () => {
    closeSockets();
    await proxy?.cut();
    for (const server of servers) await server.close().catch(() => {});
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('reconnects by itself and syncs what changed meanwhile', async () => {
    const stack = realStackEnv();
    if (!stack.DATABASE_URL) dataDir = await mkdtemp(path.join(tmpdir(), 'parley-sdk-restart-'));
    const env = dataDir ? { ...stack, DATABASE_URL: undefined, DATA_DIR: dataDir } : stack;
    const first = await startServer(env);
    servers.push(first);
    const [alice, bob] = await Promise.all([registerUser(first, 'alice'), registerUser(first, 'bob')]);
    const chatId = await createChat(first, alice, [bob]);
    // The client reaches the server through a proxy that stays closed while the server restarts,
    // so that changes are made before the client can come back.
    proxy = new CuttableProxy('127.0.0.1', first.port);
    await proxy.open();
    const client = sdkClient(`http://127.0.0.1:${proxy.port}`, alice.token);
    await client.ready();
    const { sent } = await client.send(chatId, 'before the restart');
    const kept = await sent;

    await proxy.cut();
    await first.close();
    await until(client.status, (status) => status === 'connecting');
    const second = await startServer({ ...env, PORT: String(first.port) });
    servers.push(second);
    const bobSocket = await connect(second, bob.token);
    await ask(bobSocket, 'mark_read', { chatId, messageId: kept.id });
    const reply = (await ask(bobSocket, 'send_message', { chatId, text: 'while you were away', replyTo: kept.id }))
      .message;
    // A message queued while disconnected goes once the client is back.
    const queued = await client.send(chatId, 'queued while down');

    await proxy.open();
    await until(client.status, (status) => status === 'online', 15_000);
    await queued.sent;
    const view = await until(client.messages(chatId), (v) => v.items.length === 3 && v.items.every((i) => i.message));
    expect(view.items.map((item) => [item.message!.text, item.state])).toEqual([
      ['before the restart', 'read'],
      ['while you were away', 'sent'],
      ['queued while down', 'sent'],
    ]);
    expect(view.items[1]!.message).toEqual(reply);
    expect(client.chats.get()[0]).toMatchObject({ id: chatId, unreadCount: 1 });
  }, 90_000);
});
