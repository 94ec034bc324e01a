import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { api, ask, registerUser, sleep, useServer } from '../helpers/server.js';
import { expectError } from '../helpers/http-envelope.js';
import { chatPair, QUIET_MS, sendOk, UNKNOWN_CHAT_ID, waitFor } from '../helpers/socket-fixtures.js';
import { ownDatabaseEnv } from '../helpers/stores.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const ADMIN_TOKEN = 'an-operator-token-of-at-least-32-characters';
const MAX_ATTEMPTS = 5;

// One server for the file, with retries 20 ms apart at
// first, so that the whole retry schedule (20+40+80+160 ms) runs well within a test.
// A database of its own: other files' servers would take part in sending its outbox.
const server = useServer(
  Object.assign(ownDatabaseEnv(), {
    ADMIN_TOKEN,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    WEBHOOK_RETRY_BASE_MS: '20',
    WEBHOOK_TIMEOUT_MS: '1000',
    OUTBOX_POLL_MS: '20',
  }),
);

const admin = (method: string, path: string, body?: unknown) =>
  api(server, method, path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body });

/**
 * A receiver's check of a delivery, written from the README ("Webhooks"): HMAC-SHA256 keyed with
 * the secret over `${t}.${raw body}`, hex, compared in constant time with v1; t within 5 minutes.
 */
function verifiedByReceiver(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((kv) => kv.split('=')));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  const given = Buffer.from(String(parts.v1 ?? ''), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const receivers: WebhookReceiver[] = [];
async function receiver(): Promise<WebhookReceiver> {
  const started = await new WebhookReceiver().start();
  receivers.push(started);
  return started;
}
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
});

/** Registers an endpoint at `url` for `eventTypes`; returns it with its secret. */
async function register(url: string, eventTypes: string[], secret?: string) {
  const answer = await admin('POST', '/admin/webhooks', { url, eventTypes, ...(secret ? { secret } : {}) });
  expect(answer.status).toBe(201);
  return answer.body.webhook as { id: string; url: string; secret: string; eventTypes: string[] };
}

/** The deliveries of a chat's events (endpoints get every chat's: each test looks at its own chat). */
const ofChat = (target: WebhookReceiver, chatId: string) =>
  target.bodies().filter((body) => body.data.chatId === chatId);

// Endpoints registered by one test receive the events of the others too: each is removed after use.
const registered: string[] = [];
async function registerForTest(url: string, eventTypes: string[], secret?: string) {
  const webhook = await register(url, eventTypes, secret);
  registered.push(webhook.id);
  return webhook;
}
async function removeRegistered() {
  for (const id of registered.splice(0)) await admin('DELETE', `/admin/webhooks/${id}`);
}

describe('admin guard', () => {
  it('answers 401 without the operator token, with a wrong one, or a user token', async () => {
    const user = await registerUser(server, 'op');
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
      { authorization: ADMIN_TOKEN },
      { authorization: `Bearer ${user.token}` },
    ];
    for (const headers of attempts) {
      expectError(await api(server, 'GET', '/admin/webhooks', { headers }), 401, 'UNAUTHORIZED');
    }
    expect((await admin('GET', '/admin/webhooks')).status).toBe(200);
  });
});

