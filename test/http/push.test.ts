import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, ask, connect, createChat, registerUser, sleep, useServer, type TestUser } from '../helpers/server.js';
import { expectError } from '../helpers/http-envelope.js';
import { QUIET_MS, sendOk, waitFor } from '../helpers/socket-fixtures.js';
import { ownDatabaseEnv } from '../helpers/stores.js';
import { decryptedPush, pushBrowser, pushesTo as pushesOf, type PushBrowser } from '../helpers/push-browser.js';
import { WebhookReceiver, type ReceivedRequest } from '../helpers/webhook-receiver.js';

// No ADMIN_TOKEN here: the operators' routes do not exist. Private addresses are allowed, so that
// the local receiver can stand for a push service.
// A database of its own: other files' servers would take part in sending its outbox.
const server = useServer(
  Object.assign(ownDatabaseEnv(), {
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_BASE_MS: '20',
    OUTBOX_POLL_MS: '20',
  }),
);

// The local push service; made up front, so that afterAll can stop it whatever failed before.
const pushService = new WebhookReceiver();
beforeAll(async () => {
  await pushService.start();
});
afterAll(async () => {
  await pushService.stop();
});

const browser = (): PushBrowser => pushBrowser(pushService);

async function subscribe(user: TestUser, device: PushBrowser) {
  const answer = await api(server, 'POST', '/push/subscriptions', { token: user.token, body: device.body });
  expect(answer).toStrictEqual({ status: 201, body: { success: true } });
}

const pushesTo = (device: PushBrowser): ReceivedRequest[] => pushesOf(pushService, device);

