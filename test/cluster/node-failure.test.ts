import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import {
  clusterEnv,
  connectTo,
  fullHistory,
  readyStatus,
  untilEvent,
  useClusterNodes,
  type ClusterNode,
} from '../helpers/cluster-nodes.js';
import { api, ask, collect, createChat, nextEvent, registerUser } from '../helpers/server.js';

/**
 * Contract §4 when a node goes away: an acknowledged message is durable whatever happens to the
 * node that acknowledged it (SIGKILL), and a node told to stop (SIGTERM) finishes what it is
 * committing, refuses new work, closes its sockets and exits 0. B is the surviving node.
 */
describe.skipIf(!clusterEnv)('node failure', () => {
  const nodes = useClusterNodes('A', 'C', 'D', 'B');
  let killed: ClusterNode;
  let drained: ClusterNode;
  let drainedToo: ClusterNode;
  let b: ClusterNode;
  beforeAll(() => {
    ({ A: killed, C: drained, D: drainedToo, B: b } = nodes);
  });

  async function pair() {
    const alice = await registerUser(b, 'alice');
    const bob = await registerUser(b, 'bob');
    const chatId = await createChat(b, alice, [bob]);
    return { alice, bob, chatId };
  }

  describe('SIGKILL mid-burst', () => {
    it('every acknowledged send survives the crash; retries through B store each message once', async () => {
      const { alice, bob, chatId } = await pair();
      const aliceOnA = await connectTo(killed, alice.token);
      const TOTAL = 200;
      const WINDOW = 8;
      const KILL_AT_ACK = 60;
      const acked = new Map<number, Message>();
      const started: number[] = [];
      let settled = 0;
      let inFlightAtKill = -1;
      let exit: Promise<unknown> | undefined;
      let next = 0;

      async function sender(): Promise<void> {
        while (next < TOTAL && aliceOnA.connected) {
          const i = next++;
          started.push(i);
          try {
            const answer = await ask(aliceOnA, 'send_message', {
              chatId,
              text: `burst ${i}`,
              clientMessageId: `burst-${i}`,
            });
            if (answer.success) acked.set(i, answer.message);
            else throw new Error(`refused: ${JSON.stringify(answer)}`);
          } catch {
            // Not acknowledged (the node died under it): may or may not be stored.
          } finally {
            settled++;
          }
          if (acked.size === KILL_AT_ACK && !exit) {
            inFlightAtKill = started.length - settled;
            exit = killed.stop('SIGKILL', 5_000);
          }
        }
      }
      await Promise.all(Array.from({ length: WINDOW }, sender));

      expect(await exit).toEqual({ code: null, signal: 'SIGKILL' });
      // The kill really happened mid-burst: sends were in flight, and the burst did not finish.
      expect(inFlightAtKill).toBeGreaterThan(0);
      expect(acked.size).toBeGreaterThanOrEqual(KILL_AT_ACK);
      expect(started.length).toBeLessThan(TOTAL);

      const bobOnB = await connectTo(b, bob.token);
      const history = await fullHistory(bobOnB, chatId);
      const byId = new Map(history.map((message) => [message.id, message]));
      expect(byId.size).toBe(history.length);
      for (const message of acked.values()) expect(byId.get(message.id)).toEqual(message);
      // Nothing beyond what was sent, and (createdAt, id) strictly increases along the history.
      expect(history.length).toBeLessThanOrEqual(started.length);
      for (let k = 1; k < history.length; k++) {
        const [prev, cur] = [history[k - 1]!, history[k]!];
        expect(prev.createdAt < cur.createdAt || (prev.createdAt === cur.createdAt && prev.id < cur.id)).toBe(true);
      }

      // The client retries everything it started through the surviving node, same clientMessageId:
      // acknowledged ones answer the original, and every message ends up stored exactly once.
      const aliceOnB = await connectTo(b, alice.token);
      for (const i of started) {
        const answer = await ask(aliceOnB, 'send_message', {
          chatId,
          text: `burst ${i}`,
          clientMessageId: `burst-${i}`,
        });
        expect(answer.success).toBe(true);
        if (acked.has(i)) expect(answer.message).toEqual(acked.get(i));
      }
      const after = await fullHistory(bobOnB, chatId);
      expect(after.map((m) => m.text).sort()).toEqual(started.map((i) => `burst ${i}`).sort());
    }, 40_000);
  });

  describe('SIGTERM drains', () => {
    it('answers 503, refuses new sockets, finishes the running send, disconnects its sockets and exits 0', async () => {
      const { alice, bob, chatId } = await pair();
      const aliceOnC = await connectTo(drained, alice.token);
      const bobOnB = await connectTo(b, bob.token);
      expect(await ask(bobOnB, 'join_chat', { chatId })).toMatchObject({ success: true });
      const atBob = collect<Message>(bobOnB, 'new_message');

      const before = await ask(aliceOnC, 'send_message', { chatId, text: 'acknowledged before SIGTERM' });
      expect(before.success).toBe(true);

      // Hold the chat row's lock so that the next send is still running when SIGTERM arrives.
      const locker = new pg.Client({ connectionString: clusterEnv!.databaseUrl });
      await locker.connect();
      let locked = false;
      try {
        await locker.query('BEGIN');
        await locker.query('SELECT 1 FROM chats WHERE id = $1 FOR UPDATE', [chatId]);
        locked = true;
        const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        const running = ask(aliceOnC, 'send_message', { chatId, text: 'in flight during SIGTERM' });
        running.catch(() => {}); // awaited below; a failure earlier must not also be unhandled
        await waitFor(async () => {
          const { rows } = await locker.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
            [lockerPid],
          );
          return rows[0]!.n > 0;
        }, 'the send to wait for the lock');

        const disconnected = nextEvent<string>(aliceOnC, 'disconnect', 10_000);
        drained.signal('SIGTERM');
        // Draining: not ready (a load balancer takes it out), new sockets refused, old ones still open.
        await waitFor(async () => (await readyStatus(drained)) === 503, '/ready to answer 503');
        const ready = await api(drained, 'GET', '/ready');
        expect(ready).toMatchObject({ status: 503, body: { success: false, code: 'UNAVAILABLE', status: 'draining' } });
        const refused = await connectTo(drained, bob.token).then(
          () => undefined,
          (error: Error & { data?: unknown }) => error,
        );
        expect(refused?.data).toEqual({ code: 'UNAVAILABLE' });
        expect(aliceOnC.connected).toBe(true);
        expect(drained.running).toBe(true);

        await locker.query('COMMIT');
        locked = false;
        const inFlight = await running;
        expect(inFlight).toMatchObject({ success: true, message: { text: 'in flight during SIGTERM' } });
        // Not "io server disconnect": the client reconnects by itself (to another node).
        expect(await disconnected).toBe('transport close');
        expect(await drained.waitExit(10_000)).toEqual({ code: 0, signal: null });

        // Both are durable and readable through B, and B's member got both live.
        const history = await fullHistory(bobOnB, chatId);
        expect(history).toEqual([before.message, inFlight.message]);
        await untilEvent(bobOnB, 'new_message', () => atBob.length >= 2);
        expect(atBob).toEqual([before.message, inFlight.message]);
        expect(await readyStatus(b)).toBe(200);
      } finally {
        if (locked) await locker.query('ROLLBACK').catch(() => {});
        await locker.end();
      }
    }, 30_000);

    it("a drained node's client reconnects to another node and catches up there with join_chat and sync: nothing lost, in version order", async () => {
      const { alice, bob, chatId } = await pair();
      const aliceOnD = await connectTo(drainedToo, alice.token, { reconnect: true });
      // As a load balancer would, send the reconnection to a node that is still up.
      (aliceOnD.io as unknown as { uri: string }).uri = b.url;
      expect(await ask(aliceOnD, 'join_chat', { chatId })).toMatchObject({ success: true, version: 0 });
      const bobOnB = await connectTo(b, bob.token);
      const atAlice = collect<Message>(aliceOnD, 'new_message');

      const first = await ask(bobOnB, 'send_message', { chatId, text: 'before the drain' });
      await untilEvent(aliceOnD, 'new_message', () => atAlice.length === 1);
      // The last version the client holds of the chat.
      const held = atAlice[0]!.version;
      expect(held).toBe(1);

      const disconnected = nextEvent<string>(aliceOnD, 'disconnect', 10_000);
      drainedToo.signal('SIGTERM');
      expect(await disconnected).toBe('transport close');
      const reconnected = nextEvent(aliceOnD, 'connect', 5_000);
      const missed = await ask(bobOnB, 'send_message', { chatId, text: 'while switching nodes' });
      expect(missed.success).toBe(true);
      await reconnected;
      expect(await drainedToo.waitExit(10_000)).toEqual({ code: 0, signal: null });

      // Reconnected to B on a new session: B restores no rooms, so the client joins again and
      // syncs from the version it held (contract §5).
      expect(aliceOnD.recovered).not.toBe(true);
      const rejoined = await ask(aliceOnD, 'join_chat', { chatId });
      expect(rejoined).toMatchObject({ success: true, version: 2 });
      const sync = await ask(aliceOnD, 'sync', { chats: [{ chatId, version: held }] });
      expect(sync).toStrictEqual({
        success: true,
        chats: [{ success: true, chatId, version: 2, messages: [missed.message], events: [], hasMore: false }],
      });
      expect(missed.message.version).toBe(2);

      const later = await ask(bobOnB, 'send_message', { chatId, text: 'after the switch' });
      await untilEvent(aliceOnD, 'new_message', () => atAlice.some((m) => m.id === later.message.id));
      // Live: what came before the drain and after the rejoin; the message in between came by sync.
      expect(atAlice.map((m) => m.id)).toEqual([first.message.id, later.message.id]);
      expect([...atAlice, ...sync.chats[0].messages].map((m: Message) => m.version).sort((x, y) => x - y)).toEqual([
        1, 2, 3,
      ]);
      // History through B agrees.
      const gap = await ask(aliceOnD, 'get_chat_messages', { chatId, after: first.message.id });
      expect(gap.messages.map((m: Message) => m.id)).toEqual([missed.message.id, later.message.id]);
    }, 30_000);
  });
});

/** Re-checks `condition` every 50 ms for at most `ms`. */
async function waitFor(condition: () => Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
