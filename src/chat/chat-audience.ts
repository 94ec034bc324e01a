import type { ChatSummary, PublicUser } from '../protocol/types.js';

/**
 * The connected side of chats, as the HTTP routes need it: telling members' sockets that a chat
 * changed, and which users are online. The realtime gateway provides it (realtime/chat-broadcasts.ts);
 * as an interface here, HTTP and Socket.IO stay two transports over the domain instead of one
 * depending on the other.
 */
export interface ChatAudience {
  /** A new chat: `chat_created` to every member's sockets, the creator's included. */
  chatCreated(chat: ChatSummary): void;
  /** Users were added: `chat_created` to each of them, `chat_members_changed` to the earlier members. */
  membersAdded(
    chatId: string,
    users: PublicUser[],
    added: readonly { userId: string; chat: ChatSummary }[],
    previousIds: readonly string[],
  ): void;
  /** A member left: their sockets leave the chat at once and get `chat_left`; the others `chat_members_changed`. */
  memberLeft(chatId: string, userId: string, remaining: PublicUser[]): void;
  /** The chat list with `online` on every member. */
  withPresence(chats: ChatSummary[]): Promise<ChatSummary[]>;
}
