import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { ChatService } from '../chat/chat-service.js';
import { chatIdParamsSchema, messageIdParamsSchema, reactionParamsSchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';
import type { Admission } from './user-admission.js';

/**
 * Reactions and pins over HTTP, as their Socket.IO events (README "Reactions and pins"): the same
 * rules and answers, the changes broadcast to the chat's sockets alike.
 */
export function registerMessageMarkRoutes(
  app: FastifyInstance,
  chats: ChatService,
  guard: preHandlerAsyncHookHandler,
  admit: Admission,
): void {
  for (const [method, added] of [
    ['POST', true],
    ['DELETE', false],
  ] as const) {
    app.route({
      method,
      url: '/messages/:id/reactions/:emoji',
      preHandler: [guard, admit.messageChange],
      handler: async (request) => {
        const { id, emoji } = parseInput(reactionParamsSchema, request.params);
        return { success: true, message: await chats.react(request.user.id, { messageId: id, emoji }, added) };
      },
    });
    app.route({
      method,
      url: '/messages/:id/pin',
      preHandler: [guard, admit.messageChange],
      handler: async (request) => {
        const { id } = parseInput(messageIdParamsSchema, request.params);
        return { success: true, message: await chats.pin(request.user.id, { messageId: id }, added) };
      },
    });
  }

  app.get('/chats/:id/pins', { preHandler: [guard, admit.read] }, async (request) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    return { success: true, messages: await chats.pinnedMessages(request.user.id, id) };
  });
}
