import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { clusterEnv, connectTo, useClusterNodesWith, type ClusterNode } from '../helpers/cluster-nodes.js';
import { decryptedPush, pushBrowser, pushesTo, type PushBrowser } from '../helpers/push-browser.js';
import { api, ask, collect, createChat, registerUser, sleep, type ClientSocket } from '../helpers/server.js';
import { QUIET_MS, waitFor } from '../helpers/socket-fixtures.js';
import { ownDatabaseEnv } from '../helpers/stores.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const ADMIN_TOKEN = 'an-operator-token-of-at-least-32-characters';

/**
 * The outbox across two real Parley processes sharing PostgreSQL and Redis, both sending it: a
 * webhook endpoint gets each change once, in version order per chat, whichever node made it and
 * whichever sent it; a push goes only to a user with no socket on any node, once.
 */
describe.skipIf(!clusterEnv)('the outbox on two nodes', () => {
  // A database of its own: the nodes of other files would take part in sending this outbox.
  const env = Object.assign(ownDatabaseEnv(), {
    ADMIN_TOKEN,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_BASE_MS: '20',
    WEBHOOK_TIMEOUT_MS: '2000',
    OUTBOX_POLL_MS: '20',
  });
  const nodes = useClusterNodesWith(env, 'A', 'B');
  let a: ClusterNode;
  let b: ClusterNode;
  // The local webhook receiver and push service; made up front, so that afterAll can stop them.
  const receiver = new WebhookReceiver();
  const pushService = new WebhookReceiver();
  beforeAll(async () => {
    ({ A: a, B: b } = nodes);
    await Promise.all([receiver.start(), pushService.start()]);
  });
  afterAll(async () => {
    await Promise.all([receiver.stop(), pushService.stop()]);
  });

  it('webhooks: every change, made on either node, reaches the endpoint exactly once, in version order per chat', async () => {
    // A slow receiver: deliveries stay in flight while the other node claims what is due.
    receiver.answerDelayMs = 15;
    const registered = await api(a, 'POST', '/admin/webhooks', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { url: receiver.url, eventTypes: ['message.created', 'message.edited'] },
    });
    expect(registered.status).toBe(201);

    // Four chats side by side; in each, alice writes on node A and bob on node B, taking turns,
    // and every third message is edited by its author on the other node.
    const ROUNDS = 12;
    const acknowledged = new Map<string, number[]>();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        const [alice, bob] = [await registerUser(a, 'alice'), await registerUser(b, 'bob')];
        const chatId = await createChat(a, alice, [bob]);
        const versions: number[] = [];
        acknowledged.set(chatId, versions);
        // [writes, edits] per author.
        const alices = [await connectTo(a, alice.token), await connectTo(b, alice.token)] as const;
        const bobs = [await connectTo(b, bob.token), await connectTo(a, bob.token)] as const;
        for (let i = 0; i < ROUNDS; i++) {
          const [writer, editor] = i % 2 === 0 ? alices : bobs;
          const sent = await ask(writer, 'send_message', { chatId, text: `m${i}` });
          expect(sent).toMatchObject({ success: true });
          versions.push((sent.message as Message).version);
          if (i % 3 === 2) {
            const edited = await ask(editor, 'edit_message', { messageId: sent.message.id, text: `m${i}!` });
            expect(edited).toMatchObject({ success: true });
            versions.push((edited.message as Message).version);
          }
        }
      }),
    );

    type Body = { id: string; type: string; data: { chatId: string; version: number } };
    const bodies = () => receiver.bodies<Body>().filter((body) => acknowledged.has(body.data.chatId));
    const total = [...acknowledged.values()].reduce((sum, versions) => sum + versions.length, 0);
    await waitFor(() => bodies().length >= total, 30_000, `${total} deliveries`);
    await sleep(QUIET_MS);
    const received = bodies();
    // Exactly once: no id twice, and as many as there were changes.
    expect(new Set(received.map((body) => body.id)).size).toBe(received.length);
    expect(received).toHaveLength(total);
    expect(receiver.requests.every((request) => request.status === 200)).toBe(true);
    for (const [chatId, versions] of acknowledged) {
      expect(received.filter((body) => body.data.chatId === chatId).map((body) => body.data.version)).toEqual(versions);
    }
  }, 60_000);

  describe('push', () => {
    async function subscribed(node: ClusterNode, token: string): Promise<PushBrowser> {
      const device = pushBrowser(pushService);
      const answer = await api(node, 'POST', '/push/subscriptions', { token, body: device.body });
      expect(answer).toStrictEqual({ status: 201, body: { success: true } });
      return device;
    }

    /** The state of the push outbox row of a message (one subscription here): pending, skipped, delivered. */
    async function pushState(messageId: string): Promise<string | undefined> {
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      try {
        const { rows } = await client.query<{ state: string }>(
          `SELECT state FROM outbox WHERE subscription_id IS NOT NULL AND payload->>'messageId' = $1`,
          [messageId],
        );
        return rows[0]?.state;
      } finally {
        await client.end();
      }
    }

    it('none while the user has a socket on the other node; once they have none anywhere, one push per message', async () => {
      const [alice, bob] = [await registerUser(a, 'alice'), await registerUser(b, 'bob')];
      const chatId = await createChat(a, alice, [bob]);
      const device = await subscribed(b, bob.token);
      const [aliceOnA, aliceOnB] = [await connectTo(a, alice.token), await connectTo(b, alice.token)];
      const send = async (socket: ClientSocket, text: string): Promise<Message> => {
        const answer = await ask(socket, 'send_message', { chatId, text });
        expect(answer).toMatchObject({ success: true });
        return answer.message as Message;
      };

      // Bob is on node B only: a message sent through node A pushes nothing, whichever node sends
      // the outbox (a node asks the others whether he has a socket).
      const bobOnB = await connectTo(b, bob.token);
      const whileHere = await send(aliceOnA, 'while you are here');
      await waitFor(async () => (await pushState(whileHere.id)) === 'skipped', 5_000, 'the push skipped');
      // Moved to node A: still connected, still no push, for a message sent through node B.
      const bobOnA = await connectTo(a, bob.token);
      bobOnB.close();
      const stillHere = await send(aliceOnB, 'still here');
      await waitFor(async () => (await pushState(stillHere.id)) === 'skipped', 5_000, 'the second push skipped');

      // Bob leaves; once no node has a socket of his (as alice's user_offline says), every
      // message pushes once, sent through either node.
      const offline = collect<{ userId: string }>(aliceOnA, 'user_offline');
      bobOnA.close();
      await waitFor(() => offline.some((event) => event.userId === bob.user.id), 5_000, 'bob offline');
      const whileAway: Message[] = [];
      for (let i = 0; i < 6; i++) whileAway.push(await send(i % 2 === 0 ? aliceOnA : aliceOnB, `away ${i}`));
      await waitFor(() => pushesTo(pushService, device).length >= whileAway.length, 5_000, 'the pushes');
      await sleep(QUIET_MS);

      const pushed = pushesTo(pushService, device).map((request) => decryptedPush(device, request));
      expect(pushed.map((payload) => payload.messageId).sort()).toEqual(whileAway.map((m) => m.id).sort());
      expect(pushed.find((payload) => payload.messageId === whileAway[0]!.id)).toStrictEqual({
        type: 'message',
        chatId,
        messageId: whileAway[0]!.id,
        direct: true,
        mention: false,
        chatName: null,
        sender: alice.user.username,
        text: 'away 0',
      });
      expect([await pushState(whileHere.id), await pushState(stillHere.id)]).toEqual(['skipped', 'skipped']);
    }, 40_000);
  });
});
