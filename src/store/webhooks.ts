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
    if (!isStoreId(id)) return undefined;
    if ((await this.db.query('SELECT 1 FROM webhook_endpoints WHERE id = $1', [id])).length === 0) return undefined;
    return this.db.query<WebhookDelivery>(
      `SELECT id::text AS id, event_type AS "eventType", chat_id AS "chatId", state, attempts,
              ${isoUtc('created_at')} AS "createdAt", ${isoUtc('last_attempt_at')} AS "lastAttemptAt",
              last_status AS "lastStatus", last_error AS "lastError",
              CASE WHEN state = 'pending' THEN ${isoUtc('next_attempt_at')} END AS "nextAttemptAt"
         FROM outbox WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2`,
      [id, limit],
    );
  }
}
