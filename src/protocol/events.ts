import type { ChatRefPayload, GetChatMessagesPayload, SendMessagePayload } from './schemas.js';
import type { Answer, ChatSummary, Message } from './types.js';

/**
 * The Socket.IO API (seed + contract §3) as socket.io's typed event maps. A TypeScript client does
 * `io(url) as Socket<ServerToClientEvents, ClientToServerEvents>` and gets every event typed.
 */
export interface ClientToServerEvents {
  send_message(payload: SendMessagePayload, ack: (answer: Answer<{ message: Message }>) => void): void;
  join_chat(payload: ChatRefPayload, ack: (answer: Answer<{ messages: Message[] }>) => void): void;
  leave_chat(payload: ChatRefPayload, ack: (answer: Answer<object>) => void): void;
  get_chat_messages(
    payload: GetChatMessagesPayload,
    ack: (answer: Answer<{ messages: Message[]; hasMore: boolean }>) => void,
  ): void;
  get_my_chats(ack: (answer: Answer<{ chats: ChatSummary[] }>) => void): void;
}

export interface ServerToClientEvents {
  new_message(message: Message): void;
}
