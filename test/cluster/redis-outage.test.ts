import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { clusterEnv, dropRedisPrefix, uniqueRedisPrefix, untilEvent } from '../helpers/cluster-nodes.js';
import { CuttableProxy, throughPort } from '../helpers/cuttable-proxy.js';
import {
  api,
  ask,
  closeSockets,
  collect,
  connect,
  createChat,
  registerUser,
  startServer,
  type TestServer,
} from '../helpers/server.js';

/**
 * Issue 3 §5 with Redis as the dependency that goes away: node A reaches Redis through a proxy the
 * test cuts, node B directly. A is not ready while Redis does not answer, but keeps serving —
 * acknowledged sends are committed — and joins the cluster again by itself.
 */
describe.skipIf(!clusterEnv)('Redis outage', () => {
  const prefix = uniqueRedisPrefix();
  let proxy: CuttableProxy;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    const target = new URL(clusterEnv!.redisUrl);
    proxy = new CuttableProxy(target.hostname, Number(target.port || 6379));
    await proxy.open();
    const shared = { DATABASE_URL: clusterEnv!.databaseUrl, REDIS_PREFIX: prefix };
    [a, b] = await Promise.all([
      startServer({ ...shared, REDIS_URL: throughPort(clusterEnv!.redisUrl, proxy.port) }),
      startServer({ ...shared, REDIS_URL: clusterEnv!.redisUrl }),
    ]);
  });
  afterAll(async () => {
    closeSockets();
    await proxy?.open().catch(() => {}); // lets A's Redis client close cleanly
    await Promise.all([a?.close(), b?.close()]);
    await proxy?.cut();
    await dropRedisPrefix(prefix);
  });

  it('answers 503 naming Redis while it is cut, keeps committing sends, and rejoins the cluster when it is back', async () => {
    const alice = await registerUser(a, 'alice');
    const bob = await registerUser(b, 'bob');
    const chatId = await createChat(a, alice, [bob]);
    const aliceOnA = await connect(a, alice.token);
    const bobOnB = await connect(b, bob.token);
    await ask(aliceOnA, 'join_chat', { chatId });
    await ask(bobOnB, 'join_chat', { chatId });
    const atBob = collect<Message>(bobOnB, 'new_message');
    const atAlice = collect<Message>(aliceOnA, 'new_message');
    expect(await api(a, 'GET', '/ready')).toMatchObject({
      status: 200,
      body: { checks: { database: 'ok', redis: 'ok' } },
    });

    await proxy.cut();
    const ready = await api(a, 'GET', '/ready');
    expect(ready).toMatchObject({
      status: 503,
      body: { success: false, code: 'UNAVAILABLE', checks: { database: 'ok', redis: 'down' } },
    });
    expect((await api(a, 'GET', '/health')).status).toBe(200);
    const during = await ask(aliceOnA, 'send_message', { chatId, text: 'while Redis is cut' });
    expect(during).toMatchObject({ success: true, message: { text: 'while Redis is cut' } });
    // Committed: B reads it from PostgreSQL at once.
    const history = await ask(bobOnB, 'get_chat_messages', { chatId });
    expect(history.messages.map((m: Message) => m.id)).toContain(during.message.id);

    await proxy.open(); // same port
    await expect.poll(async () => (await api(a, 'GET', '/ready')).status, { timeout: 10_000, interval: 200 }).toBe(200);
    // The broadcast held while Redis was away reaches B once it is back, and delivery works both ways.
    await untilEvent(bobOnB, 'new_message', () => atBob.some((m) => m.id === during.message.id), 10_000);
    const fromB = await ask(bobOnB, 'send_message', { chatId, text: 'after Redis is back' });
    await untilEvent(aliceOnA, 'new_message', () => atAlice.some((m) => m.id === fromB.message.id), 10_000);
  }, 40_000);
});
