import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { ChatAudience } from '../chat/chat-audience.js';
import type { ChatService } from '../chat/chat-service.js';
import type { RateLimits } from '../limits/rate-limits.js';
import { addMembersSchema, chatIdParamsSchema, createChatSchema, historyQuerySchema, syncSchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';

export function registerChatRoutes(
  app: FastifyInstance,
  chats: ChatService,
  guard: preHandlerAsyncHookHandler,
  /** The members' presence in the chat list. */
  audience: ChatAudience,
  limits: RateLimits,
): void {
  app.post('/chats', { preHandler: guard }, async (request, reply) => {
    // Creating a chat puts other users in it unasked: limited, or one user could flood every
    // chat list on the server.
    await limits.chatChange(request.user.id);
    const { chat, created } = await chats.createChat(request.user, parseInput(createChatSchema, request.body));
    return reply.status(created ? 201 : 200).send({ success: true, chat });
  });

  app.post('/chats/:id/members', { preHandler: guard }, async (request) => {
    await limits.chatChange(request.user.id);
    const { id } = parseInput(chatIdParamsSchema, request.params);
    const chat = await chats.addMembers(request.user, id, parseInput(addMembersSchema, request.body));
    return { success: true, chat };
  });

  app.delete('/chats/:id/members/me', { preHandler: guard }, async (request) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    await chats.leaveChat(request.user.id, id);
    return { success: true };
  });

  app.get('/chats', { preHandler: guard }, async (request) => ({
    success: true,
    chats: await audience.withPresence(await chats.listChats(request.user.id)),
  }));

  app.get('/chats/:id/messages', { preHandler: guard }, async (request) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    const query = parseInput(historyQuerySchema, request.query);
    const { messages, hasMore } = await chats.history(request.user.id, { chatId: id, ...query });
    return { success: true, messages, hasMore };
  });

  // The same catch-up as the `sync` event (contract §5), for clients between connections.
  app.post('/sync', { preHandler: guard }, async (request) => {
    await limits.sync(request.user.id);
    return { success: true, chats: await chats.sync(request.user.id, parseInput(syncSchema, request.body)) };
  });
}
