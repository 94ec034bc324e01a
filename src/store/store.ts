import { ChatStore } from './chats.js';
import type { Database } from './database.js';
import { MessageMarkStore } from './message-marks.js';
import { FileStore } from './files.js';
import { MessageSearch } from './message-search.js';
import { MessageStore } from './messages.js';
import { OutboxStore } from './outbox.js';
import { PushSubscriptionStore } from './push-subscriptions.js';
import { UserStore } from './users.js';
import { WebhookStore } from './webhooks.js';

/**
 * Everything Parley keeps, as PostgreSQL SQL written once for both connections, in parts
 * over one database. The store knows no access rules beyond what a query needs; the services
 * decide who may do what.
 */
export class Store {
  readonly users: UserStore;
  readonly chats: ChatStore;
  readonly messages: MessageStore;
  /** Reactions and pins. */
  readonly marks: MessageMarkStore;
  readonly files: FileStore;
  readonly search: MessageSearch;
  readonly webhooks: WebhookStore;
  readonly pushSubscriptions: PushSubscriptionStore;
  readonly outbox: OutboxStore;

  constructor(db: Database) {
    this.users = new UserStore(db);
    this.chats = new ChatStore(db);
    this.messages = new MessageStore(db);
    this.marks = new MessageMarkStore(db);
    this.files = new FileStore(db);
    this.search = new MessageSearch(db);
    this.webhooks = new WebhookStore(db);
    this.pushSubscriptions = new PushSubscriptionStore(db);
    this.outbox = new OutboxStore(db);
  }
}
