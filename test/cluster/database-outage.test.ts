import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from '../helpers/cluster-nodes.js';
import { CuttableProxy, throughPort } from '../helpers/cuttable-proxy.js';
import {
  api,
  ask,
  closeSockets,
  connect,
  createChat,
  registerUser,
  startServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../helpers/server.js';

/**
 * Contract §1 `/ready` and §3 `UNAVAILABLE`: when PostgreSQL goes away the server neither crashes,
 * hangs nor reports INTERNAL; it answers UNAVAILABLE, is not ready, and recovers by itself.
 */
describe.skipIf(!postgresUrl)('database outage', () => {
  let proxy: CuttableProxy;
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let chatId: string;
  let socket: ClientSocket;

  beforeAll(async () => {
    const target = new URL(postgresUrl!);
    proxy = new CuttableProxy(target.hostname, Number(target.port || 5432));
    await proxy.open();
    server = await startServer({ DATABASE_URL: throughPort(postgresUrl!, proxy.port) });
    alice = await registerUser(server, 'alice');
    bob = await registerUser(server, 'bob');
    chatId = await createChat(server, alice, [bob]);
    socket = await connect(server, alice.token);
  });
  afterAll(async () => {
    closeSockets();
    await server?.close();
    await proxy?.cut();
  });

  /** A send that must answer within a bound: a hang fails the test instead of timing it out. */
  const send = (text: string) => ask(socket, 'send_message', { chatId, text });

  it('answers UNAVAILABLE and 503 while PostgreSQL is unreachable, and recovers when it is back', async () => {
    expect((await send('before the outage')).success).toBe(true);
    expect((await api(server, 'GET', '/ready')).status).toBe(200);

    await proxy.cut();
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const answer = await send(`during the outage ${i}`);
      expect(answer).toEqual({ success: false, error: expect.any(String), code: 'UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(4_000);
    }
    const ready = await api(server, 'GET', '/ready');
    expect(ready).toMatchObject({
      status: 503,
      body: { success: false, code: 'UNAVAILABLE', checks: { database: 'down' } },
    });
    // HTTP routes that need the database say the same thing.
    const chats = await api(server, 'GET', '/chats', { token: alice.token });
    expect(chats).toMatchObject({ status: 503, body: { success: false, code: 'UNAVAILABLE' } });
    expect(socket.connected).toBe(true);

    await proxy.open(); // same port
    const after = await send('after the outage');
    expect(after).toMatchObject({ success: true, message: { text: 'after the outage' } });
    expect((await api(server, 'GET', '/ready')).status).toBe(200);
    const history = await ask(socket, 'get_chat_messages', { chatId });
    expect(history.messages.map((m: { text: string }) => m.text)).toEqual(['before the outage', 'after the outage']);
  });

  it('a send whose connection dies mid-transaction answers UNAVAILABLE and is not stored', async () => {
    // Hold the chat row's lock directly (not through the proxy) so the send is inside its
    // transaction, waiting, when the proxy is cut under it.
    const locker = new pg.Client({ connectionString: postgresUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM chats WHERE id = $1 FOR UPDATE', [chatId]);
      const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const running = send('cut mid-transaction');
      running.catch(() => {});
      const deadline = Date.now() + 5_000;
      for (;;) {
        const { rows } = await locker.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
          [lockerPid],
        );
        if (rows[0]!.n > 0) break;
        if (Date.now() > deadline) throw new Error('the send never waited for the lock');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      await proxy.cut();
      expect(await running).toEqual({ success: false, error: expect.any(String), code: 'UNAVAILABLE' });
      await locker.query('COMMIT');
    } finally {
      await locker.end();
      await proxy.open();
    }
    const after = await send('after the second outage');
    expect(after.success).toBe(true);
    const history = await ask(socket, 'get_chat_messages', { chatId });
    expect(history.messages.map((m: { text: string }) => m.text)).not.toContain('cut mid-transaction');
    expect(history.messages.at(-1).text).toBe('after the second outage');
  });
});
