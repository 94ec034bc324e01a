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
  /** The message's position in its chat: 1, 2, 3…, in commit order, never reused. */
  seq: number;
  /**
   * The chat version of the message's latest change (its creation, edit or deletion). Every
   * change to a chat's messages takes the chat's next version: gap-free, in commit order.
   */
  version: number;
  /** Set once the author has edited the text: when it was last edited (ISO 8601, ms). */
  editedAt?: string;
  /** Set once the author has deleted the message: a tombstone whose `text` is ''. */
  deletedAt?: string;
  /** Set for a reply only: the replied-to message as it is now. */
  replyTo?: ReplyQuote;
}

/** How much of the replied-to message's text a quote (`replyTo.text`) carries, in characters (code points). */
export const REPLY_QUOTE_LENGTH = 200;

/**
 * The message a reply quotes, as it is when the reply is read: an edit shows its new text; a
 * deleted target shows its tombstone (`text: ''`, `deletedAt`), never its old text.
 */
export interface ReplyQuote {
  id: string;
  /** The first REPLY_QUOTE_LENGTH characters (code points) of the target's current text. */
  text: string;
  /** The target's author. */
  user: PublicUser;
  /** Set once the target is deleted. */
  deletedAt?: string;
}

/** A member as the chat list shows them. */
export interface ChatMember extends PublicUser {
  /**
   * In `get_my_chats` / `GET /chats`: whether the user has a socket connected to any node. Absent
   * elsewhere (`chat_created`, `POST /chats`) and when presence could not be determined.
   */
  online?: boolean;
}

export interface ChatSummary {
  id: string;
  /** Null for direct chats. */
  name: string | null;
  users: ChatMember[];
  /** The last message of the chat, or empty. */
  messages: Message[];
  /** Messages from other members after the caller's read position. */
  unreadCount: number;
  /** The chat's version when the list was read: `sync` from it catches up on what came after. */
  version: number;
  /** Each member's read position: the `seq` of the last message they have read (0: none yet). */
  readPositions: ReadPosition[];
}

/**
 * One page of the chat list (`get_my_chats` with a payload, `GET /chats?limit=&before=`), most
 * recent activity first. `nextBefore` is what to send as `before` for the next page: the last
 * chat's id while `hasMore`, null once the page reaches the end of the list.
 */
export interface ChatPage {
  chats: ChatSummary[];
  hasMore: boolean;
  nextBefore: string | null;
}

/** `userId` has read the chat up to and including the message at position `seq`. */
export interface ReadPosition {
  userId: string;
  seq: number;
}

export interface ErrorAnswer {
  success: false;
  error: string;
  code: string;
  field?: string;
}

export type Answer<T extends object> = ({ success: true } & T) | ErrorAnswer;

/**
 * One chat of a `sync` answer: the messages changed after the version asked for, in their current
 * state and version order, and the version they bring the client to (`hasMore`: ask again from
 * it). A chat the caller may not read answers the usual error in its own entry.
 */
export type SyncEntry =
  | { success: true; chatId: string; version: number; messages: Message[]; hasMore: boolean }
  | ({ chatId: string } & ErrorAnswer);

/** `messages_read`: `userId` has read `chatId` up to and including `messageId`, whose position is `seq`. */
export interface MessagesRead {
  chatId: string;
  userId: string;
  messageId: string;
  seq: number;
}

/** `user_typing`: `userId` started (`true`) or stopped (`false`) typing in `chatId`. */
export interface UserTyping {
  chatId: string;
  userId: string;
  typing: boolean;
}

/** `user_online` / `user_offline`: to the users who share with `userId` a chat of at most PRESENCE_MAX_CHAT_MEMBERS members. */
export interface PresenceChange {
  userId: string;
}

/**
 * A search hit's snippet (`search_messages`): a fragment of the message's current text around the
 * words the query matched, as plain text, with the matched words as ranges — never markup.
 * Each range is `[start, end)` in UTF-16 code units of `text` (JavaScript string indices:
 * `text.slice(start, end)`), ascending and disjoint.
 */
export interface SearchSnippet {
  text: string;
  highlights: [start: number, end: number][];
}

/** One message found by `search_messages`: the message as history answers it now, its chat, and the snippet. */
export interface SearchHit {
  message: Message;
  /** The message's chat: its id and name (null for a direct chat, as in the chat list). */
  chat: { id: string; name: string | null };
  snippet: SearchSnippet;
}

/**
 * One page of `search_messages` / `GET /messages/search`, newest first. `nextBefore` is what to send
 * as `before` for the next page: the last hit's message id while `hasMore`, null at the end.
 */
export interface SearchPage {
  hits: SearchHit[];
  hasMore: boolean;
  nextBefore: string | null;
}
