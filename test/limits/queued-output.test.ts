import { io as connectClient } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { timesLimited } from '../helpers/metrics.js';
import { eventPacket, RawPollingSession, rawWebSocket } from '../helpers/raw-clients.js';
import { ask, connect, createChat, registerUser, sleep, useServer, type ClientSocket } from '../helpers/server.js';
import { history, sendOk, waitFor } from '../helpers/socket-fixtures.js';

/**
 * Issue 17 §1: the bytes queued for one connection and not yet sent are capped
 * (MAX_QUEUED_BYTES_PER_CONNECTION). A client that stops reading while it keeps asking for
 * history pages is cut once its backlog is past the cap — on WebSocket (what ws holds counts) and
 * on long-polling (a client that never polls) — and everyone else, its own user's other
 * connections included, goes on being served. A client that reads is never cut, even by an
 * answer larger than the cap. Counts cuts; never measures time or memory.
 */
const CAP = 64 * 1024;
/** A history page of 50 such messages is about 115 KB: each is larger than the cap. */
const PAGE = 50;
const TEXT_LENGTH = 2_000;

describe('bytes queued per connection', () => {
  const server = useServer({ MAX_QUEUED_BYTES_PER_CONNECTION: String(CAP) });

  async function chatWithHistory(): Promise<{
    chatId: string;
    token: string;
    aliceSocket: ClientSocket;
    bobSocket: ClientSocket;
  }> {
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    const chatId = await createChat(server, alice, [bob]);
    const [aliceSocket, bobSocket] = await Promise.all([connect(server, alice.token), connect(server, bob.token)]);
    for (let i = 0; i < PAGE; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) => sendOk(aliceSocket, chatId, `${i + j} ${'x'.repeat(TEXT_LENGTH)}`)),
      );
    }
    return { chatId, token: alice.token, aliceSocket, bobSocket };
  }

  const isConnected = (sid: string) => server.app.io.of('/').sockets.has(sid);

  /** The others go on: the other member's send, and the same user's connection that reads. */
  async function othersServed(setup: Awaited<ReturnType<typeof chatWithHistory>>): Promise<void> {
    await sendOk(setup.bobSocket, setup.chatId, 'still served');
    expect((await history(setup.aliceSocket, { chatId: setup.chatId, limit: PAGE })).messages).toHaveLength(PAGE);
  }

  it('cuts a WebSocket whose reader stopped once its backlog is past the cap; the others are served', async () => {
    const setup = await chatWithHistory();
    const cutsBefore = await timesLimited(server, 'output_queue');
    const stalled = await rawWebSocket(server, setup.token);
    stalled.webSocket.on('error', () => undefined);
    // Stops reading: what the server sends piles up in the kernel, then in the server.
    stalled.webSocket.pause();
    for (let id = 0; isConnected(stalled.sid) && id < 2_000; id++) {
      stalled.webSocket.send(eventPacket(id, 'get_chat_messages', { chatId: setup.chatId, limit: PAGE }));
      if (id % 20 === 19) await sleep(20);
    }
    await waitFor(() => !isConnected(stalled.sid), 10_000, 'the stalled WebSocket cut');
    expect(await timesLimited(server, 'output_queue')).toBe(cutsBefore + 1);
    await othersServed(setup);
    // The TCP connection was destroyed, not closed with a handshake the client would never read.
    stalled.webSocket.resume();
    expect(await stalled.closed).toBe(1006);
  });

  it('cuts a long-polling client that never polls once its backlog is past the cap; the others are served', async () => {
    const setup = await chatWithHistory();
    const cutsBefore = await timesLimited(server, 'output_queue');
    const stalled = await RawPollingSession.open(server, setup.token);
    for (let round = 0; isConnected(stalled.sid) && round < 100; round++) {
      const ids = Array.from({ length: 5 }, (_, i) => round * 5 + i);
      await stalled.post(
        ...ids.map((id) => eventPacket(id, 'get_chat_messages', { chatId: setup.chatId, limit: PAGE })),
      );
      await sleep(20);
    }
    await waitFor(() => !isConnected(stalled.sid), 10_000, 'the stalled long-polling session cut');
    expect(await timesLimited(server, 'output_queue')).toBe(cutsBefore + 1);
    // The session is gone with its queue: a late poll is refused by Engine.IO.
    expect((await stalled.poll()).status).toBe(400);
    await othersServed(setup);
  });

  it('never cuts a client that reads, even for answers larger than the cap, on either transport', async () => {
    const setup = await chatWithHistory();
    const cutsBefore = await timesLimited(server, 'output_queue');
    const polling: ClientSocket = connectClient(server.url, {
      transports: ['polling'],
      auth: { token: setup.token },
      forceNew: true,
      reconnection: false,
    });
    try {
      await new Promise((resolve, reject) =>
        polling.once('connect', () => resolve(undefined)).once('connect_error', reject),
      );
      const pages = await Promise.all(
        [setup.aliceSocket, polling, setup.aliceSocket, polling].map((socket) =>
          ask(socket, 'get_chat_messages', { chatId: setup.chatId, limit: PAGE }),
        ),
      );
      for (const page of pages) expect(page).toMatchObject({ success: true, messages: expect.any(Array) });
      expect(pages.map((page) => page.messages.length)).toEqual([PAGE, PAGE, PAGE, PAGE]);
      expect(setup.aliceSocket.connected && polling.connected).toBe(true);
      expect(await timesLimited(server, 'output_queue')).toBe(cutsBefore);
    } finally {
      polling.close();
    }
  });
});
