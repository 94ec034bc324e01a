import type { ChatPinsEvent, Message, MessageReactionsEvent, Reaction, ReadPosition } from '../src/protocol/index.js';
import { Observable } from './observable.js';
import type { OutboxEntry } from './outbox.js';

/** `sending` and `failed`: in the outbox; `sent`: stored; `read`: another member has read up to it. */
export type MessageState = 'sending' | 'sent' | 'read' | 'failed';

/** One message as the app shows it: stored (`message`) or still in the outbox (`pending`). */
export interface MessageItem {
  /** The message id once stored, the clientMessageId before. */
  key: string;
  state: MessageState;
  message?: Message;
  pending?: OutboxEntry;
  /** A failed send's answer: its `code` (e.g. VALIDATION_ERROR) and text. */
  error?: { code: string; error: string };
}

export interface MessagesView {
  /** Stored messages oldest first (by `seq`), then the outbox's, in the order they were sent. */
  items: MessageItem[];
  /** Whether older messages exist than the oldest held (`loadOlder` reads them). */
  hasOlder: boolean;
}

/** Reads the page of messages before `before` (oldest first) and whether older ones exist. */
export type PageReader = (chatId: string, before: string) => Promise<{ messages: Message[]; hasMore: boolean }>;

/**
 * The cache of one chat's messages: the pages read so far, kept current by the chat's changes, the
 * outbox's messages for it, and the members' read positions that make own messages `read`.
 */
export class ChatMessages {
  private readonly byId = new Map<string, Message>();
  /**
   * Changed messages older than the oldest one held (a sync or an event about old history): not in
   * the view, whose oldest message is the cursor of the next older page and must leave no hole
   * before it, but known to `find` (a reply's quote shows its target's edit or deletion).
   */
  private readonly older = new Map<string, Message>();
  private pending: OutboxEntry[] = [];
  private readPositions: ReadPosition[] = [];
  private olderExhausted = false;
  private loading: Promise<boolean> | undefined;
  private readonly view = new Observable<MessagesView>({ items: [], hasOlder: false });

  constructor(
    readonly chatId: string,
    private readonly myUserId: () => string | undefined,
    private readonly readPage: PageReader,
  ) {}

  subscribe(listener: (view: MessagesView) => void): () => void {
    return this.view.subscribe(listener);
  }

  get(): MessagesView {
    return this.view.get();
  }

  /** Reads the page before the oldest message held; resolves whether older messages remain. */
  loadOlder(): Promise<boolean> {
    const oldest = this.sorted()[0];
    if (!oldest || !this.get().hasOlder) return Promise.resolve(false);
    this.loading ??= this.readPage(this.chatId, oldest.id)
      .then(({ messages, hasMore }) => {
        this.olderExhausted = !hasMore;
        this.upsert(messages, true);
        return hasMore;
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  /**
   * Messages from any source: each keeps its newest state (the highest `version`). A `page` (of
   * history, or the latest one) joins the view as it is; a single change older than the oldest
   * message held is kept aside until its page is read.
   */
  upsert(messages: Message[], page = false): void {
    const oldest = this.sorted()[0];
    for (const message of messages) {
      const held = this.byId.get(message.id) ?? this.older.get(message.id);
      const next =
        held && held.version > message.version
          ? held
          : { ...message, ...withReactions(held?.reactions, message.reactions) };
      if (!page && !this.byId.has(message.id) && oldest && message.seq < oldest.seq) {
        this.older.set(message.id, next);
        continue;
      }
      this.older.delete(message.id);
      this.byId.set(message.id, next);
    }
    this.publish();
  }

  /** A message the cache knows, in the view or older than it. */
  find(messageId: string): Message | undefined {
    return this.byId.get(messageId) ?? this.older.get(messageId);
  }

  /** `message_reactions`: the new summary; `me` kept from what the client knew, or set by its own user's change. */
  applyReactions(change: MessageReactionsEvent): void {
    const held = this.byId.get(change.messageId);
    if (!held || held.version > change.version) return;
    const mine = change.userId === this.myUserId();
    const reactions = change.reactions.map((reaction) => ({
      ...reaction,
      me:
        mine && reaction.emoji === change.emoji
          ? change.added
          : (held.reactions?.find((r) => r.emoji === reaction.emoji)?.me ?? false),
    }));
    const { reactions: _old, ...rest } = held;
    this.byId.set(held.id, { ...rest, version: change.version, ...(reactions.length > 0 ? { reactions } : {}) });
    this.publish();
  }

  /** `chat_pins`: the message's pin as it is now. */
  applyPins(change: ChatPinsEvent): void {
    const held = this.byId.get(change.messageId);
    if (!held || held.version > change.version) return;
    const { pinnedAt: _at, pinnedBy: _by, ...rest } = held;
    const pin =
      change.pinned && change.pinnedAt && change.pinnedBy
        ? { pinnedAt: change.pinnedAt, pinnedBy: change.pinnedBy }
        : {};
    this.byId.set(held.id, { ...rest, version: change.version, ...pin });
    this.publish();
  }

  /** The outbox's entries for this chat. */
  setPending(entries: OutboxEntry[]): void {
    this.pending = entries.filter((entry) => entry.chatId === this.chatId);
    this.publish();
  }

  setReadPositions(positions: ReadPosition[]): void {
    this.readPositions = positions;
    this.publish();
  }

  private sorted(): Message[] {
    return [...this.byId.values()].sort((a, b) => a.seq - b.seq);
  }

  private publish(): void {
    const me = this.myUserId();
    // Own messages are read once another member's position reaches them.
    const readUpTo = Math.max(0, ...this.readPositions.filter((p) => p.userId !== me).map((p) => p.seq));
    const stored = this.sorted();
    const items: MessageItem[] = stored.map((message) => ({
      key: message.id,
      state: message.sender === me && message.seq <= readUpTo ? 'read' : 'sent',
      message,
    }));
    for (const entry of [...this.pending].sort((a, b) => a.createdAt.localeCompare(b.createdAt)))
      items.push({
        key: entry.clientMessageId,
        state: entry.state,
        pending: entry,
        ...(entry.error ? { error: entry.error } : {}),
      });
    const oldest = stored[0];
    this.view.set({ items, hasOlder: oldest !== undefined && oldest.seq > 1 && !this.olderExhausted });
  }
}

/**
 * Events carry reactions without `me` (a broadcast has no caller): the client keeps the `me` it
 * knew for each emoji; answers carry it and replace it.
 */
function withReactions(held: Reaction[] | undefined, next: Reaction[] | undefined): { reactions?: Reaction[] } {
  if (!next) return {};
  return {
    reactions: next.map((reaction) =>
      reaction.me !== undefined
        ? reaction
        : { ...reaction, me: held?.find((r) => r.emoji === reaction.emoji)?.me ?? false },
    ),
  };
}
