import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { RateLimits } from '../limits/rate-limits.js';
import { userSearchSchema } from '../protocol/schemas.js';
import type { Store } from '../store/store.js';
import { parseInput } from '../validation.js';

const SEARCH_LIMIT = 20;

export function registerUserRoutes(app: FastifyInstance, store: Store, guard: preHandlerAsyncHookHandler, limits: RateLimits): void {
  app.get('/users/me', { preHandler: guard }, async (request) => ({ success: true, user: request.user }));

  /**
   * Other users whose username starts with `search`, or whose email is `search`, for starting a
   * chat. Emails match only whole, and searches are limited per user: nobody lists the directory's
   * addresses by trying prefixes.
   */
  app.get('/users', { preHandler: guard }, async (request) => {
    await limits.userSearch(request.user.id);
    const { search } = parseInput(userSearchSchema, request.query);
    const users = await store.users.searchUsers(search.trim(), request.user.id, SEARCH_LIMIT);
    return { success: true, users };
  });
}
