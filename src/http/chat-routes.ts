import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { ChatAudience } from '../chat/chat-audience.js';
import type { ChatService } from '../chat/chat-service.js';
import type { RateLimits } from '../limits/rate-limits.js';
import { addMembersSchema, chatIdParamsSchema, createChatSchema, historyQuerySchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';

export function registerChatRoutes(
  app: FastifyInstance,
  chats: ChatService,
  guard: preHandlerAsyncHookHandler,
  /** For the events about chats (chat_created, …) and the members' presence in the chat list. */
  audience: ChatAudience,
  limits: RateLimits,
): void {
  app.post('/chats', { preHandler: guard }, async (request, reply) => {
    // Creating a chat puts other users in it unasked: limited, or one user could flood every
    // chat list on the server.
    await limits.chatChange(request.user.id);
    const { chat, created } = await chats.createChat(request.user, parseInput(createChatSchema, request.body));
    if (created) audience.chatCreated(chat);
    return reply.status(created ? 201 : 200).send({ success: true, chat });
  });

  app.post('/chats/:id/members', { preHandler: guard }, async (request) => {
    await limits.chatChange(request.user.id);
    const { id } = parseInput(chatIdParamsSchema, request.params);
    const { chat, added, previousIds } = await chats.addMembers(request.user, id, parseInput(addMembersSchema, request.body));
    audience.membersAdded(chat.id, chat.users, added, previousIds);
    return { success: true, chat };
  });

  app.delete('/chats/:id/members/me', { preHandler: guard }, async (request) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    const { remaining } = await chats.leaveChat(request.user.id, id);
    audience.memberLeft(id, request.user.id, remaining);
    return { success: true };
  });

  app.get('/chats', { preHandler: guard }, async (request) => ({
    success: true,
    chats: await audience.withPresence(await chats.listChats(request.user.id)),
  }));

  app.get('/chats/:id/messages', { preHandler: guard }, async (request) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    const query = parseInput(historyQuerySchema, request.query);
    const page = await chats.history(request.user.id, { chatId: id, ...query });
    return { success: true, ...page };
  });
}
