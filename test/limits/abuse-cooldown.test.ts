import { describe, expect, it, vi } from 'vitest';
import { CUT_OFF_TEXT } from '../../src/limits/abuse-cooldown.js';
import type { HandshakeError } from '../helpers/auth-tokens.js';
import { timesLimited } from '../helpers/metrics.js';
import { eventPacket, RawPollingSession } from '../helpers/raw-clients.js';
import { ask, connect, registerUser, sleep, useServer, type ClientSocket } from '../helpers/server.js';
import { waitFor } from '../helpers/socket-fixtures.js';

/**
 * Issue 17: a user who keeps sending past their limits is cut off, so that answering their
 * refusals stops costing everyone else: past RATE_LIMIT_ABUSE_REFUSALS refusals within 10 s their
 * sockets are closed and their connections refused (RATE_LIMITED, retryAfterMs) for
 * RATE_LIMIT_ABUSE_COOLDOWN_SECONDS. Counts refusals and closed sockets; never measures time.
 */
const MAX_REFUSALS = 20;
const BURST = 5;

/** Connects and expects the handshake to be refused; returns the connect_error. */
async function refusedConnection(server: { url: string }, token: string): Promise<HandshakeError> {
  try {
    (await connect(server, token)).close();
  } catch (error) {
    return error as HandshakeError;
  }
  throw new Error('the handshake was accepted but should have been refused');
}

const closed = (socket: ClientSocket) => new Promise<string>((resolve) => socket.once('disconnect', resolve));

describe('cutting off a user whose requests keep being refused', () => {
  const server = useServer({
    RATE_LIMIT_EVENTS_PER_SECOND: '1',
    RATE_LIMIT_EVENT_BURST: String(BURST),
    RATE_LIMIT_ABUSE_REFUSALS: String(MAX_REFUSALS),
    RATE_LIMIT_ABUSE_COOLDOWN_SECONDS: '2',
  });

  it('closes every socket of the user past the refusals, refuses their connections meanwhile, and counts it', async () => {
    const [abuser, other] = await Promise.all([registerUser(server, 'abuser'), registerUser(server, 'other')]);
    const sockets = await Promise.all([connect(server, abuser.token), connect(server, abuser.token)]);
    const bystander = await connect(server, other.token);
    const cutOffBefore = await timesLimited(server, 'abuse_cooldown');
    const disconnects = sockets.map(closed);

    // Up to the refusals allowed, every request is answered (served or RATE_LIMITED) and nothing is cut.
    const answers = await Promise.all(
      Array.from({ length: BURST + MAX_REFUSALS }, () => ask(sockets[0], 'get_my_chats')),
    );
    expect(answers.filter((a) => a.success)).toHaveLength(BURST);
    expect(answers.filter((a) => a.code === 'RATE_LIMITED')).toHaveLength(MAX_REFUSALS);
    expect(sockets.every((socket) => socket.connected)).toBe(true);

    // One refusal more: both sockets are closed by the server.
    sockets[1].emit('get_my_chats', () => {});
    expect(await Promise.all(disconnects)).toEqual(['io server disconnect', 'io server disconnect']);
    expect(await timesLimited(server, 'abuse_cooldown')).toBe(cutOffBefore + 1);

    // Meanwhile a connection is refused with the time left, before the account is read (a user
    // reconnecting in a loop costs no query); it counts as a refusal of the limit.
    const accountReads = vi.spyOn(server.app.store.users, 'findAccount');
    const refusal = await refusedConnection(server, abuser.token);
    expect(accountReads).not.toHaveBeenCalled();
    accountReads.mockRestore();
    expect(refusal.message).toBe(CUT_OFF_TEXT);
    expect(refusal.data).toEqual({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    const { retryAfterMs } = refusal.data as { retryAfterMs: number };
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(2_000);
    expect(await timesLimited(server, 'abuse_cooldown')).toBe(cutOffBefore + 2);

    // Nobody else is affected.
    expect(bystander.connected).toBe(true);
    expect(await ask(bystander, 'get_my_chats')).toEqual({ success: true, chats: [] });
    await connect(server, other.token);

    // Once the cooldown is over, the user connects again.
    await sleep(retryAfterMs + 50);
    const again = await connect(server, abuser.token);
    expect(again.connected).toBe(true);
  });

  it('closes a long-polling session that only posts, at once', async () => {
    const abuser = await registerUser(server, 'poster');
    const session = await RawPollingSession.open(server, abuser.token);
    // More refusals than allowed, in one body that is never followed by a poll.
    const packets = Array.from({ length: BURST + MAX_REFUSALS + 1 }, (_, id) => eventPacket(id, 'get_my_chats'));
    expect(await session.post(...packets)).toEqual({ status: 200 });
    await waitFor(() => !server.app.io.of('/').sockets.has(session.sid), 5_000, 'the session closed');
    // The engine's session is gone too: the next body is refused.
    expect((await session.post(eventPacket(0, 'get_my_chats'))).status).toBe(400);
  });

  it('does not cut off a user whose refusals stay within the allowance', async () => {
    const user = await registerUser(server, 'polite');
    const socket = await connect(server, user.token);
    const answers = await Promise.all(Array.from({ length: BURST + MAX_REFUSALS }, () => ask(socket, 'get_my_chats')));
    expect(answers.filter((a) => a.code === 'RATE_LIMITED')).toHaveLength(MAX_REFUSALS);
    // The user stays connected, may connect again, and is served once the budget has refilled.
    expect(socket.connected).toBe(true);
    await sleep(1_100);
    expect((await ask(socket, 'get_my_chats')).success).toBe(true);
    (await connect(server, user.token)).close();
  });
});

describe('RATE_LIMIT_ABUSE_REFUSALS = 0', () => {
  const server = useServer({
    RATE_LIMIT_EVENTS_PER_SECOND: '1',
    RATE_LIMIT_EVENT_BURST: '1',
    RATE_LIMIT_ABUSE_REFUSALS: '0',
  });

  it('never cuts anyone off', async () => {
    const user = await registerUser(server, 'flooder');
    const socket = await connect(server, user.token);
    const answers = await Promise.all(Array.from({ length: 200 }, () => ask(socket, 'get_my_chats')));
    expect(answers.filter((a) => a.code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(198);
    expect(socket.connected).toBe(true);
    expect(await timesLimited(server, 'abuse_cooldown')).toBe(0);
  });
});
