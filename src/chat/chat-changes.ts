import type { ChatEvent, ChatMember, ChatSummary, Message } from '../protocol/types.js';

/**
 * What happened in chats, as the chat service publishes it after each commit. A message change
 * carries the chat version it made (`message.version`); the service publishes a chat's message
 * changes in version order as far as it can (a send batch in commit order), and the realtime side
 * restores the order across writers and nodes. A chat event carries its own version
 * (`event.version`) and travels the same way. The other changes are not versioned: reads, and
 * notifications to users' own rooms that accompany chat events.
 */
export type ChatChange =
  | { type: 'message'; kind: 'created' | 'edited' | 'deleted'; message: Message }
  /**
   * `userId` added or removed a reaction with `emoji`; `message` (its reactions without `me`)
   * is the message after it, whose version the change took. Published only when it changed something.
   */
  | { type: 'reaction'; message: Message; userId: string; emoji: string; added: boolean }
  /** `message` was pinned or unpinned (its pinnedAt/pinnedBy say by whom); versioned as a reaction is. */
  | { type: 'pin'; message: Message; pinned: boolean }
  /** `userId` has read `chatId` up to `messageId` (position `seq`). */
  | { type: 'read'; chatId: string; userId: string; messageId: string; seq: number }
  /** A new chat, as its creator sees it; every member is in `chat.users`. */
  | { type: 'chat_created'; chat: ChatSummary }
  /** Users were added: `added` has the chat as each new member sees it; `users` is everyone now. */
  | {
      type: 'members_added';
      chatId: string;
      users: ChatMember[];
      added: { userId: string; chat: ChatSummary }[];
      previousIds: string[];
    }
  /**
   * A change to the chat itself (members, name, roles, settings), at the chat version it took:
   * published in version order, before the member notifications below that go with it.
   */
  | { type: 'chat_event'; event: ChatEvent }
  /** `userId` left or was removed; `remaining` are the members after it. */
  | { type: 'member_left'; chatId: string; userId: string; remaining: ChatMember[] }
  /** `userId`'s account was deleted: none of its sockets may stay open. */
  | { type: 'account_deleted'; userId: string }
  /** `userId`'s sessions end now: a moderator banned the account, or an operator revoked a bot's keys. */
  | { type: 'account_closed'; userId: string };

export type ChatChangeListener = (change: ChatChange) => void;

/** The service's side of publishing: listeners subscribe once, and a throwing one harms no other. */
export class ChatChanges {
  private readonly listeners: ChatChangeListener[] = [];
  private readonly onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = () => {}) {
    this.onListenerError = onListenerError;
  }

  subscribe(listener: ChatChangeListener): void {
    this.listeners.push(listener);
  }

  /** Reports a failure of work a listener started (and could not await). */
  reportError(error: unknown): void {
    this.onListenerError(error);
  }

  publish(change: ChatChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  /** Publishes chat events as a store change made them: in order, which is their version order. */
  publishEvents(events: readonly ChatEvent[]): void {
    for (const event of events) this.publish({ type: 'chat_event', event });
  }
}