describe('POST /admin/webhooks', () => {
  it('registers an endpoint, answers its secret once, and lists it without', async () => {
    const target = await receiver();
    const created = await register(target.url, ['message.created']);
    expect(created).toMatchObject({ id: expect.any(String), url: `${target.url}/`, eventTypes: ['message.created'] });
    expect(created.secret).toMatch(/^whsec_/);
    const listed = await admin('GET', '/admin/webhooks');
    const found = listed.body.webhooks.find((w: { id: string }) => w.id === created.id);
    expect(found).toStrictEqual({
      id: created.id,
      url: created.url,
      eventTypes: ['message.created'],
      createdAt: expect.any(String),
    });
    expect((await admin('DELETE', `/admin/webhooks/${created.id}`)).body).toStrictEqual({ success: true });
  });

  it.each([
    ['no url', { eventTypes: ['message.created'] }, 'url'],
    ['a url of the wrong type', { url: 42, eventTypes: ['message.created'] }, 'url'],
    ['an oversize url', { url: `http://127.0.0.1/${'a'.repeat(3000)}`, eventTypes: ['message.created'] }, 'url'],
    ['not a url', { url: 'not a url', eventTypes: ['message.created'] }, 'url'],
    ['another scheme', { url: 'ftp://127.0.0.1/', eventTypes: ['message.created'] }, 'url'],
    ['credentials in the url', { url: 'http://user:pw@127.0.0.1/', eventTypes: ['message.created'] }, 'url'],
    ['no event types', { url: 'http://127.0.0.1/' }, 'eventTypes'],
    ['empty event types', { url: 'http://127.0.0.1/', eventTypes: [] }, 'eventTypes'],
    ['an unknown event type', { url: 'http://127.0.0.1/', eventTypes: ['message.read'] }, 'eventTypes.0'],
    ['an event type twice', { url: 'http://127.0.0.1/', eventTypes: ['chat.created', 'chat.created'] }, 'eventTypes'],
    ['a short secret', { url: 'http://127.0.0.1/', eventTypes: ['chat.created'], secret: 'short' }, 'secret'],
  ])('refuses %s', async (_, body, field) => {
    const answer = await admin('POST', '/admin/webhooks', body);
    expectError(answer, 400, 'VALIDATION_ERROR');
    expect(answer.body.field).toBe(field);
  });

  it('refuses more than 20 endpoints', async () => {
    const before = (await admin('GET', '/admin/webhooks')).body.webhooks.length;
    const made: string[] = [];
    for (let i = before; i < 20; i++) made.push((await register('http://127.0.0.1:9/', ['chat.created'])).id);
    expectError(
      await admin('POST', '/admin/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['chat.created'] }),
      409,
      'CONFLICT',
    );
    for (const id of made) await admin('DELETE', `/admin/webhooks/${id}`);
  });
});

describe('DELETE /admin/webhooks/:id', () => {
  it('answers 404 for an unknown or malformed id', async () => {
    expectError(await admin('DELETE', `/admin/webhooks/${UNKNOWN_CHAT_ID}`), 404, 'NOT_FOUND');
    expectError(await admin('DELETE', '/admin/webhooks/nope'), 404, 'NOT_FOUND');
  });
});

describe('deliveries', () => {
  it('sends each subscribed event once, signed as the README says, in version order per chat', async () => {
    const target = await receiver();
    const webhook = await registerForTest(target.url, [
      'message.created',
      'message.edited',
      'message.deleted',
      'reaction.added',
      'reaction.removed',
      'chat.created',
      'member.added',
      'member.removed',
    ]);
    const { alice, bob, chatId, aliceSocket } = await chatPair(server);
    const carol = await registerUser(server, 'carol');
    const group = await api(server, 'POST', '/chats', {
      token: alice.token,
      body: { userIds: [bob.user.id], name: 'hooks' },
    });
    const groupId: string = group.body.chat.id;
    await api(server, 'POST', `/chats/${groupId}/members`, { token: alice.token, body: { userIds: [carol.user.id] } });
    await api(server, 'DELETE', `/chats/${groupId}/members/me`, { token: carol.token });

    const first = await sendOk(aliceSocket, chatId, 'one');
    await ask(aliceSocket, 'edit_message', { messageId: first.id, text: 'one, edited' });
    await ask(aliceSocket, 'add_reaction', { messageId: first.id, emoji: '👍' });
    await ask(aliceSocket, 'remove_reaction', { messageId: first.id, emoji: '👍' });
    await ask(aliceSocket, 'delete_message', { messageId: first.id });
    await sendOk(aliceSocket, chatId, `two @${bob.user.username}`);

    await waitFor(() => ofChat(target, chatId).length === 7, 5_000, 'seven deliveries of the direct chat');
    await waitFor(() => ofChat(target, groupId).length === 3, 5_000, 'three deliveries of the group');
    const [created, ...direct] = ofChat(target, chatId);
    expect(created.type).toBe('chat.created');
    expect(created.data).toMatchObject({ chatId, name: null, direct: true });
    expect(direct.map((body) => body.type)).toEqual([
      'message.created',
      'message.edited',
      'reaction.added',
      'reaction.removed',
      'message.deleted',
      'message.created',
    ]);
    const versions = direct.map((body) => body.data.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(6);
    expect(direct[0]).toStrictEqual({
      id: expect.any(String),
      type: 'message.created',
      createdAt: expect.any(String),
      data: {
        id: first.id,
        chatId,
        sender: alice.user.id,
        text: 'one',
        createdAt: first.createdAt,
        editedAt: null,
        deletedAt: null,
        seq: first.seq,
        version: first.version,
        replyTo: null,
        mentions: null,
      },
    });
    expect(direct[2].data).toStrictEqual({
      chatId,
      messageId: first.id,
      userId: alice.user.id,
      emoji: '👍',
      version: expect.any(Number),
    });
    expect(direct[4].data).toMatchObject({ id: first.id, text: '', deletedAt: expect.any(String) });
    expect(direct[5].data.mentions).toEqual([bob.user.id]);

    const groupEvents = ofChat(target, groupId);
    expect(groupEvents.map((body) => body.type)).toEqual(['chat.created', 'member.added', 'member.removed']);
    expect(groupEvents[0].data).toMatchObject({ chatId: groupId, name: 'hooks', direct: false });
    expect(groupEvents[0].data.members.sort()).toEqual([alice.user.id, bob.user.id].sort());
    expect(groupEvents[1].data).toMatchObject({ chatId: groupId, userId: carol.user.id });

    // Every request is signed with the endpoint's secret, and carries its id and type.
    for (const request of target.requests) {
      expect(verifiedByReceiver(webhook.secret, request.body, request.headers['parley-signature'] as string)).toBe(
        true,
      );
      expect(
        verifiedByReceiver('another-secret-entirely', request.body, request.headers['parley-signature'] as string),
      ).toBe(false);
      const body = JSON.parse(request.body.toString());
      expect(request.headers['parley-event-id']).toBe(body.id);
      expect(request.headers['parley-event-type']).toBe(body.type);
      expect(request.headers['content-type']).toBe('application/json');
    }
    expect(new Set(target.bodies().map((body) => body.id)).size).toBe(target.requests.length);

    const history = await admin('GET', `/admin/webhooks/${webhook.id}/deliveries?limit=100`);
    expect(history.status).toBe(200);
    expect(history.body.deliveries.length).toBeGreaterThanOrEqual(10);
    expect(history.body.deliveries[0]).toMatchObject({
      state: 'delivered',
      attempts: 1,
      lastStatus: 200,
      lastError: null,
    });
    await removeRegistered();
  });

  it('sends only the event types an endpoint asked for', async () => {
    const target = await receiver();
    await registerForTest(target.url, ['message.deleted']);
    const { chatId, aliceSocket } = await chatPair(server);
    const sent = await sendOk(aliceSocket, chatId, 'kept');
    const gone = await sendOk(aliceSocket, chatId, 'gone');
    await ask(aliceSocket, 'delete_message', { messageId: gone.id });
    await waitFor(() => ofChat(target, chatId).length === 1, 3_000, 'the deletion');
    await sleep(QUIET_MS);
    expect(ofChat(target, chatId).map((body) => [body.type, body.data.id])).toEqual([['message.deleted', gone.id]]);
    expect(sent.id).not.toBe(gone.id);
    await removeRegistered();
  });

  it('retries a failing receiver with backoff, in order, and parks after the last attempt', async () => {
    const target = await receiver();
    const webhook = await registerForTest(target.url, ['message.created']);
    const { chatId, aliceSocket } = await chatPair(server);
    // The first message fails twice, then goes through; the second waits for it.
    target.statuses = [500, 503];
    await sendOk(aliceSocket, chatId, 'first');
    await sendOk(aliceSocket, chatId, 'second');
    await waitFor(() => ofChat(target, chatId).length === 4, 3_000, 'two failures and two deliveries');
    expect(ofChat(target, chatId).map((body) => body.data.text)).toEqual(['first', 'first', 'first', 'second']);
    const firstTries = target.requests.slice(0, 3).map((r) => JSON.parse(r.body.toString()).id);
    expect(new Set(firstTries).size).toBe(1);

    // Failing every time: parked after MAX_ATTEMPTS, and the chat's next event goes on.
    target.statuses = Array(MAX_ATTEMPTS).fill(500);
    await sendOk(aliceSocket, chatId, 'doomed');
    await sendOk(aliceSocket, chatId, 'after');
    await waitFor(() => ofChat(target, chatId).some((body) => body.data.text === 'after'), 5_000, 'the next event');
    expect(ofChat(target, chatId).filter((body) => body.data.text === 'doomed')).toHaveLength(MAX_ATTEMPTS);
    // The receiver has the last body before the sending node has its answer and records the outcome.
    const listed = async () => (await admin('GET', `/admin/webhooks/${webhook.id}/deliveries`)).body.deliveries;
    await waitFor(async () => (await listed()).at(-1)?.state !== 'pending', 3_000, 'the last outcome recorded');
    const deliveries = await listed();
    const doomed = deliveries.find((d: { state: string }) => d.state === 'parked');
    expect(doomed).toMatchObject({ attempts: MAX_ATTEMPTS, lastStatus: 500, lastError: 'ok', nextAttemptAt: null });
    const retried = deliveries.at(-1);
    expect(retried).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 200 });
    await removeRegistered();
  });

  it('a delivery claimed by a node that died is sent by another once the lease runs out', async () => {
    const target = await receiver();
    const webhook = await registerForTest(target.url, ['message.created']);
    const { chatId, aliceSocket } = await chatPair(server);
    await server.app.outbox.stop();
    try {
      await sendOk(aliceSocket, chatId, 'orphaned');
      // The dying node claims it with a short lease and never reports back.
      const claimed = await server.app.store.outbox.claim(32, 150, '00000000-0000-4000-8000-00000000dead');
      expect(claimed.filter((d) => d.chatId === chatId)).toHaveLength(1);
    } finally {
      server.app.outbox.start();
    }
    await waitFor(() => ofChat(target, chatId).length === 1, 3_000, 'the orphaned delivery');
    expect(ofChat(target, chatId)[0].data.text).toBe('orphaned');
    // The receiver has the body before the sending node has its answer and records the outcome.
    const deliveries = async () => (await admin('GET', `/admin/webhooks/${webhook.id}/deliveries`)).body.deliveries;
    await waitFor(async () => (await deliveries())[0]?.state !== 'pending', 3_000, 'the outcome recorded');
    expect((await deliveries())[0]).toMatchObject({ state: 'delivered', attempts: 2 });
    await removeRegistered();
  });

  it('writes nothing to the outbox while no endpoint is registered', async () => {
    expect((await admin('GET', '/admin/webhooks')).body.webhooks).toEqual([]);
    const { chatId, aliceSocket } = await chatPair(server);
    await sendOk(aliceSocket, chatId, 'unheard');
    const target = await receiver();
    const webhook = await registerForTest(target.url, ['message.created']);
    await sendOk(aliceSocket, chatId, 'heard');
    await waitFor(() => ofChat(target, chatId).length === 1, 3_000, 'the second message');
    await sleep(QUIET_MS);
    expect(ofChat(target, chatId).map((body) => body.data.text)).toEqual(['heard']);
    expect((await admin('GET', `/admin/webhooks/${webhook.id}/deliveries`)).body.deliveries).toHaveLength(1);
    await removeRegistered();
  });
});

