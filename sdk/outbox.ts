import { createStore, del, entries, set, type UseStore } from 'idb-keyval';

/** A message the app asked to send, kept until the server acknowledges it (or the app discards it). */
export interface OutboxEntry {
  /** The send's idempotency key: every retry carries it, so the server stores the message once. */
  clientMessageId: string;
  /** The sender: an outbox shared by several accounts (one browser) sends each entry as its own user only. */
  userId: string;
  chatId: string;
  text: string;
  replyTo?: string;
  attachments?: string[];
  /** When the app asked (ISO 8601): entries are sent in this order. */
  createdAt: string;
  /** `sending` until the server answers; `failed` after an answer that a retry would not change. */
  state: 'sending' | 'failed';
  /** Why it failed: the answer's `code` and text. */
  error?: { code: string; error: string };
}

/** Where the outbox lives: an app may plug its own (e.g. SQLite in a React Native app). */
export interface OutboxStore {
  list(): Promise<OutboxEntry[]>;
  put(entry: OutboxEntry): Promise<void>;
  delete(clientMessageId: string): Promise<void>;
}

/** An outbox for the life of the process (Node, tests): a restart of the process forgets it. */
export class MemoryOutboxStore implements OutboxStore {
  private readonly entries = new Map<string, OutboxEntry>();

  async list(): Promise<OutboxEntry[]> {
    return [...this.entries.values()].map((entry) => structuredClone(entry));
  }

  async put(entry: OutboxEntry): Promise<void> {
    this.entries.set(entry.clientMessageId, structuredClone(entry));
  }

  async delete(clientMessageId: string): Promise<void> {
    this.entries.delete(clientMessageId);
  }
}

/** A browser's outbox in IndexedDB (through idb-keyval): what was unsent when the page closed is sent on the next start. */
export class IndexedDbOutboxStore implements OutboxStore {
  private readonly store: UseStore;

  constructor(databaseName = 'parley-sdk', storeName = 'outbox') {
    this.store = createStore(databaseName, storeName);
  }

  async list(): Promise<OutboxEntry[]> {
    return (await entries<string, OutboxEntry>(this.store)).map(([, entry]) => entry);
  }

  put(entry: OutboxEntry): Promise<void> {
    return set(entry.clientMessageId, entry, this.store);
  }

  delete(clientMessageId: string): Promise<void> {
    return del(clientMessageId, this.store);
  }
}

/** IndexedDB where there is one (a browser), memory elsewhere (Node). */
export function defaultOutboxStore(): OutboxStore {
  return 'indexedDB' in globalThis ? new IndexedDbOutboxStore() : new MemoryOutboxStore();
}
