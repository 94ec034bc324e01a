import { AppError } from '../errors.js';
import { checkOutboundUrl } from '../outbox/outbound-url.js';
import type { PushSubscriptionBody } from '../protocol/schemas.js';
import type { Store } from '../store/store.js';

/** Push subscriptions one user may keep: a browser or device each. */
export const MAX_PUSH_SUBSCRIPTIONS_PER_USER = 10;

/** Users' Web Push subscriptions (README "Push notifications"); the pushes are the outbox's. */
export class PushService {
  constructor(
    private readonly store: Store,
    readonly publicKey: string,
    private readonly allowPrivateAddresses: boolean,
  ) {}

  /**
   * Keeps the caller's subscription: its endpoint must be an https URL of a public address (http
   * and private ones only where WEBHOOK_ALLOW_PRIVATE allows them), at most
   * MAX_PUSH_SUBSCRIPTIONS_PER_USER per user.
   */
  async subscribe(userId: string, body: PushSubscriptionBody): Promise<void> {
    const url = await checkOutboundUrl(body.endpoint, 'endpoint', this.allowPrivateAddresses);
    const saved = await this.store.pushSubscriptions.save(
      userId,
      { endpoint: url.href, p256dh: body.keys.p256dh, auth: body.keys.auth },
      MAX_PUSH_SUBSCRIPTIONS_PER_USER,
    );
    if (!saved) {
      throw new AppError('CONFLICT', `Не больше ${MAX_PUSH_SUBSCRIPTIONS_PER_USER} подписок на уведомления`);
    }
  }

  async unsubscribe(userId: string, endpoint: string): Promise<void> {
    let href = endpoint;
    try {
      href = new URL(endpoint).href;
    } catch {
      // kept as given: it names no subscription
    }
    if (!(await this.store.pushSubscriptions.remove(userId, href))) {
      throw new AppError('NOT_FOUND', 'Подписка не найдена');
    }
  }
}