describe('GET /push/vapid-public-key', () => {
  it('answers the same P-256 public key every time, without a token', async () => {
    const first = await api(server, 'GET', '/push/vapid-public-key');
    expect(first.status).toBe(200);
    expect(first.body.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(Buffer.from(first.body.publicKey, 'base64url')[0]).toBe(4);
    expect((await api(server, 'GET', '/push/vapid-public-key')).body).toStrictEqual(first.body);
  });
});

describe('POST /push/subscriptions', () => {
  it.each([
    ['no endpoint', (b: PushBrowser) => ({ keys: b.body.keys }), 'endpoint'],
    ['an endpoint of the wrong type', (b: PushBrowser) => ({ ...b.body, endpoint: 7 }), 'endpoint'],
    [
      'an oversize endpoint',
      (b: PushBrowser) => ({ ...b.body, endpoint: `${b.endpoint}/${'x'.repeat(3000)}` }),
      'endpoint',
    ],
    ['not a url', (b: PushBrowser) => ({ ...b.body, endpoint: 'push me' }), 'endpoint'],
    ['no keys', (b: PushBrowser) => ({ endpoint: b.endpoint }), 'keys'],
    ['a bad p256dh', (b: PushBrowser) => ({ ...b.body, keys: { ...b.body.keys, p256dh: 'abc' } }), 'keys.p256dh'],
    ['a bad auth', (b: PushBrowser) => ({ ...b.body, keys: { ...b.body.keys, auth: 42 } }), 'keys.auth'],
  ])('refuses %s', async (_, make, field) => {
    const user = await registerUser(server, 'sub');
    const answer = await api(server, 'POST', '/push/subscriptions', { token: user.token, body: make(browser()) });
    expectError(answer, 400, 'VALIDATION_ERROR');
    expect(answer.body.field).toBe(field);
  });

  it('needs a token', async () => {
    expectError(await api(server, 'POST', '/push/subscriptions', { body: browser().body }), 401, 'UNAUTHORIZED');
  });

  it('keeps at most 10 subscriptions per user; the same endpoint again replaces its keys', async () => {
    const user = await registerUser(server, 'many');
    const devices = Array.from({ length: 10 }, browser);
    for (const device of devices) await subscribe(user, device);
    await subscribe(user, { ...devices[0]!, body: { ...browser().body, endpoint: devices[0]!.endpoint } });
    const answer = await api(server, 'POST', '/push/subscriptions', { token: user.token, body: browser().body });
    expectError(answer, 409, 'CONFLICT');
  });
});

describe('DELETE /push/subscriptions', () => {
  it("removes the caller's own subscription only", async () => {
    const [owner, other] = await Promise.all([registerUser(server, 'own'), registerUser(server, 'other')]);
    const device = browser();
    await subscribe(owner, device);
    const body = { endpoint: device.endpoint };
    expectError(await api(server, 'DELETE', '/push/subscriptions', { token: other.token, body }), 404, 'NOT_FOUND');
    expectError(
      await api(server, 'DELETE', '/push/subscriptions', { token: owner.token, body: {} }),
      400,
      'VALIDATION_ERROR',
    );
    expect((await api(server, 'DELETE', '/push/subscriptions', { token: owner.token, body })).body).toStrictEqual({
      success: true,
    });
    expectError(await api(server, 'DELETE', '/push/subscriptions', { token: owner.token, body }), 404, 'NOT_FOUND');
  });
});

describe('push notifications', () => {
  it('sends a direct message to a user with no socket, encrypted to their browser and signed with VAPID', async () => {
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    const chatId = await createChat(server, alice, [bob]);
    const device = browser();
    await subscribe(bob, device);
    const aliceSocket = await connect(server, alice.token);
    const message = await sendOk(aliceSocket, chatId, 'are you there?');
    await waitFor(() => pushesTo(device).length === 1, 3_000, 'the push');
    const [push] = pushesTo(device);
    expect(push!.method).toBe('POST');
    expect(push!.headers['content-encoding']).toBe('aes128gcm');
    expect(Number(push!.headers.ttl)).toBeGreaterThan(0);
    const { publicKey } = (await api(server, 'GET', '/push/vapid-public-key')).body;
    expect(push!.headers.authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${publicKey}$`));
    expect(decryptedPush(device, push!)).toStrictEqual({
      type: 'message',
      chatId,
      messageId: message.id,
      direct: true,
      mention: false,
      chatName: null,
      sender: alice.user.username,
      text: 'are you there?',
    });
    // The sender's own message pushes nothing to the sender.
    expect(pushService.requests.filter((r) => r.path.includes(alice.user.id))).toHaveLength(0);
  });

  it('pushes nothing to a user who has a socket connected, nor for a muted chat', async () => {
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    const chatId = await createChat(server, alice, [bob]);
    const device = browser();
    await subscribe(bob, device);
    const [aliceSocket, bobSocket] = await Promise.all([connect(server, alice.token), connect(server, bob.token)]);
    await sendOk(aliceSocket, chatId, 'you are online');
    // Whether bob is connected is asked when the push is sent (every OUTBOX_POLL_MS): still so then.
    await sleep(QUIET_MS);
    await ask(bobSocket, 'mute_chat', { chatId, muted: true });
    bobSocket.disconnect();
    await sendOk(aliceSocket, chatId, 'muted');
    await sleep(QUIET_MS);
    expect(pushesTo(device)).toHaveLength(0);
    await api(server, 'PUT', `/chats/${chatId}/mute`, { token: bob.token, body: { muted: false } });
    await sendOk(aliceSocket, chatId, 'unmuted');
    await waitFor(() => pushesTo(device).length === 1, 3_000, 'the push once unmuted');
    expect(decryptedPush(device, pushesTo(device)[0]!)).toMatchObject({ text: 'unmuted' });
  });

  it('pushes a group message only to whom it mentions', async () => {
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((p) => registerUser(server, p)));
    const chatId = await createChat(server, alice!, [bob!, carol!], 'team');
    const [bobDevice, carolDevice] = [browser(), browser()];
    await subscribe(bob!, bobDevice);
    await subscribe(carol!, carolDevice);
    const aliceSocket = await connect(server, alice!.token);
    await sendOk(aliceSocket, chatId, 'hello all');
    await sendOk(aliceSocket, chatId, `@${carol!.user.username} a word`);
    await waitFor(() => pushesTo(carolDevice).length === 1, 3_000, 'the mention push');
    await sleep(QUIET_MS);
    expect(pushesTo(bobDevice)).toHaveLength(0);
    expect(decryptedPush(carolDevice, pushesTo(carolDevice)[0]!)).toMatchObject({
      chatId,
      direct: false,
      mention: true,
      chatName: 'team',
      text: `@${carol!.user.username} a word`,
    });
  });

  it('drops a subscription the push service says is gone (410)', async () => {
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    const chatId = await createChat(server, alice, [bob]);
    const device = browser();
    await subscribe(bob, device);
    const aliceSocket = await connect(server, alice.token);
    pushService.statuses = [410];
    await sendOk(aliceSocket, chatId, 'gone?');
    await waitFor(() => pushesTo(device).length === 1, 3_000, 'the refused push');
    await sendOk(aliceSocket, chatId, 'still there?');
    await sleep(QUIET_MS);
    expect(pushesTo(device)).toHaveLength(1);
    const body = { endpoint: device.endpoint };
    expectError(await api(server, 'DELETE', '/push/subscriptions', { token: bob.token, body }), 404, 'NOT_FOUND');
  });
});

describe('operator routes without ADMIN_TOKEN', () => {
  it('answer 404 as an unknown route, whatever the token', async () => {
    const unknown = await api(server, 'GET', '/admin/nothing-here');
    const tokens: Record<string, string>[] = [{}, { authorization: 'Bearer anything-at-all-anything-at-all-anything' }];
    for (const headers of tokens) {
      const answer = await api(server, 'GET', '/admin/webhooks', { headers });
      expectError(answer, 404, 'NOT_FOUND');
      expect(answer.body.error.replace('/admin/webhooks', '')).toBe(
        unknown.body.error.replace('/admin/nothing-here', ''),
      );
    }
  });
});
