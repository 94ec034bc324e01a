/**
 * The Socket.IO rooms Parley uses, named in one place. Chat ids are lower-cased: PostgreSQL reads
 * a uuid in any case, and a room name must be the same for every spelling of one chat.
 */

/** Sockets that joined a chat (join_chat) receive its message changes, reads and typing here. */
export const chatRoom = (chatId: string) => `chat:${chatId.toLowerCase()}`;

/** Every socket of a user joins this room on connect: events meant for the user, not for a chat. */
export const userRoom = (userId: string) => `user:${userId}`;
