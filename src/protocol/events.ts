import type {
  ChatPageRequest,
  ChatRefPayload,
  EditMessagePayload,
  GetChatMessagesPayload,
  MarkReadPayload,
  MessageRefPayload,
  MuteChatPayload,
  ReactionPayload,
  ReportMessagePayload,
  SearchMessagesPayload,
  SendMessagePayload,
  SyncPayload,
} from './schemas.js';
import type {
  Answer,
  ChatEvent,
  ChatMember,
  ChatPage,
  ChatPinsEvent,
  ChatSummary,
  Mentioned,
  Message,
  MessageReactionsEvent,
  MessagesRead,
  PresenceChange,
  SearchPage,
  SyncEntry,
  UserTyping,
} from './types.js';

/**
 * The Socket.IO API (seed + contract §3) as socket.io's typed event maps. A TypeScript client does
 * `io(url) as Socket<ServerToClientEvents, ClientToServerEvents>` and gets every event typed.
 */
export interface ClientToServerEvents {
  send_message(payload: SendMessagePayload, ack: (answer: Answer<{ message: Message }>) => void): void;
  /** `version`: the chat's version the page reflects; live changes after it follow, and `sync` from it fills any gap. */
  join_chat(payload: ChatRefPayload, ack: (answer: Answer<{ messages: Message[]; version: number }>) => void): void;
  leave_chat(payload: ChatRefPayload, ack: (answer: Answer<object>) => void): void;
  get_chat_messages(
    payload: GetChatMessagesPayload,
    ack: (answer: Answer<{ messages: Message[]; hasMore: boolean }>) => void,
  ): void;
  /** Without a payload, the seed's call: every chat. With one, a page of them (ChatPage). */
  get_my_chats(
    ...args:
      | [ack: (answer: Answer<{ chats: ChatSummary[] }>) => void]
      | [query: ChatPageRequest, ack: (answer: Answer<ChatPage>) => void]
  ): void;
  // ---- beyond the seed (contract §3) ----
  /** `unreadMentionCount`: how many of the unread messages left mention the caller. */
  mark_read(
    payload: MarkReadPayload,
    ack: (answer: Answer<{ unreadCount: number; unreadMentionCount: number; seq: number }>) => void,
  ): void;
  edit_message(payload: EditMessagePayload, ack: (answer: Answer<{ message: Message }>) => void): void;
  delete_message(payload: MessageRefPayload, ack: (answer: Answer<{ message: Message }>) => void): void;
  typing(payload: ChatRefPayload, ack: (answer: Answer<object>) => void): void;
  stop_typing(payload: ChatRefPayload, ack: (answer: Answer<object>) => void): void;
  /** Catch-up from the database (contract §5): what changed in each chat after the version the client holds. */
  sync(payload: SyncPayload, ack: (answer: Answer<{ chats: SyncEntry[] }>) => void): void;
  /** Any member reacts to a live message; answers the message as it is now (`me` from the caller's view). */
  add_reaction(payload: ReactionPayload, ack: (answer: Answer<{ message: Message }>) => void): void;
  remove_reaction(payload: ReactionPayload, ack: (answer: Answer<{ message: Message }>) => void): void;
  /** Any member pins a live message of the chat (at most MAX_PINS_PER_CHAT); answers the message as it is now. */
  pin_message(payload: MessageRefPayload, ack: (answer: Answer<{ message: Message }>) => void): void;
  unpin_message(payload: MessageRefPayload, ack: (answer: Answer<{ message: Message }>) => void): void;
  /** The chat's pinned messages in their current state, most recently pinned first. */
  get_pinned_messages(payload: ChatRefPayload, ack: (answer: Answer<{ messages: Message[] }>) => void): void;
  /** Mutes or unmutes a chat for the caller (README "Mute"). */
  mute_chat(payload: MuteChatPayload, ack: (answer: Answer<{ chatId: string; muted: boolean }>) => void): void;
  /** Full-text search of the caller's chats' messages, newest first, paged (README "Search"). */
  search_messages(payload: SearchMessagesPayload, ack: (answer: Answer<SearchPage>) => void): void;
  /** A member reports a live message of their chat to the moderators; reporting it again answers the same. */
  report_message(payload: ReportMessagePayload, ack: (answer: Answer<object>) => void): void;
}

/**
 * Every event about a chat's messages (`new_message`, `message_updated`, `message_deleted`) is the
 * message itself, whose `chatId` and `version` say which change it is: each socket receives a
 * chat's changes in version order, without repeats. A version that jumps means changes were
 * missed: `sync` from the last one held.
 */
export interface ServerToClientEvents {
  new_message(message: Message): void;
  // ---- beyond the seed (contract §3) ----
  messages_read(read: MessagesRead): void;
  /** The message with its new text and `editedAt`. */
  message_updated(message: Message): void;
  /** The tombstone: same id and place, `text: ''`, `deletedAt`. */
  message_deleted(message: Message): void;
  user_typing(state: UserTyping): void;
  /** To every member's sockets when a chat they belong to is created or they are added to one. */
  chat_created(payload: { chat: ChatSummary }): void;
  /**
   * To the other members when someone was added, left or was removed; `users` is the membership
   * after it (with roles, as in the chat list).
   */
  chat_members_changed(payload: { chatId: string; users: ChatMember[] }): void;
  /** To the leaver's own sockets (all tabs), which have just left the chat's room. */
  chat_left(payload: { chatId: string }): void;
  /**
   * A new message mentions the user: to their sockets that have not joined its chat (a joined
   * socket gets it as `new_message`), never to the sender's. Not ordered with the chat's changes
   * and not replayed by `sync`: the message itself is (it carries `mentions`).
   */
  mentioned(payload: Mentioned): void;
  /** The user's first socket (cluster-wide) connected. */
  user_online(change: PresenceChange): void;
  /** The user's last socket (cluster-wide) disconnected. */
  user_offline(change: PresenceChange): void;
  /** A reaction was added or removed: in the chat's version order, with the messages' other changes. */
  message_reactions(change: MessageReactionsEvent): void;
  /** A message was pinned or unpinned: in the chat's version order, with the messages' other changes. */
  chat_pins(change: ChatPinsEvent): void;
  /**
   * A change to the chat itself (members, name, roles, settings; README "Chat events"): to the
   * sockets that joined the chat, in the chat's version order with its messages' changes; a
   * member's own removal (or leaving) also to all of that member's sockets, just before they leave
   * the chat's room.
   */
  chat_event(event: ChatEvent): void;
}
