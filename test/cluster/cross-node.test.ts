import { randomUUID } from 'node:crypto';
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
 * Two real Parley processes on one PostgreSQL and one Redis (contract §3 "on every node", §4, §5):
 * delivery across nodes, idempotent sends racing through both nodes, and catching up after a
 * disconnect — by history, and by the reconnect recipe (a fresh socket, join_chat, sync) on the
 * other node.
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

    it('after a short cut a fresh socket on the other node catches up with join_chat and sync: exactly what it missed, in version order', async () => {
      const { alice, bob, chatId } = await threeMembers();
      const aliceOnA = await connectTo(a, alice.token);
      const bobOnB = await joined(await connectTo(b, bob.token), chatId);
      const received = collect<Message>(bobOnB, 'new_message');

      const before = await ask(aliceOnA, 'send_message', { chatId, text: 'before the cut' });
      await untilEvent(bobOnB, 'new_message', () => received.length === 1);
      expect(received).toEqual([before.message]);
      // The last version the client holds of the chat.
      const held = received[0]!.version;
      expect(held).toBe(1);

      const disconnected = nextEvent<string>(bobOnB, 'disconnect');
      // Closes the transport under the socket, as a network cut would.
      bobOnB.io.engine.close();
      await disconnected;
      // While bob is away: three new messages, an edit of one and the deletion of another.
      const sent: Message[] = [];
      for (const text of ['missed one', 'missed two, deleted while away', 'missed three']) {
        sent.push((await ask(aliceOnA, 'send_message', { chatId, text })).message);
      }
      const [one, two, three] = sent as [Message, Message, Message];
      const edited = await ask(aliceOnA, 'edit_message', { messageId: one.id, text: 'missed one, edited while away' });
      const deleted = await ask(aliceOnA, 'delete_message', { messageId: two.id });
      expect([one, two, three, edited.message, deleted.message].map((m) => m.version)).toEqual([2, 3, 4, 5, 6]);

      // The load balancer sends the reconnection to A: a fresh authenticated socket, then the
      // reconnect recipe (contract §5): get_my_chats, join_chat, sync from the version held.
      const bobOnA = await connectTo(a, bob.token);
      const live = collect<Message>(bobOnA, 'new_message');
      const chats = await ask(bobOnA, 'get_my_chats');
      expect(chats.chats.find((chat: { id: string }) => chat.id === chatId)).toMatchObject({ version: 6 });
      expect(await ask(bobOnA, 'join_chat', { chatId })).toMatchObject({ success: true, version: 6 });
      const sync = await ask(bobOnA, 'sync', { chats: [{ chatId, version: held }] });
      // Every message changed after the version held, once, in its current state, in version order.
      expect(sync).toStrictEqual({
        success: true,
        chats: [
          {
            success: true,
            chatId,
            version: 6,
            messages: [three, edited.message, deleted.message],
            events: [],
            hasMore: false,
          },
        ],
      });
      expect(JSON.stringify(sync)).not.toContain('deleted while away');
      expect(deleted.message).toMatchObject({ id: two.id, text: '', deletedAt: expect.any(String) });

      // Joined again on A, so live delivery goes on from there.
      const after = await ask(aliceOnA, 'send_message', { chatId, text: 'after the cut' });
      await untilEvent(bobOnA, 'new_message', () => live.some((m) => m.id === after.message.id));
      expect(live).toEqual([after.message]);
      expect(after.message.version).toBe(7);
      // The old socket stayed cut: nothing reached it after the cut.
      expect(bobOnB.connected).toBe(false);
      expect(received).toEqual([before.message]);
      bobOnA.close();
    });
  });
});
