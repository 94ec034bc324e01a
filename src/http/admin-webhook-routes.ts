import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { WebhookService } from '../outbox/webhook-service.js';
import {
  createWebhookSchema,
  webhookDeliveriesQuerySchema,
  webhookDeliveryParamsSchema,
  webhookIdParamsSchema,
} from '../protocol/schemas.js';
import { parseInput } from '../validation.js';

/** Operators' webhook endpoints (README "Webhooks"), behind the admin guard. */
export function registerAdminWebhookRoutes(
  app: FastifyInstance,
  webhooks: WebhookService,
  adminGuard: preHandlerAsyncHookHandler,
): void {
  app.post('/admin/webhooks', { preHandler: adminGuard }, async (request, reply) => {
    const webhook = await webhooks.register(parseInput(createWebhookSchema, request.body));
    return reply.status(201).send({ success: true, webhook });
  });

  app.get('/admin/webhooks', { preHandler: adminGuard }, async () => ({
    success: true,
    webhooks: await webhooks.list(),
  }));

  app.delete('/admin/webhooks/:id', { preHandler: adminGuard }, async (request) => {
    await webhooks.remove(parseInput(webhookIdParamsSchema, request.params).id);
    return { success: true };
  });

  app.get('/admin/webhooks/:id/deliveries', { preHandler: adminGuard }, async (request) => {
    const { id } = parseInput(webhookIdParamsSchema, request.params);
    const { limit } = parseInput(webhookDeliveriesQuerySchema, request.query);
    return { success: true, deliveries: await webhooks.deliveries(id, limit) };
  });

  // Parked deliveries back in the queue, once the receiver is mended: one, or all of the endpoint's.
  app.post('/admin/webhooks/:id/deliveries/:deliveryId/retry', { preHandler: adminGuard }, async (request) => {
    const { id, deliveryId } = parseInput(webhookDeliveryParamsSchema, request.params);
    return { success: true, delivery: await webhooks.retryParked(id, deliveryId) };
  });

  app.post('/admin/webhooks/:id/deliveries/retry', { preHandler: adminGuard }, async (request) => {
    const { id } = parseInput(webhookIdParamsSchema, request.params);
    return { success: true, retried: await webhooks.retryAllParked(id) };
  });
}
