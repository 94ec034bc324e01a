import { randomUUID } from 'node:crypto';
import type { Database } from './database.js';
import { isoUtc } from './message-form.js';
import { isStoreId } from './sql.js';

/** An operator's webhook endpoint as the admin API shows it (never its secret). */
export interface WebhookEndpoint {
  id: string;
  url: string;
  eventTypes: string[];
  createdAt: string;
}

/** One delivery to an endpoint, as its history shows it (GET /admin/webhooks/:id/deliveries). */
export interface WebhookDelivery {
  /** The event's id, as the receiver sees it in the body (`id`) and in `Parley-Event-Id`. */
  id: string;
  eventType: string;
  chatId: string | null;
  /** pending (waiting or being sent), delivered, or parked (failed maxAttempts times; sent no more). */
  state: 'pending' | 'delivered' | 'parked';
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  /** The HTTP status of the last attempt; null when it got no answer (refused, timed out). */
  lastStatus: number | null;
  lastError: string | null;
  /** When a pending delivery is tried next. */
  nextAttemptAt: string | null;
}

const ENDPOINT_COLUMNS = `id, url, event_types AS "eventTypes", ${isoUtc('created_at')} AS "createdAt"`;

const DELIVERY_COLUMNS = `id::text AS id, event_type AS "eventType", chat_id AS "chatId", state, attempts,
  ${isoUtc('created_at')} AS "createdAt", ${isoUtc('last_attempt_at')} AS "lastAttemptAt",
  last_status AS "lastStatus", last_error AS "lastError",
  CASE WHEN state = 'pending' THEN ${isoUtc('next_attempt_at')} END AS "nextAttemptAt"`;

/** Outbox ids are bigserial: decimal digits, well within a bigint. Anything else names no delivery. */
const DELIVERY_ID = /^[1-9][0-9]{0,17}$/;

/**
 * A parked delivery back in the queue: due at once, with a fresh round of WEBHOOK_MAX_ATTEMPTS
 * attempts (the count starts again; the last failure stays visible until the next attempt).
 */
const REQUEUE = `state = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL, lease_token = NULL`;

/** What asking to retry one delivery found (WebhookStore.retryParked). */
export type RetryOutcome =
  | { found: 'requeued'; delivery: WebhookDelivery }
  /** No such endpoint; no such delivery of it; or one that is not parked (pending, or delivered). */
  | { found: 'no-endpoint' | 'no-delivery' | 'not-parked' };

/** Webhook endpoints and their deliveries' history (the deliveries themselves are the outbox's, outbox.ts). */
export class WebhookStore {
  constructor(private readonly db: Database) {}

  /**
   * Registers an endpoint unless `maxEndpoints` exist already (undefined then). Counted under a
   * lock of the table, so that concurrent registrations cannot each pass the cap.
   */
  async create(
    endpoint: { url: string; secret: string; eventTypes: readonly string[] },
    maxEndpoints: number,
  ): Promise<WebhookEndpoint | undefined> {
    return this.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE webhook_endpoints IN SHARE ROW EXCLUSIVE MODE');
      const [{ count } = { count: 0 }] = await tx.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM webhook_endpoints',
      );
      if (count >= maxEndpoints) return undefined;
      const [created] = await tx.query<WebhookEndpoint>(
        `INSERT INTO webhook_endpoints (id, url, secret, event_types) VALUES ($1, $2, $3, $4::text[])
         RETURNING ${ENDPOINT_COLUMNS}`,
        [randomUUID(), endpoint.url, endpoint.secret, endpoint.eventTypes],
      );
      return created;
    });
  }

  list(): Promise<WebhookEndpoint[]> {
    return this.db.query<WebhookEndpoint>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id`);
  }

  /** Removes an endpoint with its deliveries, sent or not; false when there is none. */
  async remove(id: string): Promise<boolean> {
    if (!isStoreId(id)) return false;
    return (await this.db.query('DELETE FROM webhook_endpoints WHERE id = $1 RETURNING 1', [id])).length > 0;
  }

  /** The endpoint's latest `limit` deliveries, newest first; undefined when there is no such endpoint. */
  async deliveries(id: string, limit: number): Promise<WebhookDelivery[] | undefined> {
    if (!(await this.exists(id))) return undefined;
    return this.db.query<WebhookDelivery>(
      `SELECT ${DELIVERY_COLUMNS} FROM outbox WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2`,
      [id, limit],
    );
  }

  /**
   * Puts one parked delivery of the endpoint back in the queue (REQUEUE). A delivery of another
   * endpoint is no delivery of this one. Being older than the chat's events sent meanwhile, it
   * reaches the receiver after them, and holds back the chat's events still pending until it is
   * delivered or parked again.
   */
  async retryParked(endpointId: string, deliveryId: string): Promise<RetryOutcome> {
    if (!(await this.exists(endpointId))) return { found: 'no-endpoint' };
    if (!DELIVERY_ID.test(deliveryId)) return { found: 'no-delivery' };
    const [requeued] = await this.db.query<WebhookDelivery>(
      `UPDATE outbox SET ${REQUEUE} WHERE endpoint_id = $1 AND id = $2 AND state = 'parked' RETURNING ${DELIVERY_COLUMNS}`,
      [endpointId, deliveryId],
    );
    if (requeued) return { found: 'requeued', delivery: requeued };
    const found = await this.db.query('SELECT 1 FROM outbox WHERE endpoint_id = $1 AND id = $2', [
      endpointId,
      deliveryId,
    ]);
    return { found: found.length > 0 ? 'not-parked' : 'no-delivery' };
  }

  /**
   * Puts every parked delivery of the endpoint back in the queue (REQUEUE), as retryParked does
   * one: answers how many; undefined when there is no such endpoint.
   */
  async retryAllParked(endpointId: string): Promise<number | undefined> {
    if (!(await this.exists(endpointId))) return undefined;
    const rows = await this.db.query(
      `UPDATE outbox SET ${REQUEUE} WHERE endpoint_id = $1 AND state = 'parked' RETURNING 1`,
      [endpointId],
    );
    return rows.length;
  }

  private async exists(id: string): Promise<boolean> {
    if (!isStoreId(id)) return false;
    return (await this.db.query('SELECT 1 FROM webhook_endpoints WHERE id = $1', [id])).length > 0;
  }
}
