import type { ClaimedDelivery } from '../store/outbox.js';
import { outcomeOf, type DeliveryOutcome } from './delivery-outcome.js';
import { sendOutbound } from './outbound-request.js';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.js';

/**
 * One webhook delivery: `{id, type, createdAt, data}` as JSON, signed with the endpoint's secret
 * (webhook-signature.ts). `id` is the same on every attempt: receivers drop what they have seen.
 */
export async function deliverWebhook(
  delivery: Extract<ClaimedDelivery, { kind: 'webhook' }>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<DeliveryOutcome> {
  const body = JSON.stringify({
    id: delivery.id,
    type: delivery.eventType,
    createdAt: delivery.createdAt,
    data: delivery.payload,
  });
  const result = await sendOutbound(
    {
      url: delivery.url,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Parley-Webhooks/1',
        'parley-event-id': delivery.id,
        'parley-event-type': delivery.eventType,
        [SIGNATURE_HEADER]: signatureHeader(delivery.secret, body, Math.floor(Date.now() / 1000)),
      },
      body,
    },
    options,
  );
  return outcomeOf(result);
}
