import type { ChatService } from '../chat/chat-service.js';
import {
  chatPageSchema,
  chatRefSchema,
  getChatMessagesSchema,
  sendMessageSchema,
  syncSchema,
} from '../protocol/schemas.js';
import type { ChatFeed, JoinTicket } from './chat-feed.js';
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
    let ticket: JoinTicket | undefined;
    try {
      const page = await chats.openChat(user.id, chatId, () => {
        ticket = feed.beginJoin(socket, chatId);
      });
      // The socket joins the room once its answer is written: every live change follows the page.
      const joined = ticket!;
      afterAnswer(() => feed.completeJoin(joined, page.version, page.messages.at(-1)?.seq ?? 0));
      return page;
    } catch (error) {
      if (ticket) feed.cancelJoin(ticket);
      throw error;
    }
  });

  events.define('leave_chat', chatRefSchema, async ({ socket, user }, { chatId }) => {
    // Out of the room first: a socket that is in it should leave even if its user no longer is a member.
    feed.leave(socket, chatId);
    await chats.assertMember(user.id, chatId);
    return {};
  });

  events.define('get_chat_messages', getChatMessagesSchema, async ({ user }, query) => {
    const { messages, hasMore } = await chats.history(user.id, query);
    return { messages, hasMore };
  });

  // No payload, or one without `limit` and `before` (`{}`, which clients of the seed may send):
  // the seed's call, answered with every chat. With either: one page.
  events.define('get_my_chats', chatPageSchema.nullish(), async ({ user }, query) => {
    const list = await chats.chatList(user.id, query);
    return { ...list, chats: await withPresence(io, list.chats) };
  });

  events.define('sync', syncSchema, async ({ user }, payload) => ({ chats: await chats.sync(user.id, payload) }));
}
