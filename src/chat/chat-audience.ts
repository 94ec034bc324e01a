import type { ChatMember } from '../protocol/types.js';

/**
 * Who is connected, as the HTTP chat list needs it. The realtime gateway knows (presence.ts); as
 * an interface here, HTTP and Socket.IO stay two transports over the domain instead of one
 * depending on the other.
 */
export interface ChatAudience {
  /** The chat list with `online` on every member. */
  withPresence<Chat extends { users: ChatMember[] }>(chats: Chat[]): Promise<Chat[]>;
}
