import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  Answer,
  ChatEvent,
  ChatPinsEvent,
  ChatSummary,
  ClientEventName,
  ClientToServerEvents,
  EventAnswer,
  EventPayload,
  EventSuccess,
  Message,
  MessageReactionsEvent,
  MessagesRead,
  PublicUser,
  ServerToClientEvents,
} from '../src/protocol/index.js';
import { SYNC_MAX_CHATS } from '../src/protocol/limits.js';
import { ChatList } from './chat-list.js';
import { ChatMessages } from './chat-messages.js';
import { asVersioned, ChatVersions, syncChanges, type VersionedEvent } from './chat-versions.js';
import { Observable } from './observable.js';
import { defaultOutboxStore, type OutboxEntry, type OutboxStore } from './outbox.js';

export type ParleySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * `connecting`: no connection yet (or it dropped); `syncing`: connected, catching up; `online`:
 * connected and caught up; `unauthorized`: the server refused the token and the refresh hook gave
 * none it accepts; `closed`: `close()` was called.
 */
export type ConnectionStatus = 'connecting' | 'syncing' | 'online' | 'unauthorized' | 'closed';

export interface ClientOptions {
  /** The server's origin, e.g. `https://chat.example.com` (Socket.IO at its default path). */
  url: string;
  /** The access token of the first connection. */
  token: string;
  /**
   * Called before every later connection (`reconnect`) and after the server refused the token or
   * closed the socket because it expired (`unauthorized`); answers the token to use.
   */
  refreshToken?: (reason: 'reconnect' | 'unauthorized') => string | Promise<string>;
  /**
   * The signed-in user, when the app knows it (from its login): sends can then be queued before the
   * first connection. Otherwise it is read with `GET /users/me`.
   */
  user?: PublicUser;
  /** Where unsent messages wait: IndexedDB in a browser, memory in Node by default. */
  outbox?: OutboxStore;
  /** How long an answer may take before the request counts as lost (the connection is then suspect). */
  answerTimeoutMs?: number;
  /** Passed to socket.io-client (e.g. `transports`, `reconnectionDelayMax`). */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

/** What `request` rejects with when the server answered an error. */
export class ParleyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ParleyError';
  }
}

/** Answers a send may get that a later retry can change: the outbox keeps trying those. */
const TRANSIENT_CODES = new Set(['RATE_LIMITED', 'INTERNAL', 'UNAVAILABLE']);
/** Server → client events that carry a chat and a version but are not one of its changes. */
const NOT_CHAT_CHANGES = new Set(['mentioned']);
/** Parallel `join_chat`s after a (re)connection: paced under the per-user read limit. */
const JOIN_CONCURRENCY = 4;
const MAX_BACKOFF_MS = 5_000;
/** Refused tokens in a row after which the client stops trying (the account may be gone). */
const MAX_AUTH_FAILURES = 3;

/**
 * A Parley client: one connection that comes back by itself, the chat list and each chat's
 * messages kept current and in version order, and sends that are never lost nor duplicated.
 * README "Client SDK".
 */
export class ParleyClient {
  readonly status = new Observable<ConnectionStatus>('connecting');
  readonly chats: ChatList;
  readonly socket: ParleySocket;
  private user: PublicUser | undefined;
  private token: string;
  private tokenReason: 'reconnect' | 'unauthorized' | undefined;
  private authFailures = 0;
  /** Counts connections: work begun on one stops when another replaces it. */
  private generation = 0;
  private readonly versions: ChatVersions;
  private readonly messageCaches = new Map<string, ChatMessages>();
  private readonly eventListeners = new Set<(event: VersionedEvent) => void>();
  private readonly outboxStore: OutboxStore;
  private outbox: OutboxEntry[] = [];
  private readonly outboxLoaded: Promise<void>;
  private flushing: Promise<void> | undefined;
  private flushAgain = false;
  private readonly waiters = new Map<string, { resolve: (m: Message) => void; reject: (e: ParleyError) => void }>();
  private readonly answerTimeoutMs: number;
  private syncQueue = new Set<string>();
  /** Per chat, the read position this client's own last markRead answered (its messages_read echo is no news). */
  private readonly markedHere = new Map<string, number>();
  private syncRunning: Promise<void> | undefined;

