import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import type { CreateWebhookBody } from '../protocol/schemas.js';
import type { Store } from '../store/store.js';
import type { WebhookDelivery, WebhookEndpoint } from '../store/webhooks.js';
import { checkOutboundUrl } from './outbound-url.js';

/** Endpoints one deployment may register: each is a copy of every event it wants. */
export const MAX_WEBHOOK_ENDPOINTS = 20;

/** The operators' webhook endpoints (README "Webhooks"); what they are sent is the outbox's. */
export class WebhookService {
  constructor(
    private readonly store: Store,
    private readonly allowPrivateAddresses: boolean,
  ) {}

  /**
   * Registers an endpoint: its URL must lead to a public address (unless private ones are
   * allowed). Answers the secret, generated when none is given: the only time it is shown.
   */
  async register(body: CreateWebhookBody): Promise<WebhookEndpoint & { secret: string }> {
    const url = await checkOutboundUrl(body.url, 'url', this.allowPrivateAddresses);
    const secret = body.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
    const created = await this.store.webhooks.create(
      { url: url.href, secret, eventTypes: body.eventTypes },
      MAX_WEBHOOK_ENDPOINTS,
    );
    if (!created) throw new AppError('CONFLICT', `Не больше ${MAX_WEBHOOK_ENDPOINTS} вебхуков`);
    return { ...created, secret };
  }

  list(): Promise<WebhookEndpoint[]> {
    return this.store.webhooks.list();
  }

  async remove(id: string): Promise<void> {
    if (!(await this.store.webhooks.remove(id))) throw unknownWebhook();
  }

  async deliveries(id: string, limit = 50): Promise<WebhookDelivery[]> {
    const found = await this.store.webhooks.deliveries(id, limit);
    if (!found) throw unknownWebhook();
    return found;
  }

  /**
   * Sends a parked delivery again, with a fresh round of attempts (WebhookStore.retryParked).
   * NOT_FOUND for an unknown endpoint, or a delivery that is not one of its own; CONFLICT for one
   * that is not parked (pending: tried anyway; delivered: done).
   */
  async retryParked(webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
    const outcome = await this.store.webhooks.retryParked(webhookId, deliveryId);
    switch (outcome.found) {
      case 'requeued':
        return outcome.delivery;
      case 'no-endpoint':
        throw unknownWebhook();
      case 'no-delivery':
        throw new AppError('NOT_FOUND', 'Доставка не найдена');
      case 'not-parked':
        throw new AppError('CONFLICT', 'Повторить можно только отложенную доставку');
    }
  }

  /** Sends every parked delivery of the endpoint again; answers how many. */
  async retryAllParked(webhookId: string): Promise<number> {
    const count = await this.store.webhooks.retryAllParked(webhookId);
    if (count === undefined) throw unknownWebhook();
    return count;
  }
}

const unknownWebhook = () => new AppError('NOT_FOUND', 'Вебхук не найден');
