import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol/events.js';
import type { PublicUser } from '../protocol/types.js';
import type { MessageDelivery } from './message-delivery.js';

/** What the server keeps on each socket. */
export interface SocketData {
  user: PublicUser;
  /** When the socket's token expires, in ms since the epoch. */
  expiresAt: number;
}

/** What nodes tell each other (through the cluster adapter), beside room broadcasts. */
export interface InterServerEvents {
  /** A change to a chat's messages committed on the sending node, for every node to deliver in order. */
  message_change(delivery: MessageDelivery): void;
  /** A user left a chat: their joins of it in progress on every node are dropped. */
  member_left(left: { chatId: string; userId: string }): void;
  /** A user's account was deleted: every node closes its sockets. */
  account_deleted(deleted: { userId: string }): void;
  /** A user's sessions end (a ban, a bot's keys revoked): every node closes its sockets. */
  account_closed(closed: { userId: string }): void;
}

export type ParleyServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ParleySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
