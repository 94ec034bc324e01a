import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { ChatAudience } from '../chat/chat-audience.js';
import type { ChatService } from '../chat/chat-service.js';
import type { GroupAdminService } from '../chat/group-admin-service.js';
import {
  addMembersSchema,
  chatIdParamsSchema,
  chatMemberParamsSchema,
  chatPageQuerySchema,
  createChatSchema,
  historyQuerySchema,
  muteBodySchema,
  searchMessagesQuerySchema,
  sendMessageBodySchema,
  setRoleSchema,
  syncSchema,
  updateChatSchema,
} from '../protocol/schemas.js';
import { chatListJson } from '../protocol/chat-summary-text.js';
import { parseInput } from '../validation.js';
import type { Admission } from './user-admission.js';

export function registerChatRoutes(
  app: FastifyInstance,
  chats: ChatService,
  groups: GroupAdminService,
  guard: preHandlerAsyncHookHandler,
  /** The members' presence in the chat list. */
  audience: ChatAudience,
  admit: Admission,
): void {
  // Creating a chat or adding members puts other users in it unasked: limited, or one user could
  // flood every chat list on the server.
  app.post('/chats', { preHandler: [guard, admit.chatChange] }, async (request, reply) => {
    const { chat, created } = await chats.createChat(request.user, parseInput(createChatSchema, request.body));
    return reply.status(created ? 201 : 200).send({ success: true, chat });
  });

  app.post('/chats/:id/members', { preHandler: [guard, admit.chatChange] }, async (request) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    const chat = await groups.addMembers(request.user, id, parseInput(addMembersSchema, request.body));
    return { success: true, chat };
  });

  app.delete('/chats/:id/members/me', { preHandler: [guard, admit.request] }, async (request) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    await groups.leaveChat(request.user.id, id);
    return { success: true };
  });

  // Group administration (README "Group roles"): each change is a chat event every member's
  // sockets receive, limited as member additions are.
  app.delete('/chats/:id/members/:userId', { preHandler: [guard, admit.chatChange] }, async (request) => {
    const { id, userId } = parseInput(chatMemberParamsSchema, request.params);
    await groups.removeMember(request.user, id, userId);
    return { success: true };
  });

  app.put('/chats/:id/members/:userId/role', { preHandler: [guard, admit.chatChange] }, async (request) => {
    const { id, userId } = parseInput(chatMemberParamsSchema, request.params);
    const chat = await groups.setRole(request.user, id, userId, parseInput(setRoleSchema, request.body));
    return { success: true, chat };
  });

  app.patch('/chats/:id', { preHandler: [guard, admit.chatChange] }, async (request) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    const chat = await groups.updateChat(request.user, id, parseInput(updateChatSchema, request.body));
    return { success: true, chat };
  });

  app.put('/chats/:id/mute', { preHandler: [guard, admit.request] }, async (request) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    const { muted } = parseInput(muteBodySchema, request.body);
    return { success: true, ...(await chats.muteChat(request.user.id, { chatId: id, muted })) };
  });

  // Without `limit` and `before`, every chat (as get_my_chats without a payload); with either, one
  // page (as get_my_chats with one). A query string cannot tell an empty object from none.
  // Written as the chats' JSON text (ChatSummaryText), not stringified from objects.
  app.get('/chats', { preHandler: [guard, admit.read] }, async (request, reply) => {
    const list = await chats.chatList(request.user.id, parseInput(chatPageQuerySchema, request.query));
    const answer = chatListJson({ success: true, ...list, chats: await audience.withPresence(list.chats) });
    return reply.type('application/json; charset=utf-8').send(answer);
  });

  // send_message over HTTP (bots, backends): the same rules, limits and answer.
  app.post('/chats/:id/messages', { preHandler: [guard, admit.messageChange] }, async (request, reply) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    const body = parseInput(sendMessageBodySchema, request.body);
    const message = await chats.sendMessage(request.user, { chatId: id, ...body });
    return reply.status(201).send({ success: true, message });
  });

  app.get('/chats/:id/messages', { preHandler: [guard, admit.read] }, async (request) => {
    const { id } = parseInput(chatIdParamsSchema, request.params);
    const query = parseInput(historyQuerySchema, request.query);
    const { messages, hasMore } = await chats.history(request.user.id, { chatId: id, ...query });
    return { success: true, messages, hasMore };
  });

  // The same search as the `search_messages` event (README "Search"), a read like history.
  app.get('/messages/search', { preHandler: [guard, admit.read] }, async (request) => ({
    success: true,
    ...(await chats.searchMessages(request.user.id, parseInput(searchMessagesQuerySchema, request.query))),
  }));

  // The same catch-up as the `sync` event (contract §5), for clients between connections.
  app.post('/sync', { preHandler: [guard, admit.read] }, async (request) => ({
    success: true,
    chats: await chats.sync(request.user.id, parseInput(syncSchema, request.body)),
  }));
}
