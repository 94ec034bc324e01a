import type { ChatService } from '../chat/chat-service.js';
import { chatRefSchema, getChatMessagesSchema, sendMessageSchema } from '../protocol/schemas.js';
import type { EventTable } from './event-table.js';
import { chatRoom, type ParleyServer } from './gateway.js';
import { withPresence } from './presence.js';

/**
 * The seed's events. Each validates its payload with its schema (event-gate.ts), checks
 * membership in the chat service, and resolves to what is answered with `success: true`.
 */
export function defineChatEvents(events: EventTable, { io, chats }: { io: ParleyServer; chats: ChatService }): void {
  events.define('send_message', sendMessageSchema, async ({ user }, payload) => {
    // Sends resolve in commit order (group commit, one batch at a time), and nothing is awaited
    // between here and the emit, so new_message leaves this node in the order of history.
    const { message, created } = await chats.sendMessage(user, payload);
    // A retried send answers the original message but must not be delivered twice.
    if (created) io.to(chatRoom(message.chatId)).emit('new_message', message);
    return { message };
  });

  events.define('join_chat', chatRefSchema, async ({ socket, user }, { chatId }) => ({
    messages: await chats.openChat(user.id, chatId, async () => socket.join(chatRoom(chatId))),
  }));

  events.define('leave_chat', chatRefSchema, async ({ socket, user }, { chatId }) => {
    await chats.assertMember(user.id, chatId);
    await socket.leave(chatRoom(chatId));
    return {};
  });

  events.define('get_chat_messages', getChatMessagesSchema, ({ user }, query) => chats.history(user.id, query));

  events.define('get_my_chats', null, async ({ user }) => ({ chats: await withPresence(io, await chats.listChats(user.id)) }));
}
