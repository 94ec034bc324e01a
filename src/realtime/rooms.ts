/**
 * The Socket.IO rooms Parley uses, named in one place. Ids come in one spelling, lower case: the
 * database's, or a client's as idSchema parsed it (src/protocol/schemas.ts).
 */

/** Sockets that joined a chat (join_chat) receive its message changes, reads and typing here. */
export const chatRoom = (chatId: string) => `chat:${chatId}`;

/** Every socket of a user joins this room on connect: events meant for the user, not for a chat. */
export const userRoom = (userId: string) => `user:${userId}`;
