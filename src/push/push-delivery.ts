import webpush from 'web-push';
import { outcomeOf, type DeliveryOutcome } from '../outbox/delivery-outcome.js';
import { sendOutbound } from '../outbox/outbound-request.js';
import type { ClaimedDelivery } from '../store/outbox.js';
import type { VapidKeys } from './vapid-keys.js';

/** How long a push service keeps a push for a device that is offline, in seconds. */
const PUSH_TTL_SECONDS = 24 * 3600;

/**
 * One push: skipped when the user has a socket connected on any node (the socket got the event),
 * else the payload encrypted to the subscription (aes128gcm, RFC 8291) and signed with VAPID by
 * the web-push library, and sent through the outbox's bounded, address-checked request. The push
 * service answering 404 or 410 means the subscription is gone.
 */
export async function deliverPush(
  delivery: Extract<ClaimedDelivery, { kind: 'push' }>,
  options: {
    keys: VapidKeys;
    subject: string;
    isConnected: (userId: string) => Promise<boolean>;
    timeoutMs: number;
    allowPrivate: boolean;
  },
): Promise<DeliveryOutcome> {
  if (await options.isConnected(delivery.userId)) return { state: 'skipped' };
  const request = webpush.generateRequestDetails(
    { endpoint: delivery.endpoint, keys: { p256dh: delivery.p256dh, auth: delivery.auth } },
    JSON.stringify({ type: 'message', ...delivery.payload }),
    {
      vapidDetails: {
        subject: options.subject,
        publicKey: options.keys.publicKey,
        privateKey: options.keys.privateKey,
      },
      TTL: PUSH_TTL_SECONDS,
      contentEncoding: 'aes128gcm',
    },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = String(value);
  const result = await sendOutbound(
    { url: request.endpoint, headers, body: request.body ?? Buffer.alloc(0) },
    { timeoutMs: options.timeoutMs, allowPrivate: options.allowPrivate },
  );
  if (result.status === 404 || result.status === 410) return { state: 'gone' };
  return outcomeOf(result);
}
