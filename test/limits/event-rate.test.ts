import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import { api, ask, connect, createChat, registerUser, useServer, type TestUser } from '../helpers/server.js';
import { emitRaw } from '../helpers/socket-fixtures.js';
import { expectRateLimited, tally } from './rate-limit-answer.js';

/**
 * Issue 17 §2: every event (any name) and every authenticated HTTP request counts against its
 * user's events budget — every socket of the user, and HTTP, together — so that opening more
 * sockets buys no more. Counts refusals; never measures time. A burst sent at once lands in one or
 * two one-second windows, so at most BURST + PER_SECOND pass.
 */
const PER_SECOND = 5;
const BURST = 10;
const MAX_PASSING = BURST + PER_SECOND;

describe('events and HTTP requests per user', () => {
  const server = useServer({ RATE_LIMIT_EVENTS_PER_SECOND: String(PER_SECOND), RATE_LIMIT_EVENT_BURST: String(BURST) });

  /** A user in a chat that someone else created: the user's own budget is untouched so far. */
  async function freshMember(): Promise<{ user: TestUser; chatId: string }> {
    const [user, owner] = await Promise.all([registerUser(server, 'member'), registerUser(server, 'owner')]);
    return { user, chatId: await createChat(server, owner, [user]) };
  }

  it('refuses events past the burst with RATE_LIMITED, for every event name, from all the sockets of the user together', async () => {
    const { user, chatId } = await freshMember();
    const sockets = await Promise.all([
      connect(server, user.token),
      connect(server, user.token),
      connect(server, user.token),
    ]);
    const answers = await Promise.all(
      sockets.flatMap((socket) => [
        ...Array.from({ length: 3 }, () => ask(socket, 'get_my_chats')),
        ...Array.from({ length: 3 }, () => ask(socket, 'join_chat', { chatId })),
        ...Array.from({ length: 3 }, () => ask(socket, 'leave_chat', { chatId })),
        ...Array.from({ length: 3 }, () => ask(socket, 'no_such_event')),
      ]),
    );
    // 12 from each socket: below the burst of any one socket, past the user's.
    const { ok, refused } = tally(answers.filter((answer) => answer.code !== 'VALIDATION_ERROR'));
    expect(ok).toBeLessThanOrEqual(MAX_PASSING);
    expect(refused.length).toBeGreaterThanOrEqual(36 - MAX_PASSING);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.events, 10_000);
  });

  it("counts the user's HTTP requests in the same budget: 429 with Retry-After, and no other user's", async () => {
    const { user } = await freshMember();
    const socket = await connect(server, user.token);
    // Events without a callback and unknown names count too.
    for (let i = 0; i < 20; i++) emitRaw(socket, i % 2 ? 'no_such_event' : 'get_my_chats');
    const refused = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expectRateLimited(await refused.json(), RATE_LIMIT_TEXTS.events, 10_000);
    expectRateLimited(await ask(socket, 'get_my_chats'), RATE_LIMIT_TEXTS.events, 10_000);
    expect(socket.connected).toBe(true);
    // Another user has a budget of their own.
    const { user: other } = await freshMember();
    expect((await api(server, 'GET', '/users/me', { token: other.token })).status).toBe(200);
    expect(await ask(await connect(server, other.token), 'get_my_chats')).toMatchObject({ success: true });
  });

  it('counts HTTP requests first and then refuses the sockets: one budget either way', async () => {
    const { user } = await freshMember();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => api(server, 'GET', '/users/me', { token: user.token }).then((r) => r.status)),
    );
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(MAX_PASSING);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(20 - MAX_PASSING);
    const socket = await connect(server, user.token);
    expectRateLimited(await ask(socket, 'leave_chat', { chatId: 'not-a-chat' }), RATE_LIMIT_TEXTS.events, 10_000);
  });
});