  constructor(private readonly options: ClientOptions) {
    this.token = options.token;
    this.user = options.user;
    this.answerTimeoutMs = options.answerTimeoutMs ?? 10_000;
    this.outboxStore = options.outbox ?? defaultOutboxStore();
    this.chats = new ChatList(() => this.user?.id);
    this.versions = new ChatVersions(
      (event) => this.deliver(event),
      (chatId) => this.catchUp([chatId]),
    );
    this.socket = io(options.url, {
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      ...options.socket,
      // A function: socket.io-client calls it for every connection attempt, so each gets a fresh token.
      auth: (done) => void this.nextToken().then((token) => done({ token })),
    });
    this.outboxLoaded = this.loadOutbox();
    this.listen();
  }

  /** The signed-in user (read with `GET /users/me` on the first connection). */
  me(): PublicUser | undefined {
    return this.user;
  }

  /** The cache of one chat's messages: subscribe to it, page back with `loadOlder`. */
  messages(chatId: string): ChatMessages {
    let cache = this.messageCaches.get(chatId);
    if (!cache) {
      cache = new ChatMessages(
        chatId,
        () => this.user?.id,
        (id, before) => this.request('get_chat_messages', { chatId: id, before }),
      );
      cache.setPending(this.outbox);
      cache.setReadPositions(this.chats.find(chatId)?.readPositions ?? []);
      this.messageCaches.set(chatId, cache);
    }
    return cache;
  }

