import { afterAll, describe, expect, it } from 'vitest';
import { api, ask, sleep, useServer } from '../helpers/server.js';
import { chatPair, sendOk, waitFor, type ChatPair } from '../helpers/socket-fixtures.js';
import { ownDatabaseEnv } from '../helpers/stores.js';
import { WebhookReceiver, type ReceivedRequest } from '../helpers/webhook-receiver.js';

const ADMIN_TOKEN = 'an-operator-token-of-at-least-32-characters';

// Retries 20 ms apart at first and 12 attempts: a delivery is parked only after about 40 s of
// failures, far longer than the outage below, whose retries still come back within seconds.
// A database of its own: other files' servers would take part in sending its outbox.
const server = useServer(
  Object.assign(ownDatabaseEnv(), {
    ADMIN_TOKEN,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_MAX_ATTEMPTS: '12',
    WEBHOOK_RETRY_BASE_MS: '20',
    WEBHOOK_TIMEOUT_MS: '1000',
    OUTBOX_POLL_MS: '20',
  }),
);

const target = new WebhookReceiver();
afterAll(async () => {
  await target.stop();
});

interface Delivery {
  id: string;
  chatId: string;
  state: string;
  attempts: number;
}

/** A delivery's body as the receiver reads it. */
type Body = { id: string; type: string; data: { chatId: string; id: string; version: number } };
const bodyOf = (request: ReceivedRequest): Body => JSON.parse(request.body.toString('utf8')) as Body;

describe('a webhook receiver that fails, dies and comes back mid-stream', () => {
  it('gets every event once de-duplicated by id, in version order per chat, with the retries in the history', async () => {
    await target.start();
    const registered = await api(server, 'POST', '/admin/webhooks', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { url: target.url, eventTypes: ['message.created', 'message.edited'] },
    });
    expect(registered.status).toBe(201);
    const webhookId: string = registered.body.webhook.id;
    const chats: ChatPair[] = [await chatPair(server), await chatPair(server)];
    // The version of every change acknowledged, per chat: what the receiver must end up with.
    const acknowledged = new Map<string, number[]>(chats.map((chat) => [chat.chatId, []]));

    // Messages keep coming, in both chats, through every phase of the receiver; every fourth
    // round also edits the message before, so that two event types interleave.
    let sending = true;
    const sender = (async () => {
      for (let round = 0; round < 30 && sending; round++) {
        for (const { chatId, aliceSocket } of chats) {
          const message = await sendOk(aliceSocket, chatId, `m${round}`);
          acknowledged.get(chatId)!.push(message.version);
          if (round % 4 === 3) {
            const edited = await ask(aliceSocket, 'edit_message', { messageId: message.id, text: `m${round}, edited` });
            expect(edited).toMatchObject({ success: true });
            acknowledged.get(chatId)!.push(edited.message.version);
          }
        }
        await sleep(30);
      }
    })();

    const answered = (status: number) => target.requests.filter((request) => request.status === status).length;
    await waitFor(() => answered(200) >= 4, 5_000, 'the first deliveries');
    // It breaks: every request answered 500 …
    target.statuses = Array(100_000).fill(500);
    await waitFor(() => answered(500) >= 4, 5_000, 'answers 500');
    // … then dies: connections refused while the messages keep coming …
    await target.stop();
    await sleep(500);
    // … and comes back.
    target.statuses = [];
    await target.start();
    await sleep(200);
    sending = false;
    await sender;

    const requestsOf = (chatId: string) => target.requests.filter((request) => bodyOf(request).data.chatId === chatId);
    await waitFor(
      () =>
        chats.every(({ chatId }) => {
          const accepted = requestsOf(chatId).filter((request) => request.status === 200);
          return new Set(accepted.map((request) => bodyOf(request).id)).size === acknowledged.get(chatId)!.length;
        }),
      20_000,
      'every event accepted',
    );

    for (const { chatId } of chats) {
      const requests = requestsOf(chatId);
      // Never an older event after a newer one: a retry repeats the same version, and the next
      // is sent only once the one before it was accepted.
      const versions = requests.map((request) => bodyOf(request).data.version);
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
      // Once de-duplicated by id, exactly the changes acknowledged, in their order.
      const accepted = new Map<string, number>();
      for (const request of requests) {
        if (request.status === 200) accepted.set(bodyOf(request).id, bodyOf(request).data.version);
      }
      expect([...accepted.values()]).toEqual(acknowledged.get(chatId));
    }

    // The history: all delivered, retried ones among them, some of whose attempts never reached
    // the receiver (connections refused while it was down).
    const history = await api(server, 'GET', `/admin/webhooks/${webhookId}/deliveries?limit=100`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const deliveries = (history.body.deliveries as Delivery[]).filter((d) => acknowledged.has(d.chatId));
    const total = [...acknowledged.values()].reduce((sum, versions) => sum + versions.length, 0);
    expect(deliveries).toHaveLength(total);
    expect(deliveries.every((d) => d.state === 'delivered')).toBe(true);
    const seenBy = (id: string) => target.requests.filter((request) => bodyOf(request).id === id).length;
    expect(deliveries.some((d) => d.attempts > 1 && seenBy(d.id) > 1)).toBe(true);
    expect(deliveries.some((d) => d.attempts > seenBy(d.id))).toBe(true);
    expect(answered(500)).toBeGreaterThanOrEqual(4);
  }, 60_000);
});
