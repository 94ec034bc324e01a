import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, ask, closeSockets, connect, createChat, registerUser, startServer } from './helpers/server.js';

/** The zero-configuration mode of `npm start`: embedded PGlite in DATA_DIR, generated secret. */
describe('embedded store across a restart', () => {
  let dataDir: string;
  afterAll(async () => {
    closeSockets();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps users, chats, history and the token secret', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'parley-restart-'));
    const env = { DATABASE_URL: undefined, JWT_SECRET: undefined, DATA_DIR: dataDir };

    const first = await startServer(env);
    const alice = await registerUser(first, 'alice');
    const bob = await registerUser(first, 'bob');
    const chatId = await createChat(first, alice, [bob]);
    const socket = await connect(first, alice.token);
    const sent = [];
    for (let i = 0; i < 3; i++)
      sent.push((await ask(socket, 'send_message', { chatId, text: `before restart ${i}` })).message);
    socket.close();
    await first.close();

    // The generated secret is private to the process owner.
    const secretFile = path.join(dataDir, 'jwt-secret');
    expect((await stat(secretFile)).mode & 0o077).toBe(0);
    expect((await readFile(secretFile, 'utf8')).trim().length).toBeGreaterThanOrEqual(32);

    const second = await startServer(env);
    try {
      // A token issued before the restart still works: the secret was kept, not regenerated.
      const me = await api(second, 'GET', '/users/me', { token: bob.token });
      expect(me).toEqual({ status: 200, body: { success: true, user: bob.user } });
      const bobSocket = await connect(second, bob.token);
      const history = await ask(bobSocket, 'get_chat_messages', { chatId });
      expect(history).toEqual({ success: true, messages: sent, hasMore: false });
      const login = await api(second, 'POST', '/auth/login', {
        body: { email: alice.user.email, password: alice.password },
      });
      expect(login.status).toBe(200);
    } finally {
      await second.close();
    }
    // Creates a file database and opens it again: seconds each on a busy 2-core machine.
  }, 60_000);
});
