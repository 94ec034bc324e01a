import { describe, expect, it } from 'vitest';
import { TEXTS } from '../../src/errors.js';
import { timesLimited } from '../helpers/metrics.js';
import { unreadRequest } from '../helpers/raw-clients.js';
import { api, ask, connect, createChat, registerUser, useServer, type TestServer } from '../helpers/server.js';
import { sendOk, waitFor } from '../helpers/socket-fixtures.js';

const BUSY = { success: false, code: 'RATE_LIMITED', error: TEXTS.tooManyInFlight, retryAfterMs: 1_000 };

/**
 * Issue 17 §2: the rate limits bound how fast a user's requests arrive, not how many of them hold
 * the node while they wait on the database. At most MAX_CONCURRENT_REQUESTS_PER_USER of a user's
 * events and HTTP requests run at once on a node, the next MAX_WAITING_REQUESTS_PER_USER wait,
 * and more answer RATE_LIMITED — however many sockets the user opens. Counts answers; never
 * measures time.
 */
describe('requests in flight per user', () => {
  const RUNNING = 2;
  const WAITING = 5;
  const server = useServer({
    MAX_CONCURRENT_REQUESTS_PER_USER: String(RUNNING),
    MAX_WAITING_REQUESTS_PER_USER: String(WAITING),
  });

  it("refuses a user's requests past the line from all their sockets together, and serves them again once answered", async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const chatId = await createChat(server, alice, [bob]);
    const sockets = await Promise.all(Array.from({ length: 4 }, () => connect(server, alice.token)));
    const refusedBefore = await timesLimited(server, 'in_flight');
    // 15 each: few for one socket, far past the user's 7 (RUNNING + WAITING).
    const answers = await Promise.all(
      sockets.flatMap((socket) => Array.from({ length: 15 }, () => ask(socket, 'get_my_chats'))),
    );
    const refused = answers.filter((answer) => !answer.success);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) expect(answer).toStrictEqual(BUSY);
    expect(answers.length - refused.length).toBeGreaterThanOrEqual(RUNNING + WAITING);
    expect(await timesLimited(server, 'in_flight')).toBe(refusedBefore + refused.length);
    // Nothing is left running: every socket of the user is served normally again.
    for (const socket of sockets) await sendOk(socket, chatId, 'still here');
  });

  it('refuses malformed and foreign requests past the line too: the line is taken before validation', async () => {
    const alice = await registerUser(server, 'alice');
    const stranger = await registerUser(server, 'stranger');
    const foreignChat = await createChat(server, stranger, [await registerUser(server, 'other')]);
    const socket = await connect(server, alice.token);
    const payloads = [{ chatId: 42 }, {}, { chatId: foreignChat }, { chatId: foreignChat, limit: 1_000 }];
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => ask(socket, 'get_chat_messages', payloads[i % payloads.length])),
    );
    expect(answers.some((answer) => answer.code === 'RATE_LIMITED')).toBe(true);
    for (const answer of answers) expect(['VALIDATION_ERROR', 'FORBIDDEN', 'RATE_LIMITED']).toContain(answer.code);
  });
});

describe("a user's HTTP requests in the same line", () => {
  // One request at a time and none waiting: a response the client does not read holds the line.
  const server = useServer({
    MAX_CONCURRENT_REQUESTS_PER_USER: '1',
    MAX_WAITING_REQUESTS_PER_USER: '0',
    MAX_MESSAGE_LENGTH: '60000',
  });

  it("holds the user's turn while a response is not read, refuses their other requests meanwhile, and no one else's", async () => {
    const { alice, bob, aliceSocket, unread } = await aliceReadingAPageSheDoesNotRead(server);
    try {
      // Once the unread response holds Alice's one turn, her requests are refused, on HTTP…
      await waitFor(
        async () => (await api(server, 'GET', '/users/me', { token: alice.token })).status === 429,
        10_000,
        "Alice's line full",
      );
      const refused = await fetch(`${server.url}/chats`, { headers: { authorization: `Bearer ${alice.token}` } });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toStrictEqual(BUSY);
      // …and on her sockets: one line per user, whatever the transport.
      expect(await ask(aliceSocket, 'get_my_chats')).toStrictEqual(BUSY);
      // Bob's turn is his own.
      expect((await api(server, 'GET', '/chats', { token: bob.token })).status).toBe(200);
    } finally {
      unread.destroy();
    }
    // The connection gone, the turn is given back.
    await waitFor(
      async () => (await api(server, 'GET', '/users/me', { token: alice.token })).status === 200,
      10_000,
      "Alice's line free",
    );
    expect(await ask(aliceSocket, 'get_my_chats')).toMatchObject({ success: true });
  });
});

describe("a user's reads, one at a time", () => {
  // Four requests at once, of which one read, and none waiting: a second read is refused at once.
  const server = useServer({
    MAX_CONCURRENT_REQUESTS_PER_USER: '4',
    MAX_CONCURRENT_READS_PER_USER: '1',
    MAX_WAITING_REQUESTS_PER_USER: '0',
    MAX_MESSAGE_LENGTH: '60000',
  });

  it("refuses a user's second read while their first holds the read turn, lets their writes and others' reads through", async () => {
    const { alice, bob, chatId, aliceSocket, unread } = await aliceReadingAPageSheDoesNotRead(server);
    try {
      // Once the unread page holds Alice's read turn, her other reads are refused, on either transport…
      await waitFor(
        async () => (await ask(aliceSocket, 'get_my_chats')).success === false,
        10_000,
        "Alice's read turn taken",
      );
      expect(await ask(aliceSocket, 'get_chat_messages', { chatId, limit: 1 })).toStrictEqual(BUSY);
      expect((await api(server, 'GET', '/chats', { token: alice.token })).status).toBe(429);
      // …while her requests that are not reads still have turns…
      expect(await ask(aliceSocket, 'send_message', { chatId, text: 'a write goes by' })).toMatchObject({
        success: true,
      });
      expect((await api(server, 'GET', '/users/me', { token: alice.token })).status).toBe(200);
      // …and Bob's reads are his own.
      const bobSocket = await connect(server, bob.token);
      expect(await ask(bobSocket, 'get_chat_messages', { chatId, limit: 1 })).toMatchObject({ success: true });
    } finally {
      unread.destroy();
    }
    await waitFor(
      async () => (await ask(aliceSocket, 'get_my_chats')).success === true,
      10_000,
      "Alice's read turn free",
    );
  });
});

/**
 * Alice and Bob in a chat of 100 messages of 60,000 characters, and Alice's HTTP request for the
 * page of them (6 MB, more than the kernel takes for a client) whose response she does not read.
 */
async function aliceReadingAPageSheDoesNotRead(server: TestServer) {
  const alice = await registerUser(server, 'alice');
  const bob = await registerUser(server, 'bob');
  const chatId = await createChat(server, alice, [bob]);
  const aliceSocket = await connect(server, alice.token);
  for (let i = 0; i < 100; i++) await sendOk(aliceSocket, chatId, `${i} ${'x'.repeat(59_990)}`);
  const unread = unreadRequest(server, 'GET', `/chats/${chatId}/messages?limit=100`, alice.token);
  return { alice, bob, chatId, aliceSocket, unread };
}
