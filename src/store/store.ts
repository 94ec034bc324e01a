import { BlockStore } from './blocks.js';
import { BotStore } from './bots.js';
import { ChatStore } from './chats.js';
import type { Database } from './database.js';
import { MessageMarkStore } from './message-marks.js';
import { FileStore } from './files.js';
import { GroupStore } from './groups.js';
import { MessageSearch } from './message-search.js';
import { MessageStore } from './messages.js';
import { ModerationStore } from './moderation.js';
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
  /** Changes to a group's members, name, roles and settings, each a versioned chat event. */
  readonly groups: GroupStore;
  readonly messages: MessageStore;
  /** Reactions and pins. */
  readonly marks: MessageMarkStore;
  readonly files: FileStore;
  readonly search: MessageSearch;
  readonly blocks: BlockStore;
  /** Bans, reports and the moderation audit log. */
  readonly moderation: ModerationStore;
  readonly bots: BotStore;
  readonly webhooks: WebhookStore;
  readonly pushSubscriptions: PushSubscriptionStore;
  readonly outbox: OutboxStore;

  constructor(db: Database) {
    this.users = new UserStore(db);
    this.chats = new ChatStore(db);
    this.groups = new GroupStore(db);
    this.messages = new MessageStore(db);
    this.marks = new MessageMarkStore(db);
    this.files = new FileStore(db);
    this.search = new MessageSearch(db);
    this.blocks = new BlockStore(db);
    this.moderation = new ModerationStore(db);
    this.bots = new BotStore(db);
    this.webhooks = new WebhookStore(db);
    this.pushSubscriptions = new PushSubscriptionStore(db);
    this.outbox = new OutboxStore(db);
  }
}
