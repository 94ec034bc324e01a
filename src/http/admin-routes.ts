import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { BotAccounts } from '../moderation/bot-accounts.js';
import { createBotSchema, userIdParamsSchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';

/**
 * The operators' routes for bots (README "Bots"), behind the admin guard (ADMIN_TOKEN). Operators
 * are few and trusted: these routes take no user's rate limits.
 */
export function registerBotAdminRoutes(
  app: FastifyInstance,
  bots: BotAccounts,
  admin: preHandlerAsyncHookHandler,
): void {
  app.post('/admin/bots', { preHandler: admin }, async (request, reply) => {
    const { username } = parseInput(createBotSchema, request.body);
    return reply.status(201).send({ success: true, ...(await bots.create(username)) });
  });

  app.get('/admin/bots', { preHandler: admin }, async () => ({ success: true, bots: await bots.list() }));

  app.post('/admin/bots/:id/keys', { preHandler: admin }, async (request, reply) => {
    const { id } = parseInput(userIdParamsSchema, request.params);
    return reply.status(201).send({ success: true, apiKey: await bots.addKey(id) });
  });

  app.delete('/admin/bots/:id/keys', { preHandler: admin }, async (request) => {
    const { id } = parseInput(userIdParamsSchema, request.params);
    await bots.revokeKeys(id);
    return { success: true };
  });
}
