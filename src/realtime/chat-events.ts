import type { ChatService } from '../chat/chat-service.js';
import { chatRefSchema, getChatMessagesSchema, sendMessageSchema, syncSchema } from '../protocol/schemas.js';
import type { ChatFeed } from './chat-feed.js';
import type { EventTable } from './event-table.js';
import { withPresence } from './presence.js';
import type { ParleyServer } from './socket-types.js';

/**
 * The seed's events, and sync. Each validates its payload with its schema (event-gate.ts), checks
 * membership in the chat service, and resolves to what is answered with `success: true`. What a
 * change means for other sockets is the chat service's to publish (chat-broadcasts.ts).
 */
export function defineChatEvents(
  events: EventTable,
  { io, chats, feed }: { io: ParleyServer; chats: ChatService; feed: ChatFeed },
): void {
  events.define('send_message', sendMessageSchema, async ({ user }, payload) => ({
    message: await chats.sendMessage(user, payload),
  }));

  events.define('join_chat', chatRefSchema, async ({ socket, user, afterAnswer }, { chatId }) => {
    let holding = false;
    try {
      const page = await chats.openChat(user.id, chatId, () => {
        feed.beginJoin(socket, chatId);
        holding = true;
      });
      // The socket joins the room once its answer is written: every live change follows the page.
      afterAnswer(() => feed.completeJoin(socket, chatId, page.version, page.messages.at(-1)?.seq ?? 0));
      return page;
    } catch (error) {
      if (holding) feed.leave(socket, chatId);
      throw error;
    }
  });

  events.define('leave_chat', chatRefSchema, async ({ socket, user }, { chatId }) => {
    await chats.assertMember(user.id, chatId);
    feed.leave(socket, chatId);
    return {};
  });

  events.define('get_chat_messages', getChatMessagesSchema, async ({ user }, query) => {
    const { messages, hasMore } = await chats.history(user.id, query);
    return { messages, hasMore };
  });

  events.define('get_my_chats', null, async ({ user }) => ({ chats: await withPresence(io, await chats.listChats(user.id)) }));

  events.define('sync', syncSchema, async ({ user }, payload) => ({ chats: await chats.sync(user.id, payload) }));
}
