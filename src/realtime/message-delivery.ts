import type { ServerToClientEvents } from '../protocol/events.js';
import type { ChatPinsEvent, Message, MessageReactionsEvent } from '../protocol/types.js';

/** The server → client events that carry a change to a chat's messages. */
export type MessageEvent = keyof Pick<
  ServerToClientEvents,
  'new_message' | 'message_updated' | 'message_deleted' | 'message_reactions' | 'chat_pins'
>;

/**
 * One change to a chat's messages as it travels between nodes and to sockets: `message.version`
 * orders it (the feed, chat-feed.ts). The message events send the message itself; a reaction or a
 * pin sends its own `payload`, the message (in its state after the change) only ordering it.
 */
export type MessageDelivery =
  | { event: 'new_message' | 'message_updated' | 'message_deleted'; message: Message }
  | { event: 'message_reactions'; message: Message; payload: MessageReactionsEvent }
  | { event: 'chat_pins'; message: Message; payload: ChatPinsEvent };

/** Anything that emits server → client events: a socket, or a room of them. */
interface Emitter {
  emit<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>): unknown;
}

/** Emits what `delivery` sends to clients. */
export function emitDelivery(target: Emitter, delivery: MessageDelivery): void {
  switch (delivery.event) {
    case 'message_reactions':
      target.emit(delivery.event, delivery.payload);
      return;
    case 'chat_pins':
      target.emit(delivery.event, delivery.payload);
      return;
    default:
      target.emit(delivery.event, delivery.message);
  }
}
