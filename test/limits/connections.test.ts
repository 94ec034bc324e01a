import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TOO_MANY_CONNECTIONS_TEXT } from '../../src/realtime/connection-limit.js';
import { ask, closeSockets, connect, registerUser, startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/socket-fixtures.js';
import type { HandshakeError } from '../helpers/auth-tokens.js';

/** Issue 5 §1: at most MAX_CONNECTIONS_PER_USER open sockets per user. */
const MAX = 3;

async function refusal(server: TestServer, token: string): Promise<HandshakeError> {
  try {
    const socket = await connect(server, token);
    socket.close();
  } catch (error) {
    return error as HandshakeError;
  }
  throw new Error('the handshake was accepted but should have been refused');
}

describe('connections per user', () => {
  let server: TestServer;
  const openFor = (userId: string) =>
    [...server.app.io.of('/').sockets.values()].filter((s) => s.data.user.id === userId).length;
  beforeAll(async () => {
    server = await startServer({ MAX_CONNECTIONS_PER_USER: String(MAX) });
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    await server.close();
  });

  it('refuses one more than the limit with connect_error RATE_LIMITED; other users are unaffected', async () => {
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    const sockets = await Promise.all(Array.from({ length: MAX }, () => connect(server, alice.token)));
    // Refused before the account is read: a user opening sockets in a loop costs no query.
    const accountReads = vi.spyOn(server.app.store.users, 'findAccount');
    const refused = await refusal(server, alice.token);
    expect(accountReads).not.toHaveBeenCalled();
    accountReads.mockRestore();
    expect(refused.message).toBe(TOO_MANY_CONNECTIONS_TEXT);
    expect(refused.data).toEqual({ code: 'RATE_LIMITED' });
    // The open ones keep working, and another user connects.
    expect(await ask(sockets[0]!, 'get_my_chats')).toMatchObject({ success: true });
    await expect(connect(server, bob.token)).resolves.toMatchObject({ connected: true });
  });

  it('admits exactly the limit out of many simultaneous handshakes', async () => {
    const carol = await registerUser(server, 'carol');
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => connect(server, carol.token)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as HandshakeError).data).toEqual({ code: 'RATE_LIMITED' });
    }
    expect(openFor(carol.user.id)).toBe(MAX);
  });

  it('gives a slot back when a socket disconnects', async () => {
    const dave = await registerUser(server, 'dave');
    const sockets = await Promise.all(Array.from({ length: MAX }, () => connect(server, dave.token)));
    await refusal(server, dave.token);
    sockets[0]!.close();
    await waitFor(() => openFor(dave.user.id) === MAX - 1, 3_000, 'the server to see the disconnect');
    const again = await connect(server, dave.token);
    expect(await ask(again, 'get_my_chats')).toMatchObject({ success: true });
    // Refused handshakes did not use up slots: closing everything frees all of them.
    closeSockets();
    await waitFor(() => openFor(dave.user.id) === 0, 3_000, 'every socket to close');
    const fresh = await Promise.all(Array.from({ length: MAX }, () => connect(server, dave.token)));
    expect(fresh.every((s) => s.connected)).toBe(true);
  });

  it('an unauthenticated handshake is refused as UNAUTHORIZED, not counted', async () => {
    const erin = await registerUser(server, 'erin');
    for (let i = 0; i < MAX + 2; i++)
      await expect(connect(server, 'garbage')).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    const sockets = await Promise.all(Array.from({ length: MAX }, () => connect(server, erin.token)));
    expect(sockets).toHaveLength(MAX);
  });
});
