import type { ChatService } from '../chat/chat-service.js';
import { chatRefSchema, messageRefSchema, reactionSchema } from '../protocol/schemas.js';
import type { EventTable } from './event-table.js';

/**
 * Reactions and pins (README "Reactions and pins"): any member of the chat, on a live message.
 * Each answers the message as it is now from the caller's point of view; the change reaches the
 * chat's sockets as `message_reactions` / `chat_pins`, in the chat's version order (chat-broadcasts.ts).
 */
export function defineMessageMarkEvents(events: EventTable, { chats }: { chats: ChatService }): void {
  events.define('add_reaction', reactionSchema, async ({ user }, payload) => ({
    message: await chats.react(user.id, payload, true),
  }));
  events.define('remove_reaction', reactionSchema, async ({ user }, payload) => ({
    message: await chats.react(user.id, payload, false),
  }));
  events.define('pin_message', messageRefSchema, async ({ user }, payload) => ({
    message: await chats.pin(user.id, payload, true),
  }));
  events.define('unpin_message', messageRefSchema, async ({ user }, payload) => ({
    message: await chats.pin(user.id, payload, false),
  }));
  events.define('get_pinned_messages', chatRefSchema, async ({ user }, { chatId }) => ({
    messages: await chats.pinnedMessages(user.id, chatId),
  }));
}
