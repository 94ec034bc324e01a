import type { Message, SyncEntry } from '../src/protocol/index.js';

/**
 * One change of a chat, as the app receives it: a server → client event that carries the chat's
 * `chatId` and `version` (`new_message`, `message_updated`, `message_deleted`, `message_reactions`,
 * `chat_pins`, and any later one such as `chat_event`), or a change read back by `sync`.
 */
export interface VersionedEvent {
  chatId: string;
  /** The chat version the change took: a chat's events reach the app in increasing version order. */
  version: number;
  /**
   * The server event's name; `sync_message` for a message that `sync` returned in its current state
   * (it stands for every change of that message it skipped), and a sync entry's other `events` keep
   * the name they have live (`chat_event`).
   */
  name: string;
  /** The event's payload as the server sent it. */
  payload: unknown;
  /** The message, when the payload is one or carries one. */
  message?: Message;
}

/**
 * Keeps each chat's version and hands the app each chat's changes in version order, each once:
 * a change that arrives before the ones it follows waits, and a jump asks for a `sync` of the chat.
 * A chat being synced holds its live changes back until the sync is done, then lets through those
 * the sync did not cover. No socket here: the client feeds it.
 */
export class ChatVersions {
  private readonly held = new Map<string, number>();
  private readonly syncing = new Set<string>();
  private readonly waiting = new Map<string, VersionedEvent[]>();

  constructor(
    private readonly deliver: (event: VersionedEvent) => void,
    private readonly requestSync: (chatId: string) => void,
  ) {}

  /** The version up to which the app has every change of `chatId` (undefined: the chat is new to it). */
  version(chatId: string): number | undefined {
    return this.held.get(chatId);
  }

  /** A chat new to the client starts at the version of the page it joined with (which the cache holds). */
  start(chatId: string, version: number): void {
    if (!this.held.has(chatId)) this.held.set(chatId, version);
  }

  /** From now until `synced(…, done)`, the chat's live changes wait for its sync. */
  beginSync(chatId: string): void {
    this.syncing.add(chatId);
  }

  isSyncing(chatId: string): boolean {
    return this.syncing.has(chatId);
  }

  /** A change received live on the connection. */
  live(event: VersionedEvent): void {
    const held = this.held.get(event.chatId);
    if (held !== undefined && event.version <= held) return; // a repeat, or covered by a sync
    if (held === undefined || this.syncing.has(event.chatId)) return this.hold(event);
    if (event.version === held + 1) {
      this.pass(event);
      this.drain(event.chatId);
      return;
    }
    this.hold(event);
    this.requestSync(event.chatId);
  }

  /**
   * One sync answer for `chatId`: its changes (in version order) and the version it brings the chat
   * to; `done` once nothing is left (`hasMore` false).
   */
  synced(chatId: string, changes: VersionedEvent[], version: number, done: boolean): void {
    for (const change of changes) if (change.version > (this.held.get(chatId) ?? 0)) this.pass(change);
    this.held.set(chatId, Math.max(this.held.get(chatId) ?? 0, version));
    if (!done) return;
    this.syncing.delete(chatId);
    this.drain(chatId);
  }

  /** A sync of the chat was cut short (the connection dropped): it is asked again from the held version. */
  abandonSyncs(): void {
    this.syncing.clear();
    // Whatever waited is read again by the next connection's sync.
    this.waiting.clear();
  }

  /** The chat is no longer the user's (left, removed): its versions go. */
  forget(chatId: string): void {
    this.held.delete(chatId);
    this.syncing.delete(chatId);
    this.waiting.delete(chatId);
  }

  private pass(event: VersionedEvent): void {
    this.held.set(event.chatId, event.version);
    this.deliver(event);
  }

  private hold(event: VersionedEvent): void {
    const waiting = this.waiting.get(event.chatId) ?? [];
    waiting.push(event);
    this.waiting.set(event.chatId, waiting);
  }

  /** Lets through the waiting changes that now follow the held version; a gap left asks for a sync. */
  private drain(chatId: string): void {
    const waiting = (this.waiting.get(chatId) ?? []).sort((a, b) => a.version - b.version);
    this.waiting.delete(chatId);
    for (const event of waiting) {
      const held = this.held.get(chatId) ?? 0;
      if (event.version <= held) continue;
      if (event.version !== held + 1) break;
      this.pass(event);
    }
    const left = waiting.filter((event) => event.version > (this.held.get(chatId) ?? 0));
    if (left.length === 0) return;
    this.waiting.set(chatId, left);
    if (!this.syncing.has(chatId)) this.requestSync(chatId);
  }
}

/** A sync entry: today's `messages`, and the `events` (chat changes) a newer server adds, merged in version order. */
export function syncChanges(entry: Extract<SyncEntry, { success: true }>): VersionedEvent[] {
  const withEvents = entry as typeof entry & { events?: { version: number }[] };
  const changes: VersionedEvent[] = entry.messages.map((message) => ({
    chatId: entry.chatId,
    version: message.version,
    name: 'sync_message',
    payload: message,
    message,
  }));
  for (const event of withEvents.events ?? [])
    changes.push({ chatId: entry.chatId, version: event.version, name: 'chat_event', payload: event });
  return changes.sort((a, b) => a.version - b.version);
}

/** The event as a chat's change, when it carries `{chatId, version}` or a message that does. */
export function asVersioned(name: string, payload: unknown): VersionedEvent | undefined {
  if (!isRecord(payload)) return undefined;
  if (typeof payload.chatId === 'string' && typeof payload.version === 'number') {
    const message = isMessage(payload) ? payload : isMessage(payload.message) ? payload.message : undefined;
    return { chatId: payload.chatId, version: payload.version, name, payload, ...(message ? { message } : {}) };
  }
  if (isMessage(payload.message))
    return {
      chatId: payload.message.chatId,
      version: payload.message.version,
      name,
      payload,
      message: payload.message,
    };
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isMessage(value: unknown): value is Message {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.chatId === 'string' &&
    typeof value.seq === 'number' &&
    typeof value.version === 'number' &&
    typeof value.text === 'string'
  );
}