describe('GET /admin/webhooks/:id/deliveries', () => {
  it('refuses a bad limit and answers 404 for an unknown endpoint', async () => {
    const webhook = await registerForTest('http://127.0.0.1:9/', ['chat.created']);
    expectError(await admin('GET', `/admin/webhooks/${webhook.id}/deliveries?limit=0`), 400, 'VALIDATION_ERROR');
    expectError(await admin('GET', `/admin/webhooks/${webhook.id}/deliveries?limit=abc`), 400, 'VALIDATION_ERROR');
    expectError(await admin('GET', `/admin/webhooks/${UNKNOWN_CHAT_ID}/deliveries`), 404, 'NOT_FOUND');
    expect((await admin('GET', `/admin/webhooks/${webhook.id}/deliveries`)).body).toStrictEqual({
      success: true,
      deliveries: [],
    });
    await removeRegistered();
  });
});

describe('retrying parked deliveries', () => {
  type Delivery = { id: string; chatId: string; state: string; attempts: number; lastStatus: number | null };
  const deliveriesOf = async (webhookId: string): Promise<Delivery[]> =>
    (await admin('GET', `/admin/webhooks/${webhookId}/deliveries?limit=100`)).body.deliveries;
  /** Waits until the chat's deliveries to the endpoint are `count` and all in `state`; answers them. */
  async function settled(webhookId: string, chatIds: string[], state: string, count = chatIds.length) {
    let found: Delivery[] = [];
    await waitFor(
      async () => {
        found = (await deliveriesOf(webhookId)).filter((d) => chatIds.includes(d.chatId));
        return found.length === count && found.every((d) => d.state === state);
      },
      5_000,
      `${count} deliveries ${state}`,
    );
    return found;
  }

  it('sends one parked delivery again, with a fresh round of attempts; a delivered one is a conflict', async () => {
    const target = await receiver();
    const webhook = await registerForTest(target.url, ['message.created']);
    const { chatId, aliceSocket } = await chatPair(server);
    target.statuses = Array(MAX_ATTEMPTS).fill(500);
    await sendOk(aliceSocket, chatId, 'parked for now');
    const [parked] = await settled(webhook.id, [chatId], 'parked');
    expect(parked).toMatchObject({ attempts: MAX_ATTEMPTS, lastStatus: 500 });

    const retried = await admin('POST', `/admin/webhooks/${webhook.id}/deliveries/${parked!.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toStrictEqual({
      success: true,
      delivery: { ...parked, state: 'pending', attempts: 0, nextAttemptAt: expect.any(String) },
    });
    const [delivered] = await settled(webhook.id, [chatId], 'delivered');
    expect(delivered).toMatchObject({ id: parked!.id, attempts: 1, lastStatus: 200, lastError: null });
    const sent = ofChat(target, chatId);
    expect(sent).toHaveLength(MAX_ATTEMPTS + 1);
    expect(new Set(sent.map((body) => body.id))).toStrictEqual(new Set([parked!.id]));

    const again = await admin('POST', `/admin/webhooks/${webhook.id}/deliveries/${parked!.id}/retry`);
    expectError(again, 409, 'CONFLICT');
    await removeRegistered();
  });

  it('answers CONFLICT for a pending delivery, and leaves it to be sent once', async () => {
    const target = await receiver();
    const webhook = await registerForTest(target.url, ['message.created']);
    const { chatId, aliceSocket } = await chatPair(server);
    await server.app.outbox.stop();
    let pending: Delivery | undefined;
    try {
      await sendOk(aliceSocket, chatId, 'waiting');
      [pending] = await settled(webhook.id, [chatId], 'pending');
      expectError(
        await admin('POST', `/admin/webhooks/${webhook.id}/deliveries/${pending!.id}/retry`),
        409,
        'CONFLICT',
      );
    } finally {
      server.app.outbox.start();
    }
    await settled(webhook.id, [chatId], 'delivered');
    await sleep(QUIET_MS);
    expect(ofChat(target, chatId).map((body) => body.id)).toEqual([pending!.id]);
    await removeRegistered();
  });

  it('refuses unknown, malformed and oversize ids, and another endpoint’s delivery', async () => {
    const target = await receiver();
    const webhook = await registerForTest(target.url, ['message.created']);
    const other = await registerForTest('http://127.0.0.1:9/', ['chat.created']);
    const { chatId, aliceSocket } = await chatPair(server);
    target.statuses = Array(MAX_ATTEMPTS).fill(500);
    await sendOk(aliceSocket, chatId, 'parked');
    const [parked] = await settled(webhook.id, [chatId], 'parked');
    const retry = (webhookId: string, deliveryId: string) =>
      admin('POST', `/admin/webhooks/${webhookId}/deliveries/${deliveryId}/retry`);

    expectError(await retry(other.id, parked!.id), 404, 'NOT_FOUND', 'Доставка не найдена');
    expectError(await retry(UNKNOWN_CHAT_ID, parked!.id), 404, 'NOT_FOUND', 'Вебхук не найден');
    expectError(await retry('nope', parked!.id), 404, 'NOT_FOUND', 'Вебхук не найден');
    for (const deliveryId of ['nope', '0', '-1', '1.5', '99999999999999999999', '999999999999', UNKNOWN_CHAT_ID]) {
      expectError(await retry(webhook.id, deliveryId), 404, 'NOT_FOUND', 'Доставка не найдена');
    }
    // Past 100 characters a path parameter is refused before any route, as everywhere.
    expectError(await retry(webhook.id, '1'.repeat(101)), 414, 'VALIDATION_ERROR');
    const unprintable = await retry(webhook.id, '1%00');
    expectError(unprintable, 400, 'VALIDATION_ERROR');
    expect(unprintable.body.field).toBe('deliveryId');
    expectError(
      await api(server, 'POST', `/admin/webhooks/${webhook.id}/deliveries/${parked!.id}/retry`),
      401,
      'UNAUTHORIZED',
    );
    const user = await registerUser(server, 'notop');
    expectError(
      await api(server, 'POST', `/admin/webhooks/${webhook.id}/deliveries/retry`, { token: user.token }),
      401,
      'UNAUTHORIZED',
    );
    // None of these touched it.
    expect((await deliveriesOf(webhook.id)).find((d) => d.id === parked!.id)).toMatchObject({ state: 'parked' });
    await removeRegistered();
  });

  it('sends every parked delivery of an endpoint again, and only that endpoint’s', async () => {
    const target = await receiver();
    const webhook = await registerForTest(target.url, ['message.created']);
    const [first, second] = [await chatPair(server), await chatPair(server)];
    target.statuses = Array(2 * MAX_ATTEMPTS).fill(500);
    await sendOk(first.aliceSocket, first.chatId, 'first parked');
    await sendOk(second.aliceSocket, second.chatId, 'second parked');
    await settled(webhook.id, [first.chatId, second.chatId], 'parked');
    const bystander = await registerForTest('http://127.0.0.1:9/', ['chat.created']);
    expect((await admin('POST', `/admin/webhooks/${bystander.id}/deliveries/retry`)).body).toStrictEqual({
      success: true,
      retried: 0,
    });

    expect((await admin('POST', `/admin/webhooks/${webhook.id}/deliveries/retry`)).body).toStrictEqual({
      success: true,
      retried: 2,
    });
    await settled(webhook.id, [first.chatId, second.chatId], 'delivered');
    expect(ofChat(target, first.chatId).at(-1)!.data.text).toBe('first parked');
    expect(ofChat(target, second.chatId).at(-1)!.data.text).toBe('second parked');
    expect((await admin('POST', `/admin/webhooks/${webhook.id}/deliveries/retry`)).body).toStrictEqual({
      success: true,
      retried: 0,
    });
    expectError(await admin('POST', `/admin/webhooks/${UNKNOWN_CHAT_ID}/deliveries/retry`), 404, 'NOT_FOUND');
    expectError(await admin('POST', '/admin/webhooks/nope/deliveries/retry'), 404, 'NOT_FOUND');
    await removeRegistered();
  });
});
