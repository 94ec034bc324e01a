import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { ChatService } from '../chat/chat-service.js';
import { chatIdParamsSchema, createChatSchema, historyQuerySchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';

export function registerChatRoutes(app: FastifyInstance, chats: ChatService, guard: preHandlerAsyncHookHandler): void {
  app.post('/chats', { preHandler: guard }, async (request, reply) => {
    const { chat, created } = await chats.createChat(request.user, parseInput(createChatSchema, request.body));
    return reply.status(created ? 201 : 200).send({ success: true, chat });
  });

  app.get('/chats', { preHandler: guard }, async (request) => ({
    success: true,
    chats: await chats.listChats(request.user.id),
  }));

  app.get('/chats/:id/messages', { preHandler: guard }, async (request) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    const query = parseInput(historyQuerySchema, request.query);
    const page = await chats.history(request.user.id, { chatId: id, ...query });
    return { success: true, ...page };
  });
}
