import { describe, expect, it } from 'vitest';
import { MAX_PACKETS_PER_POLLING_REQUEST } from '../../src/realtime/polling-payloads.js';
import { timesLimited } from '../helpers/metrics.js';
import { eventPacket, PACKET_SEPARATOR, RawPollingSession } from '../helpers/raw-clients.js';
import { ask, connect, registerUser, useServer } from '../helpers/server.js';
import { waitFor } from '../helpers/socket-fixtures.js';

/**
 * Issue 17 §1: a long-polling request body is bounded in packets as well as bytes. ~4,000 events
 * fit in its 64 KiB; past MAX_PACKETS_PER_POLLING_REQUEST the session is closed and the rest of
 * the body is not processed. Counts events answered and sessions closed; never measures time.
 */
describe('packets per long-polling request body', () => {
  const server = useServer();

  /** Polls until the answers to `count` events (ids 0 … count − 1) have come. */
  async function pollAnswers(session: RawPollingSession, count: number): Promise<Set<number>> {
    const ids = new Set<number>();
    while (ids.size < count) {
      const { status, body } = await session.poll();
      expect(status).toBe(200);
      for (const packet of body.split(PACKET_SEPARATOR)) {
        const ack = /^43(\d+)\[/.exec(packet);
        if (ack) ids.add(Number(ack[1]));
      }
    }
    return ids;
  }

  it('serves a body of exactly the limit: every event is answered and the session goes on', async () => {
    const alice = await registerUser(server, 'alice');
    const session = await RawPollingSession.open(server, alice.token);
    const packets = Array.from({ length: MAX_PACKETS_PER_POLLING_REQUEST }, (_, id) => eventPacket(id, 'get_my_chats'));
    expect(await session.post(...packets)).toEqual({ status: 200 });
    const answered = await pollAnswers(session, MAX_PACKETS_PER_POLLING_REQUEST);
    expect([...answered].sort((a, b) => a - b)).toEqual(packets.map((_, id) => id));
    expect(server.app.io.of('/').sockets.has(session.sid)).toBe(true);
  });

  it('closes the session of a body packed with more, handling none past the limit, and counts it', async () => {
    const alice = await registerUser(server, 'alice');
    const session = await RawPollingSession.open(server, alice.token);
    const closedBefore = await timesLimited(server, 'polling_packets');
    const handled = () => server.app.io.of('/').sockets.has(session.sid);
    // ~4,000 events fit in the 64 KiB a body may have: the attack the limit is for.
    const packets = Array.from({ length: 4_000 }, (_, id) => eventPacket(id, 'x'));
    expect(packets.join(PACKET_SEPARATOR).length).toBeLessThan(64 * 1024);
    await session.post(...packets);
    await waitFor(() => !handled(), 5_000, 'the session closed');
    expect(await timesLimited(server, 'polling_packets')).toBe(closedBefore + 1);
    expect((await session.poll()).status).toBe(400);
    // The events past the limit were never handled: at most the limit were counted.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const unknownEvents = /parley_socket_events_total\{event="unknown",outcome="VALIDATION_ERROR"\} (\d+)/.exec(
      metrics,
    );
    expect(Number(unknownEvents?.[1] ?? 0)).toBeLessThanOrEqual(MAX_PACKETS_PER_POLLING_REQUEST);

    // The user and everyone else carry on: a fresh connection is served.
    const socket = await connect(server, alice.token);
    expect(await ask(socket, 'get_my_chats')).toEqual({ success: true, chats: [] });
  });

  it('does not bound WebSocket: each frame is one packet, however many arrive at once', async () => {
    const alice = await registerUser(server, 'alice');
    const socket = await connect(server, alice.token);
    const closedBefore = await timesLimited(server, 'polling_packets');
    const answers = await Promise.all(
      Array.from({ length: MAX_PACKETS_PER_POLLING_REQUEST + 50 }, () => ask(socket, 'get_my_chats')),
    );
    // Each answered (the other limits may refuse some), none dropped, the connection kept.
    for (const answer of answers) expect(answer.success || answer.code === 'RATE_LIMITED').toBe(true);
    expect(socket.connected).toBe(true);
    expect(await timesLimited(server, 'polling_packets')).toBe(closedBefore);
  });
});
