/**
 * The event types an operator's webhook endpoint may subscribe to (README "Webhooks"). Each is
 * written to the outbox by a trigger of the table whose change it announces (store/routines.ts, through
 * enqueueWebhookEvents in store/outbox-sql.ts). A new kind of change (reports, for one) adds its
 * types here and a trigger of its table that calls enqueueWebhookEvents: nothing else changes.
 */
export const WEBHOOK_EVENT_TYPES = [
  'message.created',
  'message.edited',
  'message.deleted',
  'reaction.added',
  'reaction.removed',
  'member.added',
  'member.removed',
  'chat.created',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
