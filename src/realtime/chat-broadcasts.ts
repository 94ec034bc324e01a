import type { ChatAudience } from '../chat/chat-audience.js';
import type { ChatSummary, PublicUser } from '../protocol/types.js';
import { chatRoom, type ParleyServer } from './gateway.js';
import { withPresence } from './presence.js';

/** Every socket of a user joins this room on connect: events meant for the user, not for a chat. */
export const userRoom = (userId: string) => `user:${userId}`;

/**
 * Events about chats themselves (created, members changed), sent to users rather than to a chat
 * room — a user learns of a chat before any socket has joined it. Rooms span every node, so each
 * of these reaches the user's sockets wherever they are connected.
 */
export class ChatBroadcasts implements ChatAudience {
  constructor(private readonly io: ParleyServer) {}

  /** A new chat: `chat_created` to every member's sockets, the creator's included. */
  chatCreated(chat: ChatSummary): void {
    this.io.to(chat.users.map((user) => userRoom(user.id))).emit('chat_created', { chat });
  }

  /**
   * Users were added: each gets `chat_created` with the chat as they see it; those who were
   * members before get `chat_members_changed`.
   */
  membersAdded(
    chatId: string,
    users: PublicUser[],
    added: readonly { userId: string; chat: ChatSummary }[],
    previousIds: readonly string[],
  ): void {
    for (const { userId, chat } of added) this.io.to(userRoom(userId)).emit('chat_created', { chat });
    if (added.length > 0 && previousIds.length > 0) {
      this.io.to(previousIds.map(userRoom)).emit('chat_members_changed', { chatId, users });
    }
  }

  /**
   * A member left: all their sockets leave the chat's room at once, on every node (so no further
   * `new_message` or other chat event reaches them) and get `chat_left`; the others get
   * `chat_members_changed`.
   */
  memberLeft(chatId: string, userId: string, remaining: PublicUser[]): void {
    this.io.in(userRoom(userId)).socketsLeave(chatRoom(chatId));
    this.io.to(userRoom(userId)).emit('chat_left', { chatId });
    if (remaining.length > 0) {
      this.io.to(remaining.map((user) => userRoom(user.id))).emit('chat_members_changed', { chatId, users: remaining });
    }
  }

  withPresence(chats: ChatSummary[]): Promise<ChatSummary[]> {
    return withPresence(this.io, chats);
  }
}
