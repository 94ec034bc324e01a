import type { Database } from './database.js';
import { isoUtc } from './message-form.js';

/** A delivery claimed for sending: to a webhook endpoint or to a push subscription. */
export type ClaimedDelivery = {
  id: string;
  chatId: string | null;
  eventType: string;
  payload: Record<string, unknown>;
  /** Attempts so far, this one included. */
  attempts: number;
  createdAt: string;
} & (
  | { kind: 'webhook'; url: string; secret: string }
  | { kind: 'push'; subscriptionId: string; userId: string; endpoint: string; p256dh: string; auth: string }
);

interface ClaimedRow {
  id: string;
  chat_id: string | null;
  event_type: string;
  payload: Record<string, unknown>;
  attempts: number;
  created_at: string;
  url: string | null;
  secret: string | null;
  subscription_id: string | null;
  user_id: string | null;
  endpoint: string | null;
  p256dh: string | null;
  auth: string | null;
}

/** Longest error text kept of a failed attempt. */
const MAX_ERROR_LENGTH = 500;
/** The longest wait between two attempts, in ms, however many have failed. */
const MAX_RETRY_DELAY_MS = 3_600_000;
/** Deliveries done (sent, or skipped) are kept this long for their history, then swept. */
const DONE_RETENTION = '7 days';

/**
 * The outbox (migration 19): deliveries the triggers of routines.ts write in the transaction of
 * each change, sent at least once by whichever node claims them. A claim is a lease: the row is
 * the claimer's until `lease_until`, and a node that dies mid-delivery leaves it to be claimed
 * again once the lease runs out. Only the oldest pending delivery of each (endpoint, chat) can be
 * claimed, so one chat's events reach an endpoint one at a time, in version order; a parked one
 * no longer holds the others back. Push deliveries have no such order.
 */
export class OutboxStore {
  constructor(private readonly db: Database) {}

  /**
   * Claims up to `limit` deliveries that are due, for `leaseMs`, under `leaseToken`. Rows other
   * claimers are locking are skipped (FOR UPDATE SKIP LOCKED), so nodes claim side by side.
   */
  async claim(limit: number, leaseMs: number, leaseToken: string): Promise<ClaimedDelivery[]> {
    const rows = await this.db.query<ClaimedRow>(
      `WITH due AS (
         SELECT o.id FROM outbox o
          WHERE o.state = 'pending' AND o.next_attempt_at <= now()
            AND (o.lease_until IS NULL OR o.lease_until <= now())
            AND NOT EXISTS (SELECT 1 FROM outbox earlier
                             WHERE earlier.state = 'pending' AND earlier.endpoint_id = o.endpoint_id
                               AND earlier.chat_id = o.chat_id AND earlier.id < o.id)
          ORDER BY o.id LIMIT $1
          FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE outbox o SET lease_until = now() + $2 * interval '1 millisecond', lease_token = $3,
                             attempts = o.attempts + 1, last_attempt_at = now()
           FROM due WHERE o.id = due.id
         RETURNING o.id, o.endpoint_id, o.subscription_id, o.chat_id, o.event_type, o.payload, o.attempts, o.created_at
       )
       SELECT c.id::text AS id, c.chat_id, c.event_type, c.payload, c.attempts, ${isoUtc('c.created_at')} AS created_at,
              e.url, e.secret, c.subscription_id, s.user_id, s.endpoint, s.p256dh, s.auth
         FROM claimed c
         LEFT JOIN webhook_endpoints e ON e.id = c.endpoint_id
         LEFT JOIN push_subscriptions s ON s.id = c.subscription_id
        ORDER BY c.id`,
      [limit, leaseMs, leaseToken],
    );
    return rows.flatMap((row): ClaimedDelivery[] => {
      const common = {
        id: row.id,
        chatId: row.chat_id,
        eventType: row.event_type,
        payload: row.payload,
        attempts: row.attempts,
        createdAt: row.created_at,
      };
      // Each row has one of the two (a CHECK); its endpoint or subscription is gone only if
      // deleted since the claim, and then so is the row.
      if (row.url !== null && row.secret !== null)
        return [{ ...common, kind: 'webhook', url: row.url, secret: row.secret }];
      if (row.subscription_id !== null && row.user_id !== null) {
        return [
          {
            ...common,
            kind: 'push',
            subscriptionId: row.subscription_id,
            userId: row.user_id,
            endpoint: row.endpoint!,
            p256dh: row.p256dh!,
            auth: row.auth!,
          },
        ];
      }
      return [];
    });
  }

  /** The delivery was accepted (`status`), or is not needed (skipped: a push to a user who is connected). */
  async done(id: string, leaseToken: string, outcome: { state: 'delivered' | 'skipped'; status: number | null }) {
    await this.db.query(
      `UPDATE outbox SET state = $3, last_status = $4, last_error = NULL, lease_until = NULL, lease_token = NULL
        WHERE id = $1 AND lease_token = $2`,
      [id, leaseToken, outcome.state, outcome.status],
    );
  }

  /**
   * The attempt failed: retried after `retryBaseMs` × 2^(attempts − 1) (at most an hour), or
   * parked once it has failed `maxAttempts` times. A lease taken over meanwhile is left alone.
   */
  async failed(
    id: string,
    leaseToken: string,
    failure: { status: number | null; error: string },
    retry: { retryBaseMs: number; maxAttempts: number },
  ): Promise<void> {
    await this.db.query(
      `UPDATE outbox
          SET state = CASE WHEN attempts >= $6 THEN 'parked' ELSE 'pending' END,
              next_attempt_at = now() + least($5::float8 * power(2, attempts - 1), ${MAX_RETRY_DELAY_MS}) * interval '1 millisecond',
              last_status = $3, last_error = $4, lease_until = NULL, lease_token = NULL
        WHERE id = $1 AND lease_token = $2`,
      [id, leaseToken, failure.status, failure.error.slice(0, MAX_ERROR_LENGTH), retry.retryBaseMs, retry.maxAttempts],
    );
  }

  /** Removes the deliveries done (sent or skipped) longer ago than their retention. */
  async sweepDone(): Promise<void> {
    await this.db.query(
      `DELETE FROM outbox WHERE state IN ('delivered', 'skipped') AND last_attempt_at < now() - interval '${DONE_RETENTION}'`,
    );
  }
}
