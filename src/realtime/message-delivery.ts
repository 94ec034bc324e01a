import type { ServerToClientEvents } from '../protocol/events.js';
import type { ChatEvent, ChatPinsEvent, Message, MessageReactionsEvent } from '../protocol/types.js';

/** The server → client events that carry a versioned change to a chat. */
export type MessageEvent = keyof Pick<
  ServerToClientEvents,
  'new_message' | 'message_updated' | 'message_deleted' | 'message_reactions' | 'chat_pins' | 'chat_event'
>;

/**
 * One versioned change to a chat as it travels between nodes and to sockets: its version orders it
 * (the feed, chat-feed.ts; deliveryVersion). The message events send the message itself; a
 * reaction or a pin sends its own `payload`, the message (in its state after the change) only
 * ordering it; a chat event is its own payload.
 */
export type MessageDelivery =
  | { event: 'new_message' | 'message_updated' | 'message_deleted'; message: Message }
  | { event: 'message_reactions'; message: Message; payload: MessageReactionsEvent }
  | { event: 'chat_pins'; message: Message; payload: ChatPinsEvent }
  | { event: 'chat_event'; payload: ChatEvent };

/** The chat a delivery is about. */
export const deliveryChatId = (delivery: MessageDelivery) =>
  delivery.event === 'chat_event' ? delivery.payload.chatId : delivery.message.chatId;

/** The chat version a delivery made. */
export const deliveryVersion = (delivery: MessageDelivery) =>
  delivery.event === 'chat_event' ? delivery.payload.version : delivery.message.version;

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
    case 'chat_event':
      target.emit(delivery.event, delivery.payload);
      return;
    default:
      target.emit(delivery.event, delivery.message);
  }
}
