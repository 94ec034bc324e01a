import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../src/outbox/public-address.js';
import { api, registerUser, useServer } from '../helpers/server.js';
import { expectError } from '../helpers/http-envelope.js';
import { chatPair, sendOk, waitFor } from '../helpers/socket-fixtures.js';
import { ownDatabaseEnv } from '../helpers/stores.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const ADMIN_TOKEN = 'an-operator-token-of-at-least-32-characters';

// Private addresses NOT allowed: the production default.
// A database of its own: other files' servers would take part in sending its outbox.
const server = useServer(
  Object.assign(ownDatabaseEnv(), {
    ADMIN_TOKEN,
    WEBHOOK_RETRY_BASE_MS: '20',
    OUTBOX_POLL_MS: '20',
  }),
);

const admin = (method: string, path: string, body?: unknown) =>
  api(server, method, path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body });

const INSIDE_URLS = [
  'https://127.0.0.1/hook',
  'https://127.1.2.3/hook',
  'https://localhost/hook',
  'https://10.0.0.1/hook',
  'https://172.16.5.4/hook',
  'https://192.168.1.1/hook',
  'https://169.254.169.254/latest/meta-data',
  'https://100.64.0.1/hook',
  'https://0.0.0.0/hook',
  'https://[::1]/hook',
  'https://[::ffff:127.0.0.1]/hook',
  'https://[::ffff:a9fe:a9fe]/hook',
  'https://[fe80::1]/hook',
  'https://[fd00::1]/hook',
  'https://0x7f000001/hook',
  'https://2130706433/hook',
  'https://name-that-does-not-resolve.invalid/hook',
  // Plain http only where private addresses are allowed.
  'http://93.184.215.14/hook',
];

describe('webhook endpoints on inside addresses (SSRF)', () => {
  it.each(INSIDE_URLS)('POST /admin/webhooks refuses %s', async (url) => {
    const answer = await admin('POST', '/admin/webhooks', { url, eventTypes: ['message.created'] });
    expectError(answer, 400, 'VALIDATION_ERROR');
    expect(answer.body.field).toBe('url');
  });

  it('accepts a public address', async () => {
    const answer = await admin('POST', '/admin/webhooks', {
      url: 'https://93.184.215.14/hook',
      eventTypes: ['chat.created'],
    });
    expect(answer.status).toBe(201);
    await admin('DELETE', `/admin/webhooks/${answer.body.webhook.id}`);
  });

  it('checks the address again when sending: an endpoint now pointing inside gets nothing', async () => {
    // As a name that resolved outside at registration and inside since (DNS rebinding): the row
    // is written past the registration's check.
    const receiver = await new WebhookReceiver().start();
    const endpoint = await server.app.store.webhooks.create(
      { url: `${receiver.url}/hook`, secret: 'a-secret-of-sixteen-chars', eventTypes: ['message.created'] },
      20,
    );
    try {
      const { chatId, aliceSocket } = await chatPair(server);
      await sendOk(aliceSocket, chatId, 'never leaves');
      await waitFor(
        async () => {
          const [delivery] = (await admin('GET', `/admin/webhooks/${endpoint!.id}/deliveries`)).body.deliveries;
          return delivery?.attempts >= 2;
        },
        3_000,
        'two refused attempts',
      );
      const [delivery] = (await admin('GET', `/admin/webhooks/${endpoint!.id}/deliveries`)).body.deliveries;
      expect(delivery).toMatchObject({
        state: 'pending',
        lastStatus: null,
        lastError: expect.stringMatching(/not a public address/),
      });
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await admin('DELETE', `/admin/webhooks/${endpoint!.id}`);
      await receiver.stop();
    }
  });
});

describe('push subscriptions on inside addresses (SSRF)', () => {
  const keys = { p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) };
  it.each(['http://push.example.com/x', 'https://127.0.0.1/x', 'https://[::1]/x', 'https://169.254.169.254/x'])(
    'POST /push/subscriptions refuses %s',
    async (endpoint) => {
      const user = await registerUser(server, 'pusher');
      const answer = await api(server, 'POST', '/push/subscriptions', { token: user.token, body: { endpoint, keys } });
      expectError(answer, 400, 'VALIDATION_ERROR');
      expect(answer.body.field).toBe('endpoint');
    },
  );
});

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.31.255.255', false],
    ['192.168.0.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['255.255.255.255', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['::', false],
    ['fe80::1', false],
    ['fc00::1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['not an address', false],
  ])('%s → %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});
