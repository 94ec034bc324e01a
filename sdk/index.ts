/**
 * Parley's client SDK (README "Client SDK"): `import { connect } from 'parley/sdk'`. Runs in a
 * browser and in Node 20. Its wire types are src/protocol's, re-exported here as types only, so
 * that no schema (zod) reaches a browser bundle.
 */
export { connect, ParleyClient, ParleyError, requestOn } from './client.js';
export type { ClientOptions, ConnectionStatus, ParleySocket } from './client.js';
export { ChatList, withChatEvent } from './chat-list.js';
export { ChatMessages } from './chat-messages.js';
export type { MessageItem, MessageState, MessagesView } from './chat-messages.js';
export type { VersionedEvent } from './chat-versions.js';
export { Observable } from './observable.js';
export { defaultOutboxStore, IndexedDbOutboxStore, MemoryOutboxStore } from './outbox.js';
export type { OutboxEntry, OutboxStore } from './outbox.js';
export type * from '../src/protocol/types.js';
export type * from '../src/protocol/events.js';
export type * from '../src/protocol/event-types.js';
export type * from '../src/protocol/schemas.js';
