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
  /**
   * The message's reactions, in the order of each emoji's first reaction; absent when none (and
   * always on a tombstone). In answers `me` says whether the caller reacted with the emoji; in
   * events broadcast to a chat (`new_message`, `message_updated`, `message_deleted`,
   * `message_reactions`) there is no caller and no `me`: clients keep `me` from answers and from
   * `message_reactions` events whose `userId` is theirs.
   */
  reactions?: Reaction[];
  /** Set while the message is pinned: when it was pinned (ISO 8601, ms). */
  pinnedAt?: string;
  /** Set while the message is pinned: who pinned it (a user id). */
  pinnedBy?: string;
  /**
   * Set when the text mentions members of the chat (`@username`, recognised by the server when the
   * message is sent or edited): their user ids, in the order of their first mention. Never set on a
   * tombstone.
   */
  mentions?: string[];
  /** The files sent with the message, in the order given (absent when none, and on a tombstone). */
  attachments?: Attachment[];
  /** `true` when a bot sent it (README "Bots"); absent otherwise. */
  bot?: true;
}

/** One emoji's reactions to a message. */
export interface Reaction {
  /** The emoji (one grapheme cluster; short names are stored as their emoji). */
  emoji: string;
  /** How many users reacted with it. */
  count: number;
  /** In answers only: whether the caller is one of them. */
  me?: boolean;
}

/** At most this many distinct emoji per message: a new one past it is refused (VALIDATION_ERROR). */
export const MAX_DISTINCT_REACTIONS = 20;

/** At most this many pinned messages per chat: pinning past it is refused (VALIDATION_ERROR). */
export const MAX_PINS_PER_CHAT = 50;

/** `message_reactions`: a member added or removed a reaction; `reactions` is the message's summary after it. */
export interface MessageReactionsEvent {
  chatId: string;
  messageId: string;
  /** The chat version the change took (the message's `version`). */
  version: number;
  /** Without `me` (a broadcast). */
  reactions: Reaction[];
  /** Who reacted, and with what: a client sets `me` from its own user's changes. */
  userId: string;
  emoji: string;
  added: boolean;
}

/** `chat_pins`: a message was pinned or unpinned. */
export interface ChatPinsEvent {
  chatId: string;
  /** The chat version the change took (the message's `version`). */
  version: number;
  messageId: string;
  pinned: boolean;
  /** When pinned: who pinned it and when. */
  pinnedBy?: string;
  pinnedAt?: string;
}

/**
 * A file as uploaded (`POST /files`) and as a message carries it. Its bytes are read with
 * `GET /files/:id` (and an image's thumbnail with `GET /files/:id/thumbnail`).
 */
export interface Attachment {
  id: string;
  /** The uploaded file's name, sanitised: no path, no control characters, at most 255 characters. */
  name: string;
  /** The media type sniffed from the bytes, e.g. `image/png`, `application/pdf`, `text/plain`. */
  type: string;
  /** In bytes. */
  size: number;
  /** Images only: width in pixels. */
  width?: number;
  /** Images only: height in pixels. */
  height?: number;
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

/** A group member's role (README "Group roles"): one owner, any number of admins, the rest members. */
export type MemberRole = 'owner' | 'admin' | 'member';

/** A member as the chat list shows them. */
export interface ChatMember extends PublicUser {
  /** In groups only (a direct chat's pair has no roles). */
  role?: MemberRole;
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
  /** Of those, the messages that mention the caller (`Message.mentions`). */
  unreadMentionCount: number;
  /** The chat's version when the list was read: `sync` from it catches up on what came after. */
  version: number;
  /** Each member's read position: the `seq` of the last message they have read (0: none yet). */
  readPositions: ReadPosition[];
  /** In groups only: whether plain members may add people (admins and the owner always may). */
  membersCanAdd?: boolean;
  /** The caller muted the chat (`mute_chat`): its mentions alert nothing and push nothing; unread still counts. */
  muted: boolean;
}

/**
 * A change to a chat itself rather than to its messages (README "Chat events"), at the chat
 * version it took: the live `chat_event` and each entry of a sync answer's `events`. Users are
 * named by id only (the chat list and chat_members_changed carry their details).
 */
export type ChatEvent = {
  chatId: string;
  version: number;
  actorId: string | null;
  createdAt: string;
} & ChatEventChange;

/** What a chat event says, by kind. */
export type ChatEventChange =
  /** `userIds` were added (by `actorId`) as members. */
  | { kind: 'members_added'; userIds: string[] }
  /** `userId` left the group (or their account was deleted). */
  | { kind: 'member_left'; userId: string }
  /** `actorId` removed `userId`. */
  | { kind: 'member_removed'; userId: string }
  | { kind: 'chat_renamed'; name: string }
  /** `userId` is now an admin or a plain member. */
  | { kind: 'role_changed'; userId: string; role: 'admin' | 'member' }
  /**
   * `userId` is the owner now. `previousOwnerId` handed ownership over and is an admin since, or
   * left (a `member_left` just before).
   */
  | { kind: 'owner_changed'; userId: string; previousOwnerId: string }
  | { kind: 'settings_changed'; membersCanAdd: boolean };

export type ChatEventKind = ChatEventChange['kind'];

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
  | { success: true; chatId: string; version: number; messages: Message[]; events: ChatEvent[]; hasMore: boolean }
  | ({ chatId: string } & ErrorAnswer);

/**
 * `mentioned`: a new message of `chatId` mentions the receiver. Sent to the mentioned user's sockets
 * that have not joined the chat (those that have get `new_message`); never to the sender.
 */
export interface Mentioned {
  chatId: string;
  message: Message;
}

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

/** A report of a message, as moderators list it (`GET /moderation/reports`). */
export interface MessageReport {
  id: string;
  /** The message as it is now (a tombstone once deleted). */
  message: Message;
  reporter: PublicUser;
  reason: string;
  createdAt: string;
}

/** What a moderator did (`GET /moderation/audit`). */
export type ModerationAction = 'ban' | 'unban' | 'delete_message';

export interface ModerationAuditEntry {
  id: string;
  /** Null once the moderator's account is deleted (as targetUserId once the target's is). */
  moderator: PublicUser | null;
  action: ModerationAction;
  /** The user banned or unbanned, or the author of the deleted message. */
  targetUserId: string | null;
  /** The deleted message. */
  targetMessageId: string | null;
  reason: string | null;
  createdAt: string;
}

/** A page of reports or audit entries, newest first; `nextBefore` is the next page's `before` (null: none). */
export interface ModerationPage<T> {
  entries: T[];
  hasMore: boolean;
  nextBefore: string | null;
}
