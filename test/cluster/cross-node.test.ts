import { randomUUID } from 'node:crypto';
import { io as connectClient } from 'socket.io-client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import {
  clusterEnv,
  connectTo,
  fullHistory,
  untilEvent,
  useClusterNodes,
  type ClusterNode,
} from '../helpers/cluster-nodes.js';
import { ask, collect, createChat, nextEvent, registerUser, sleep, type ClientSocket } from '../helpers/server.js';

/**
 * Two real Parley processes on one PostgreSQL and one Redis (contract §3 "on every node", §4):
 * delivery across nodes, idempotent sends racing through both nodes, and catching up after a
 * disconnect — by history, and by connection-state recovery on the other node (src/realtime/recovery.ts).
 */
describe.skipIf(!clusterEnv)('two nodes', () => {
  const nodes = useClusterNodes('A', 'B');
  let a: ClusterNode;
  let b: ClusterNode;
  beforeAll(() => {
    ({ A: a, B: b } = nodes);
  });

  /** Three members of one group chat, registered through either node. */
  async function threeMembers() {
    const alice = await registerUser(a, 'alice');
    const bob = await registerUser(b, 'bob');
    const carol = await registerUser(a, 'carol');
    const chatId = await createChat(b, alice, [bob, carol], `cluster-${randomUUID().slice(0, 6)}`);
    return { alice, bob, carol, chatId };
  }

  async function joined(socket: ClientSocket, chatId: string): Promise<ClientSocket> {
    const answer = await ask(socket, 'join_chat', { chatId });
    expect(answer).toMatchObject({ success: true, messages: expect.any(Array) });
    return socket;
  }

  describe('cross-node delivery', () => {
    it('delivers a message sent via A to members joined on B, and to the sender on A', async () => {
      const { alice, bob, chatId } = await threeMembers();
      const aliceOnA = await joined(await connectTo(a, alice.token), chatId);
      const bobOnB = await joined(await connectTo(b, bob.token), chatId);

      const atBob = nextEvent<Message>(bobOnB, 'new_message');
      const atAlice = nextEvent<Message>(aliceOnA, 'new_message');
      const sent = await ask(aliceOnA, 'send_message', { chatId, text: 'from A' });
      expect(sent).toMatchObject({ success: true, message: { text: 'from A', chatId, sender: alice.user.id } });
      expect(await atBob).toEqual(sent.message);
      expect(await atAlice).toEqual(sent.message);

      // And the other way round.
      const back = nextEvent<Message>(aliceOnA, 'new_message');
      const reply = await ask(bobOnB, 'send_message', { chatId, text: 'from B' });
      expect(reply.success).toBe(true);
      expect(await back).toEqual(reply.message);
    });

    it('leave_chat on B stops delivery to that socket only; join_chat on B starts it again', async () => {
      const { alice, bob, chatId } = await threeMembers();
      const aliceOnA = await joined(await connectTo(a, alice.token), chatId);
      const bobOnB = await joined(await connectTo(b, bob.token), chatId);
      // A second socket of bob on the same node B proves that B did receive the broadcast.
      const witnessOnB = await joined(await connectTo(b, bob.token), chatId);

      expect(await ask(bobOnB, 'leave_chat', { chatId })).toEqual({ success: true });
      const toLeaver = collect<Message>(bobOnB, 'new_message');
      const atWitness = nextEvent<Message>(witnessOnB, 'new_message');
      const sent = await ask(aliceOnA, 'send_message', { chatId, text: 'after leave on B' });
      expect(sent.success).toBe(true);
      expect(await atWitness).toEqual(sent.message);
      await sleep(200); // nothing may trail in on the socket that left
      expect(toLeaver).toEqual([]);

      await joined(bobOnB, chatId);
      const again = nextEvent<Message>(bobOnB, 'new_message');
      const next = await ask(aliceOnA, 'send_message', { chatId, text: 'after rejoin on B' });
      expect(await again).toEqual(next.message);
    });

    it('leave_chat on A stops delivery of messages sent via B', async () => {
      const { alice, bob, chatId } = await threeMembers();
      const aliceOnA = await joined(await connectTo(a, alice.token), chatId);
      const witnessOnA = await joined(await connectTo(a, alice.token), chatId);
      const bobOnB = await joined(await connectTo(b, bob.token), chatId);

      expect(await ask(aliceOnA, 'leave_chat', { chatId })).toEqual({ success: true });
      const toLeaver = collect<Message>(aliceOnA, 'new_message');
      const atWitness = nextEvent<Message>(witnessOnA, 'new_message');
      const sent = await ask(bobOnB, 'send_message', { chatId, text: 'after leave on A' });
      expect(await atWitness).toEqual(sent.message);
      await sleep(200);
      expect(toLeaver).toEqual([]);
      // Leaving the room is not leaving the chat: history still answers.
      const history = await ask(aliceOnA, 'get_chat_messages', { chatId });
      expect(history.messages.map((m: Message) => m.id)).toEqual([sent.message.id]);
    });
  });

  describe('idempotent send across nodes', () => {
    it('10 concurrent sends of one clientMessageId through A and B store and deliver one message', async () => {
      const { alice, carol, chatId } = await threeMembers();
      const aliceOnA = await connectTo(a, alice.token);
      const aliceOnB = await connectTo(b, alice.token);
      const carolOnB = await joined(await connectTo(b, carol.token), chatId);
      const carolOnA = await joined(await connectTo(a, carol.token), chatId);
      const atCarolB = collect<Message>(carolOnB, 'new_message');
      const atCarolA = collect<Message>(carolOnA, 'new_message');

      const clientMessageId = `cmid-${randomUUID()}`;
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          ask(i % 2 === 0 ? aliceOnA : aliceOnB, 'send_message', { chatId, text: 'exactly once', clientMessageId }),
        ),
      );
      for (const answer of answers) expect(answer).toMatchObject({ success: true, message: { text: 'exactly once' } });
      const ids = new Set(answers.map((answer) => answer.message.id));
      expect(ids.size).toBe(1);
      const [id] = ids;

      await untilEvent(carolOnB, 'new_message', () => atCarolB.length >= 1);
      await untilEvent(carolOnA, 'new_message', () => atCarolA.length >= 1);
      // A marker sent afterwards through the other node: once it arrives, any duplicate would have too.
      const marker = await ask(aliceOnB, 'send_message', { chatId, text: 'marker' });
      await untilEvent(carolOnB, 'new_message', () => atCarolB.some((m) => m.id === marker.message.id));
      await untilEvent(carolOnA, 'new_message', () => atCarolA.some((m) => m.id === marker.message.id));
      expect(atCarolB.map((m) => m.id)).toEqual([id, marker.message.id]);
      expect(atCarolA.map((m) => m.id)).toEqual([id, marker.message.id]);

      for (const reader of [carolOnA, carolOnB]) {
        const history = await fullHistory(reader, chatId);
        expect(history.map((m) => m.id)).toEqual([id, marker.message.id]);
      }
    });
  });

  describe('reconnect catch-up', () => {
    it('get_chat_messages {after: lastSeenId} returns exactly the messages missed while disconnected, in order', async () => {
      const { alice, bob, chatId } = await threeMembers();
      const aliceOnA = await connectTo(a, alice.token);
      let bobOnB = await joined(await connectTo(b, bob.token), chatId);

      const seen = nextEvent<Message>(bobOnB, 'new_message');
      await ask(aliceOnA, 'send_message', { chatId, text: 'seen before the cut' });
      const lastSeenId = (await seen).id;
      bobOnB.close();

      const missed: Message[] = [];
      for (let i = 0; i < 7; i++) {
        const answer = await ask(aliceOnA, 'send_message', { chatId, text: `missed ${i}` });
        expect(answer.success).toBe(true);
        missed.push(answer.message);
      }

      bobOnB = await connectTo(b, bob.token);
      const gap = await ask(bobOnB, 'get_chat_messages', { chatId, after: lastSeenId });
      expect(gap).toEqual({ success: true, messages: missed, hasMore: false });
      // Paging through the gap in small pages gives the same sequence.
      const paged: Message[] = [];
      let after = lastSeenId;
      for (let page = 0; page < 10; page++) {
        const answer = await ask(bobOnB, 'get_chat_messages', { chatId, after, limit: 3 });
        paged.push(...answer.messages);
        if (!answer.hasMore) break;
        after = answer.messages.at(-1).id;
      }
      expect(paged).toEqual(missed);
    });

    it('after a short cut the session is recovered on the other node: its chat and the missed messages, in order', async () => {
      const { alice, bob, chatId } = await threeMembers();
      const aliceOnA = await connectTo(a, alice.token);
      const bobOnB = await joined(await connectTo(b, bob.token), chatId);
      const received = collect<Message>(bobOnB, 'new_message');

      await ask(aliceOnA, 'send_message', { chatId, text: 'before the cut' });
      await untilEvent(bobOnB, 'new_message', () => received.length === 1);

      const disconnected = nextEvent<string>(bobOnB, 'disconnect');
      // Closes the transport under the socket, as a network cut would.
      bobOnB.io.engine.close();
      await disconnected;
      const missed: Message[] = [];
      for (const text of ['one', 'two', 'three']) missed.push((await ask(aliceOnA, 'send_message', { chatId, text })).message);

      // The load balancer sends the reconnection to A; the client presents its session.
      const session = bobOnB as unknown as { _pid: string; _lastOffset: string };
      const bobOnA: ClientSocket = connectClient(a.url, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        autoConnect: false,
        auth: { token: bob.token, pid: session._pid, offset: session._lastOffset },
      });
      const recovered = collect<Message>(bobOnA, 'new_message');
      const connected = nextEvent(bobOnA, 'connect', 5_000);
      bobOnA.connect();
      await connected;
      await untilEvent(bobOnA, 'new_message', () => recovered.length === missed.length);
      expect(recovered.map((m) => m.id)).toEqual(missed.map((m) => m.id));

      // Still in the chat's room on A without joining again.
      const after = await ask(aliceOnA, 'send_message', { chatId, text: 'after the cut' });
      await untilEvent(bobOnA, 'new_message', () => recovered.some((m) => m.id === after.message.id));
      expect(recovered.map((m) => m.id)).toEqual([...missed, after.message].map((m) => m.id));
      bobOnA.close();
    });
  });
});
