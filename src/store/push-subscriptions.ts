import { randomUUID } from 'node:crypto';
import type { Database } from './database.js';

/** A browser's push subscription (PushSubscription.toJSON()): the push service's URL and the keys to encrypt to. */
export interface PushSubscriptionKeys {
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** Users' Web Push subscriptions (migration 19); their pushes are the outbox's (outbox.ts). */
export class PushSubscriptionStore {
  constructor(private readonly db: Database) {}

  /**
   * Keeps a subscription of `userId` (the same endpoint again replaces its keys) unless the user
   * has `maxPerUser` others already: false then. Counted under the user's row lock, so that
   * concurrent subscriptions cannot each pass the cap.
   */
  async save(userId: string, subscription: PushSubscriptionKeys, maxPerUser: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const [{ others } = { others: 0 }] = await tx.query<{ others: number }>(
        'SELECT count(*)::int AS others FROM push_subscriptions WHERE user_id = $1 AND endpoint <> $2',
        [userId, subscription.endpoint],
      );
      if (others >= maxPerUser) return false;
      await tx.query(
        `INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id, endpoint) DO UPDATE SET p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth`,
        [randomUUID(), userId, subscription.endpoint, subscription.p256dh, subscription.auth],
      );
      return true;
    });
  }

  /** Removes `userId`'s subscription of `endpoint`; false when they have none. */
  async remove(userId: string, endpoint: string): Promise<boolean> {
    const rows = await this.db.query(
      'DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2 RETURNING 1',
      [userId, endpoint],
    );
    return rows.length > 0;
  }

  /** Removes a subscription the push service no longer knows (404 / 410), with its pending pushes. */
  async expire(id: string): Promise<void> {
    await this.db.query('DELETE FROM push_subscriptions WHERE id = $1', [id]);
  }
}
