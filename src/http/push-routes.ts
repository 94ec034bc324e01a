import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { PushService } from '../push/push-service.js';
import { pushSubscriptionSchema, pushUnsubscribeSchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';
import type { Admission } from './user-admission.js';

/** Web Push (README "Push notifications"): the key browsers subscribe with, and the caller's subscriptions. */
export function registerPushRoutes(
  app: FastifyInstance,
  push: PushService,
  guard: preHandlerAsyncHookHandler,
  admit: Admission,
): void {
  app.get('/push/vapid-public-key', async () => ({ success: true, publicKey: push.publicKey }));

  app.post('/push/subscriptions', { preHandler: [guard, admit.request] }, async (request, reply) => {
    await push.subscribe(request.user.id, parseInput(pushSubscriptionSchema, request.body));
    return reply.status(201).send({ success: true });
  });

  app.delete('/push/subscriptions', { preHandler: [guard, admit.request] }, async (request) => {
    await push.unsubscribe(request.user.id, parseInput(pushUnsubscribeSchema, request.body).endpoint);
    return { success: true };
  });
}
