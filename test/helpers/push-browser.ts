import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import ece from 'http_ece';
import type { ReceivedRequest, WebhookReceiver } from './webhook-receiver.js';

/**
 * A browser's side of a Web Push subscription, for the push tests: its own P-256 key pair and auth
 * secret, and an endpoint at a path of a local push service (a WebhookReceiver).
 */
export interface PushBrowser {
  ecdh: ECDH;
  auth: string;
  endpoint: string;
  /** What the browser gives POST /push/subscriptions (PushSubscription.toJSON()). */
  body: { endpoint: string; keys: { p256dh: string; auth: string } };
}

export function pushBrowser(pushService: WebhookReceiver): PushBrowser {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16).toString('base64url');
  const endpoint = `${pushService.url}/push/${randomBytes(8).toString('hex')}`;
  return {
    ecdh,
    auth,
    endpoint,
    body: { endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth } },
  };
}

/** The pushes the service received for `device`, in arrival order. */
export const pushesTo = (pushService: WebhookReceiver, device: PushBrowser): ReceivedRequest[] =>
  pushService.requests.filter((request) => `${pushService.url}${request.path}` === device.endpoint);

/** The push's payload, decrypted as the browser does (RFC 8291, aes128gcm) with its own keys. */
export function decryptedPush(device: PushBrowser, request: ReceivedRequest): Record<string, unknown> {
  const plain = ece.decrypt(request.body, { version: 'aes128gcm', privateKey: device.ecdh, authSecret: device.auth });
  return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
}
