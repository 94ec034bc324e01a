import type { ServerToClientEvents } from '../protocol/events.js';
import type { Message } from '../protocol/types.js';

/** The server → client events that carry a change to a chat's messages. */
export type MessageEvent = keyof Pick<ServerToClientEvents, 'new_message' | 'message_updated' | 'message_deleted'>;

/** One change to a chat's messages as it travels between nodes and to sockets: `message.version` orders it. */
export interface MessageDelivery {
  event: MessageEvent;
  message: Message;
}