  /** Every chat's changes, each once, in each chat's version order. */
  onChatEvent(listener: (event: VersionedEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Resolves once connected and caught up. */
  ready(): Promise<void> {
    return new Promise((resolve) => {
      const stop = this.status.subscribe((status) => {
        if (status !== 'online') return;
        queueMicrotask(() => stop());
        resolve();
      });
    });
  }

  /**
   * Queues a message in the outbox and sends it as soon as the connection allows, retrying (with the
   * same clientMessageId) until the server answers. `sent` resolves with the stored message, or
   * rejects with the answer's code when the server refused it (the entry is then `failed`).
   */
  async send(
    chatId: string,
    text: string,
    extra: { replyTo?: string; attachments?: string[] } = {},
  ): Promise<{ clientMessageId: string; sent: Promise<Message> }> {
    await this.outboxLoaded;
    const entry: OutboxEntry = {
      clientMessageId: newClientMessageId(),
      userId: (await this.signedIn()).id,
      chatId,
      text,
      ...(extra.replyTo ? { replyTo: extra.replyTo } : {}),
      ...(extra.attachments ? { attachments: extra.attachments } : {}),
      createdAt: new Date().toISOString(),
      state: 'sending',
    };
    const sent = this.waitFor(entry.clientMessageId);
    await this.outboxStore.put(entry);
    this.setOutbox([...this.outbox, entry]);
    void this.flushOutbox();
    return { clientMessageId: entry.clientMessageId, sent };
  }

  /** Sends a failed message again (same clientMessageId). */
  async retry(clientMessageId: string): Promise<Message> {
    const entry = this.outbox.find((e) => e.clientMessageId === clientMessageId);
    if (!entry) throw new Error('No such message in the outbox');
    const { error: _error, ...rest } = entry;
    const again: OutboxEntry = { ...rest, state: 'sending' };
    const sent = this.waitFor(clientMessageId);
    await this.outboxStore.put(again);
    this.setOutbox(this.outbox.map((e) => (e.clientMessageId === clientMessageId ? again : e)));
    void this.flushOutbox();
    return sent;
  }

  /** Drops a message from the outbox (a failed one, or one the user cancels). */
  async discard(clientMessageId: string): Promise<void> {
    await this.outboxStore.delete(clientMessageId);
    this.setOutbox(this.outbox.filter((e) => e.clientMessageId !== clientMessageId));
  }

  /** Moves the user's read position; the chat list's unread counts follow the answer. */
  async markRead(chatId: string, messageId: string): Promise<void> {
    const answer = await this.request('mark_read', { chatId, messageId });
    this.markedHere.set(chatId, answer.seq);
    this.chats.setUnread(chatId, answer.unreadCount, answer.unreadMentionCount);
  }

  /**
   * Any event of the API with its answer typed (`search_messages`, `add_reaction`, `edit_message`, …):
   * resolves with the success answer, rejects with a ParleyError (its `code`) or on timeout.
   */
  request<E extends ClientEventName>(event: E, ...payload: EventPayload<E>): Promise<EventSuccess<E>> {
    return requestOn(this.socket, this.answerTimeoutMs, event, ...payload);
  }

  close(): void {
    this.generation += 1;
    this.status.set('closed');
    this.socket.close();
  }

  // ---- the connection ----

  private async nextToken(): Promise<string> {
    const reason = this.tokenReason;
    this.tokenReason = 'reconnect';
    if (reason && this.options.refreshToken) {
      try {
        this.token = await this.options.refreshToken(reason);
      } catch {
        // The hook failed: try the token held; a refusal calls the hook again.
      }
    }
    return this.token;
  }

  private listen(): void {
    const socket = this.socket;
    socket.on('connect', () => void this.connected(++this.generation));
    socket.on('disconnect', (reason) => {
      this.generation += 1;
      this.versions.abandonSyncs();
      if (this.status.get() === 'closed') return;
      this.status.set('connecting');
      // The server closed the socket (its token expired): socket.io-client does not come back by itself.
      if (reason === 'io server disconnect') {
        this.tokenReason = 'unauthorized';
        setTimeout(() => this.status.get() === 'connecting' && socket.connect(), 200);
      }
    });
    socket.on('connect_error', (error) => {
      const code = (error as { data?: { code?: string } }).data?.code;
      if (code !== 'UNAUTHORIZED' || this.status.get() === 'closed') return;
      // A refused handshake is not retried by socket.io-client: ask the hook for a token and try again.
      this.authFailures += 1;
      if (!this.options.refreshToken || this.authFailures > MAX_AUTH_FAILURES) {
        this.status.set('unauthorized');
        return;
      }
      this.tokenReason = 'unauthorized';
      setTimeout(() => this.status.get() !== 'closed' && socket.connect(), backoff(this.authFailures - 1));
    });
    socket.onAny((name: string, payload: unknown) => this.received(name, payload));
    socket.on('messages_read', (read) => this.onRead(read));
    socket.on('chat_created', ({ chat }) => void this.chatAdded(chat, this.generation));
    socket.on('chat_left', ({ chatId }) => this.chatGone(chatId));
    socket.on('chat_members_changed', ({ chatId, users }) => this.chats.setMembers(chatId, users));
  }

  /** After every (re)connection: the chat list, join each chat, sync each from the version held, then the outbox. */
  private async connected(generation: number): Promise<void> {
    this.authFailures = 0;
    this.status.set('syncing');
    try {
      await this.signedIn();
      const { chats } = await this.paced(
        generation,
        () => this.ask('get_my_chats') as Promise<Answer<{ chats: ChatSummary[] }>>,
      );
      const ids = new Set(chats.map((chat) => chat.id));
      for (const chat of this.chats.get()) if (!ids.has(chat.id)) this.chatGone(chat.id);
      this.chats.replace(chats);
      for (const chat of chats) {
        this.versions.beginSync(chat.id);
        this.messageCaches.get(chat.id)?.setReadPositions(chat.readPositions);
      }
      await pool(chats, JOIN_CONCURRENCY, (chat) => this.join(chat.id, generation));
      await this.syncChats(
        chats.map((chat) => chat.id),
        generation,
      );
      if (generation !== this.generation) return;
      this.status.set('online');
      await this.flushOutbox();
    } catch (error) {
      if (error instanceof Superseded) return;
      // Anything else (a timeout: the connection is suspect): start afresh on a new connection.
      if (generation !== this.generation) return;
      this.socket.disconnect();
      setTimeout(() => this.status.get() !== 'closed' && this.socket.connect(), backoff(2));
    }
  }

  private async join(chatId: string, generation: number): Promise<void> {
    try {
      const joined = await this.paced(generation, () => this.ask('join_chat', { chatId }));
      this.messages(chatId).upsert(joined.messages, true);
      this.versions.start(chatId, joined.version);
    } catch (error) {
      // Left (or removed) since the list was read: the chat goes, the others carry on.
      if (error instanceof ParleyError && error.code === 'FORBIDDEN') this.chatGone(chatId);
      else throw error;
    }
  }

  private async chatAdded(chat: ChatSummary, generation: number): Promise<void> {
    this.chats.add(chat);
    this.versions.beginSync(chat.id);
    try {
      await this.join(chat.id, generation);
      await this.syncChats([chat.id], generation);
    } catch {
      // The connection went: the next one reads the chat list afresh.
    }
  }

  private chatGone(chatId: string): void {
    this.chats.remove(chatId);
    this.versions.forget(chatId);
    this.messageCaches.delete(chatId);
  }

  /** A gap in a chat: sync it (chats asked for meanwhile join the next round). */
  private catchUp(chatIds: string[]): void {
    for (const chatId of chatIds) {
      this.versions.beginSync(chatId);
      this.syncQueue.add(chatId);
    }
    this.syncRunning ??= (async () => {
      const generation = this.generation;
      try {
        while (this.syncQueue.size > 0 && generation === this.generation) {
          const batch = [...this.syncQueue];
          this.syncQueue.clear();
          await this.syncChats(batch, generation);
        }
      } catch {
        // A new connection syncs every chat anyway.
      } finally {
        this.syncRunning = undefined;
        this.syncQueue.clear();
      }
    })();
  }

  /** `sync` from each chat's held version until nothing is left, at most SYNC_MAX_CHATS chats a request. */
  private async syncChats(chatIds: string[], generation: number): Promise<void> {
    let wanted = chatIds.map((chatId) => ({ chatId, version: this.versions.version(chatId) ?? 0 }));
    while (wanted.length > 0) {
      const chats = wanted.slice(0, SYNC_MAX_CHATS);
      wanted = wanted.slice(SYNC_MAX_CHATS);
      const answer = await this.paced(generation, () => this.ask('sync', { chats }));
      for (const entry of answer.chats) {
        if (!entry.success) {
          this.chatGone(entry.chatId); // no longer a member
          continue;
        }
        this.versions.synced(entry.chatId, syncChanges(entry), entry.version, !entry.hasMore);
        if (entry.hasMore) wanted.push({ chatId: entry.chatId, version: entry.version });
      }
    }
  }

  /** Asks until the answer is not RATE_LIMITED (waiting longer each time); throws on other errors. */
  private async paced<T extends object>(
    generation: number,
    ask: () => Promise<Answer<T>>,
  ): Promise<{ success: true } & T> {
    for (let attempt = 0; ; attempt++) {
      if (generation !== this.generation) throw new Superseded();
      const answer = await ask();
      if (answer.success) return answer;
      if (answer.code !== 'RATE_LIMITED') throw new ParleyError(answer.code, answer.error, answer.field);
      await sleep(backoff(attempt));
    }
  }

  private ask<E extends ClientEventName>(event: E, ...payload: EventPayload<E>): Promise<EventAnswer<E>> {
    return askOn(this.socket, this.answerTimeoutMs, event, ...payload);
  }

  private async signedIn(): Promise<PublicUser> {
    if (this.user) return this.user;
    const response = await fetch(new URL('/users/me', this.options.url), {
      headers: { authorization: `Bearer ${this.token}` },
    });
    const body = (await response.json()) as Answer<{ user: PublicUser }>;
    if (!body.success) throw new ParleyError(body.code, body.error);
    this.user = body.user;
    this.setOutbox(this.outbox);
    return body.user;
  }

  // ---- events ----

  /** Every server → client event: those that are a chat's change go through its version order. */
  private received(name: string, payload: unknown): void {
    if (NOT_CHAT_CHANGES.has(name)) return;
    const event = asVersioned(name, payload);
    if (event) this.versions.live(event);
  }

  /** A chat's change in version order: into the caches, then to the app. */
  private deliver(event: VersionedEvent): void {
    const cache = this.messages(event.chatId);
    if (event.message) {
      cache.upsert([event.message]);
      this.chats.onMessage(event.message);
    } else {
      if (event.name === 'message_reactions') cache.applyReactions(event.payload as MessageReactionsEvent);
      if (event.name === 'chat_pins') cache.applyPins(event.payload as ChatPinsEvent);
      if (event.name === 'chat_event') this.chats.onChatEvent(event.payload as ChatEvent);
      else this.chats.onVersion(event.chatId, event.version);
    }
    for (const listener of [...this.eventListeners]) listener(event);
  }

  private onRead(read: MessagesRead): void {
    this.chats.onRead(read);
    const chat = this.chats.find(read.chatId);
    if (!chat) return;
    this.messageCaches.get(read.chatId)?.setReadPositions(chat.readPositions);
    // The user read part of the chat elsewhere (another tab or device): the unread counts after it
    // are the server's to tell, and mark_read at that position (never moving it back) answers them.
    const readHere = this.markedHere.get(read.chatId) === read.seq;
    if (read.userId === this.user?.id && !readHere && chat.unreadCount > 0)
      void this.markRead(read.chatId, read.messageId).catch(() => {});
  }

  // ---- the outbox ----

  private async loadOutbox(): Promise<void> {
    const stored = await this.outboxStore.list();
    this.setOutbox([
      ...stored,
      ...this.outbox.filter((e) => !stored.some((s) => s.clientMessageId === e.clientMessageId)),
    ]);
  }

  private setOutbox(entries: OutboxEntry[]): void {
    this.outbox = entries;
    const mine = entries.filter((entry) => entry.userId === this.user?.id);
    for (const cache of this.messageCaches.values()) cache.setPending(mine);
  }

  /** Sends the outbox's `sending` entries one at a time, oldest first, while connected. */
  private flushOutbox(): Promise<void> {
    // A flush asked for while one runs (a new connection, a new message) makes that one go round again.
    this.flushAgain = true;
    this.flushing ??= (async () => {
      try {
        await this.outboxLoaded;
        while (this.flushAgain) {
          this.flushAgain = false;
          while (this.status.get() === 'online') {
            const next = this.outbox
              .filter((entry) => entry.state === 'sending' && entry.userId === this.user?.id)
              .sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
            if (!next || !(await this.sendOne(next))) break;
          }
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  /** One attempt at `next`; false when the connection is suspect (the next connection flushes again). */
  private async sendOne(entry: OutboxEntry): Promise<boolean> {
    let answer: Answer<{ message: Message }>;
    try {
      answer = await this.ask('send_message', {
        chatId: entry.chatId,
        text: entry.text,
        clientMessageId: entry.clientMessageId,
        ...(entry.replyTo ? { replyTo: entry.replyTo } : {}),
        ...(entry.attachments ? { attachments: entry.attachments } : {}),
      });
    } catch {
      return false; // no answer: sent again, with the same clientMessageId, once connected
    }
    if (answer.success) {
      // The stored message replaces its pending entry in one step: no view shows both.
      this.messages(entry.chatId).upsert([answer.message]);
      this.setOutbox(this.outbox.filter((e) => e.clientMessageId !== entry.clientMessageId));
      await this.outboxStore.delete(entry.clientMessageId);
      this.settle(entry.clientMessageId, answer.message);
      return true;
    }
    if (TRANSIENT_CODES.has(answer.code)) {
      await sleep(backoff(1));
      return true;
    }
    const failed: OutboxEntry = { ...entry, state: 'failed', error: { code: answer.code, error: answer.error } };
    await this.outboxStore.put(failed);
    this.setOutbox(this.outbox.map((e) => (e.clientMessageId === entry.clientMessageId ? failed : e)));
    this.settle(entry.clientMessageId, new ParleyError(answer.code, answer.error, answer.field));
    return true;
  }

  private waitFor(clientMessageId: string): Promise<Message> {
    const sent = new Promise<Message>((resolve, reject) => this.waiters.set(clientMessageId, { resolve, reject }));
    sent.catch(() => {}); // an app that does not await it must not see an unhandled rejection
    return sent;
  }

  private settle(clientMessageId: string, outcome: Message | ParleyError): void {
    const waiter = this.waiters.get(clientMessageId);
    this.waiters.delete(clientMessageId);
    if (outcome instanceof ParleyError) waiter?.reject(outcome);
    else waiter?.resolve(outcome);
  }
}

/** Connects to a Parley server (README "Client SDK"). */
export function connect(options: ClientOptions): ParleyClient {
  return new ParleyClient(options);
}

/** Emits with a timeout; rejects when the answer does not come (or the connection drops first). */
function askOn<E extends ClientEventName>(
  socket: ParleySocket,
  timeoutMs: number,
  event: E,
  ...payload: EventPayload<E>
): Promise<EventAnswer<E>> {
  const timed = socket.timeout(timeoutMs);
  // socket.timeout() loses the answer's type in socket.io-client's typings; EventAnswer restores it.
  const emit = timed.emitWithAck.bind(timed) as (event: E, ...args: EventPayload<E>) => Promise<EventAnswer<E>>;
  return emit(event, ...payload);
}

/**
 * `ParleyClient.request` on any typed socket: resolves with the success answer, rejects with a
 * ParleyError (its `code`) or when no answer comes within `timeoutMs`.
 */
export async function requestOn<E extends ClientEventName>(
  socket: ParleySocket,
  timeoutMs: number,
  event: E,
  ...payload: EventPayload<E>
): Promise<EventSuccess<E>> {
  const answer = (await askOn(socket, timeoutMs, event, ...payload)) as Answer<object>;
  if (!answer.success) throw new ParleyError(answer.code, answer.error, answer.field);
  return answer as EventSuccess<E>;
}

/** Work begun on a connection that another one replaced. */
class Superseded extends Error {}

function newClientMessageId(): string {
  return globalThis.crypto.randomUUID();
}

/** 250 ms, doubling, at most MAX_BACKOFF_MS, with jitter so that many clients do not retry in step. */
function backoff(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 250 * 2 ** attempt) * (0.75 + Math.random() / 2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items`, at most `concurrency` at a time; rejects with the first failure. */
async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
