import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { AppError, TEXTS } from '../errors.js';
import type { ModerationService } from '../moderation/moderation-service.js';
import {
  banBodySchema,
  messageIdParamsSchema,
  moderationPageQuerySchema,
  userIdParamsSchema,
} from '../protocol/schemas.js';
import { parseInput } from '../validation.js';
import type { Admission } from './user-admission.js';

/** preHandler after the bearer guard: only moderators (MODERATOR_IDS, MODERATOR_ROLE_CLAIM) pass; others get 403. */
async function moderatorsOnly(request: FastifyRequest): Promise<void> {
  if (!request.moderator) throw new AppError('FORBIDDEN', TEXTS.notModerator);
}

/** Server moderation over HTTP (README "Operating"), for moderators signed in as users. */
export function registerModerationRoutes(
  app: FastifyInstance,
  moderation: ModerationService,
  guard: preHandlerAsyncHookHandler,
  admit: Admission,
): void {
  const change = { preHandler: [guard, moderatorsOnly, admit.request] };
  const read = { preHandler: [guard, moderatorsOnly, admit.read] };

  app.post('/moderation/users/:id/ban', change, async (request) => {
    const { id } = parseInput(userIdParamsSchema, request.params);
    const { reason } = parseInput(banBodySchema, request.body);
    await moderation.ban(request.user.id, id, reason);
    return { success: true };
  });

  app.delete('/moderation/users/:id/ban', change, async (request) => {
    const { id } = parseInput(userIdParamsSchema, request.params);
    await moderation.unban(request.user.id, id);
    return { success: true };
  });

  app.delete('/moderation/messages/:id', change, async (request) => {
    const { id } = parseInput(messageIdParamsSchema, request.params);
    return { success: true, message: await moderation.deleteMessage(request.user.id, id) };
  });

  app.get('/moderation/reports', read, async (request) => {
    const page = await moderation.listReports(parseInput(moderationPageQuerySchema, request.query));
    return { success: true, reports: page.entries, hasMore: page.hasMore, nextBefore: page.nextBefore };
  });

  app.get('/moderation/audit', read, async (request) => {
    const page = await moderation.listAudit(parseInput(moderationPageQuerySchema, request.query));
    return { success: true, entries: page.entries, hasMore: page.hasMore, nextBefore: page.nextBefore };
  });
}
