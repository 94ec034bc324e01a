import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { userSearchSchema } from '../protocol/schemas.js';
import type { Store } from '../store/store.js';
import { parseInput } from '../validation.js';
import type { Admission } from './user-admission.js';

const SEARCH_LIMIT = 20;

export function registerUserRoutes(app: FastifyInstance, store: Store, guard: preHandlerAsyncHookHandler, admit: Admission): void {
  app.get('/users/me', { preHandler: [guard, admit.request] }, async (request) => ({ success: true, user: request.user }));

  /** Other users whose username or email starts with `search`, for starting a chat. */
  app.get('/users', { preHandler: [guard, admit.read] }, async (request) => {
    const { search } = parseInput(userSearchSchema, request.query);
    const users = await store.users.searchUsers(search.trim(), request.user.id, SEARCH_LIMIT);
    return { success: true, users };
  });
}
