/** Wire shapes, exactly as the seed shows them (fields only ever get added). */

export interface PublicUser {
  id: string;
  email: string;
  username: string;
}

export interface Message {
  id: string;
  text: string;
  /** The author's user id; always equal to `user.id`. */
  sender: string;
  chatId: string;
  /** ISO 8601 UTC with milliseconds; strictly increasing within a chat, in commit order. */
  createdAt: string;
  user: PublicUser;
}

export interface ChatSummary {
  id: string;
  /** Null for direct chats. */
  name: string | null;
  users: PublicUser[];
  /** The last message of the chat, or empty. */
  messages: Message[];
  /** Messages from other members after the caller's read position. */
  unreadCount: number;
}

export interface ErrorAnswer {
  success: false;
  error: string;
  code: string;
  field?: string;
}

export type Answer<T extends object> = ({ success: true } & T) | ErrorAnswer;
