import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import type { ChatService } from '../chat/chat-service.js';
import { deleteAccountSchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';
import type { Admission } from './user-admission.js';

/**
 * The caller's own account: `DELETE /users/me` deletes it for good, once its owner has proved who
 * they are (AuthService.confirmOwner) — a token alone is not enough.
 */
export function registerAccountRoutes(
  app: FastifyInstance,
  auth: AuthService,
  chats: ChatService,
  guard: preHandlerAsyncHookHandler,
  admit: Admission,
): void {
  app.delete('/users/me', { preHandler: [guard, admit.request] }, async (request) => {
    // No body at all is an empty one: an account without a password needs none.
    const { password } = parseInput(deleteAccountSchema, request.body === undefined ? {} : request.body);
    await auth.confirmOwner(request.user.id, { password, tokenIssuedAt: request.tokenIssuedAt });
    await chats.deleteAccount(request.user.id);
    return { success: true };
  });
}
