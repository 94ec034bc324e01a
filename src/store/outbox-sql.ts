import { isoUtc } from './message-form.js';

/**
 * SQL of the outbox triggers (routines.ts), each rule written once. Every fragment runs inside a
 * trigger on a changed table, in the transaction of the change, under the chat's row lock that
 * every change of a chat takes first: so the outbox ids of one chat's events increase in the
 * chat's version order, which is the order they are sent in (OutboxStore.claim).
 */

/**
 * The cheap check that opens every webhook trigger: with no endpoint registered a change costs
 * one probe of an empty table, however many rows it changed.
 */
export const ANY_WEBHOOK_ENDPOINT = 'EXISTS (SELECT 1 FROM webhook_endpoints)';

/**
 * Inserts one outbox row per endpoint subscribed to each event of `events`: a query of
 * (chat_id uuid, event_type text, payload jsonb, ord bigint) rows, where ord orders one
 * statement's events of a chat (their versions).
 */
export function enqueueWebhookEvents(events: string): string {
  return `
    INSERT INTO outbox (endpoint_id, chat_id, event_type, payload)
    SELECT e.id, ev.chat_id, ev.event_type, ev.payload
      FROM (${events}) ev
      JOIN webhook_endpoints e ON ev.event_type = ANY(e.event_types)
     ORDER BY ev.chat_id, ev.ord, e.id`;
}

/** A message row (`m`, of the messages table) as a webhook's `data`: its stored fields, ids and times. */
export function messageData(m: string): string {
  return `jsonb_build_object('id', ${m}.id, 'chatId', ${m}.chat_id, 'sender', ${m}.sender_id, 'text', ${m}.text,
    'createdAt', ${isoUtc(`${m}.created_at`)}, 'editedAt', ${isoUtc(`${m}.edited_at`)},
    'deletedAt', ${isoUtc(`${m}.deleted_at`)}, 'seq', ${m}.seq, 'version', ${m}.version,
    'replyTo', ${m}.reply_to_id, 'mentions', to_jsonb(${m}.mention_ids))`;
}

/**
 * Longest text of a message a push notification carries, in characters: push services take
 * about 4 KiB of encrypted payload, and a notification shows a line or two anyway.
 */
export const PUSH_TEXT_LENGTH = 200;
