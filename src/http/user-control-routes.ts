import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { BlockService } from '../moderation/block-service.js';
import type { ModerationService } from '../moderation/moderation-service.js';
import { messageIdParamsSchema, reportBodySchema, userIdParamsSchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';
import type { Admission } from './user-admission.js';

/** A user's own controls (README "Blocking and reporting"): blocking users and reporting messages. */
export function registerUserControlRoutes(
  app: FastifyInstance,
  blocks: BlockService,
  moderation: ModerationService,
  guard: preHandlerAsyncHookHandler,
  admit: Admission,
): void {
  app.post('/users/:id/block', { preHandler: [guard, admit.request] }, async (request) => {
    const { id } = parseInput(userIdParamsSchema, request.params);
    await blocks.block(request.user.id, id);
    return { success: true };
  });

  app.delete('/users/:id/block', { preHandler: [guard, admit.request] }, async (request) => {
    const { id } = parseInput(userIdParamsSchema, request.params);
    await blocks.unblock(request.user.id, id);
    return { success: true };
  });

  app.get('/users/me/blocks', { preHandler: [guard, admit.read] }, async (request) => ({
    success: true,
    users: await blocks.blocked(request.user.id),
  }));

  // The same report as the `report_message` event.
  app.post('/messages/:id/report', { preHandler: [guard, admit.request] }, async (request) => {
    const { id } = parseInput(messageIdParamsSchema, request.params);
    await moderation.report(request.user.id, { messageId: id, ...parseInput(reportBodySchema, request.body) });
    return { success: true };
  });
}
