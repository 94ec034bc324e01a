import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { userSearchSchema } from '../protocol/schemas.js';
import type { Store } from '../store/store.js';
import { parseInput } from '../validation.js';
import type { Admission } from './user-admission.js';

const SEARCH_LIMIT = 20;

export function registerUserRoutes(
  app: FastifyInstance,
  store: Store,
  guard: preHandlerAsyncHookHandler,
  admit: Admission,
): void {
  app.get('/users/me', { preHandler: [guard, admit.request] }, async (request) => ({
    success: true,
    user: request.user,
  }));

  /**
   * Other users whose username starts with `search`, or whose email is `search`, for starting a
   * chat. Emails match only whole, and searches are limited per user: nobody lists the directory's
   * addresses by trying prefixes.
   */
  app.get('/users', { preHandler: [guard, admit.userSearch] }, async (request) => {
    const { search } = parseInput(userSearchSchema, request.query);
    const users = await store.users.searchUsers(search.trim(), request.user.id, SEARCH_LIMIT);
    return { success: true, users };
  });
}
