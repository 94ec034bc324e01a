import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import {
  api,
  ask,
  connect,
  createChat,
  registerUser,
  useServer,
  type ClientSocket,
  type TestUser,
} from '../helpers/server.js';
import { sendOk } from '../helpers/socket-fixtures.js';
import { expectRateLimited, tally } from './rate-limit-answer.js';

/**
 * Issue 17 §2: reads — a history page, a chat list, join_chat, sync, a user search, on a socket or
 * over HTTP — count against one budget per user (RATE_LIMIT_READS_PER_SECOND, burst
 * RATE_LIMIT_READ_BURST), so that a flood of history pages cannot stall everyone else. Counts refusals;
 * never measures time. A burst sent at once lands in one or two one-second windows.
 */
const PER_SECOND = 2;
const BURST = 5;
const MAX_PASSING = BURST + PER_SECOND;
const MAX_RETRY_MS = 10_000;

describe('reads per user', () => {
  const server = useServer({ RATE_LIMIT_READS_PER_SECOND: String(PER_SECOND), RATE_LIMIT_READ_BURST: String(BURST) });

  /** A user in a chat someone else created, with two sockets: no read of theirs counted yet. */
  async function reader(): Promise<{ user: TestUser; chatId: string; sockets: [ClientSocket, ClientSocket] }> {
    const [user, owner] = await Promise.all([registerUser(server, 'reader'), registerUser(server, 'owner')]);
    const chatId = await createChat(server, owner, [user]);
    return { user, chatId, sockets: [await connect(server, user.token), await connect(server, user.token)] };
  }

  it('counts every read event of the user, from all their sockets together, and answers RATE_LIMITED past the burst', async () => {
    const { chatId, sockets } = await reader();
    const reads: Array<[string, unknown?]> = [
      ['get_chat_messages', { chatId }],
      ['get_my_chats'],
      ['get_my_chats', { limit: 5 }],
      ['join_chat', { chatId }],
      ['sync', { chats: [{ chatId, version: 0 }] }],
    ];
    const answers = await Promise.all(
      sockets.flatMap((socket) =>
        reads.flatMap(([event, payload]) => [ask(socket, event, payload), ask(socket, event, payload)]),
      ),
    );
    const { ok, refused } = tally(answers);
    expect(ok).toBeGreaterThanOrEqual(BURST);
    expect(ok).toBeLessThanOrEqual(MAX_PASSING);
    expect(refused).toHaveLength(answers.length - ok);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.reads, MAX_RETRY_MS);
    // Sends are not reads: the user still writes.
    await sendOk(sockets[0], chatId, 'writing is another budget');
  });

  it('counts malformed reads and reads of chats that are not the user’s, so that probing costs the same', async () => {
    const { sockets } = await reader();
    const stranger = await reader();
    const payloads = [
      { chatId: 42 },
      {},
      'not an object',
      { chatId: stranger.chatId },
      { chatId: stranger.chatId, limit: 100_000 },
    ];
    const answers = await Promise.all(
      [...payloads, ...payloads].map((payload) => ask(sockets[0], 'get_chat_messages', payload)),
    );
    const refused = answers.filter((answer) => answer.code === 'RATE_LIMITED');
    expect(refused.length).toBeGreaterThanOrEqual(answers.length - MAX_PASSING);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.reads, MAX_RETRY_MS);
    // The stranger's budget is untouched.
    expect(await ask(stranger.sockets[0], 'get_chat_messages', { chatId: stranger.chatId })).toMatchObject({
      success: true,
    });
  });

  it('counts the HTTP reads in the same budget and answers 429 with Retry-After and the envelope', async () => {
    const { user, chatId, sockets } = await reader();
    const requests: Array<[string, string, unknown?]> = [
      ['GET', '/chats'],
      ['GET', '/chats?limit=5'],
      ['GET', `/chats/${chatId}/messages?limit=5`],
      ['GET', '/users?search=re'],
      ['POST', '/sync', { chats: [{ chatId, version: 0 }] }],
    ];
    const responses = [];
    for (let round = 0; round < 3; round++) {
      for (const [method, path, body] of requests)
        responses.push(await api(server, method, path, { token: user.token, body }));
    }
    const refused = responses.filter((response) => response.status === 429);
    expect(responses.length - refused.length).toBeLessThanOrEqual(MAX_PASSING);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) expectRateLimited(response.body, RATE_LIMIT_TEXTS.reads, MAX_RETRY_MS);
    const raw = await fetch(`${server.url}/chats`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The sockets of the same user share the budget.
    expectRateLimited(await ask(sockets[1], 'get_my_chats'), RATE_LIMIT_TEXTS.reads, MAX_RETRY_MS);
    // Another user's reads are their own.
    const other = await reader();
    expect((await api(server, 'GET', '/chats', { token: other.user.token })).status).toBe(200);
  });
});
