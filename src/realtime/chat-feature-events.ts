import type { ChatService } from '../chat/chat-service.js';
import { chatRefSchema, editMessageSchema, markReadSchema, messageRefSchema } from '../protocol/schemas.js';
import { userRoom } from './chat-broadcasts.js';
import type { HandleEvent } from './chat-events.js';
import { chatRoom, type ParleyServer, type ParleySocket } from './gateway.js';
import { trackPresence } from './presence.js';
import { SocketTyping } from './typing.js';

interface Deps {
  io: ParleyServer;
  chats: ChatService;
}

/**
 * The events beyond the seed (contract §3 "Beyond the seed"): read state, edits and deletes,
 * typing, and the socket's part in presence. Registered through the seed's `handle`, so they
 * validate, check membership first and answer with the same envelope. Broadcasts go through
 * rooms, so they reach every node.
 */
export function registerChatFeatureEvents(socket: ParleySocket, handle: HandleEvent, { io, chats }: Deps): void {
  const user = socket.data.user;
  // Joins the user's room (chat_created, presence, … reach every socket of the user through it).
  trackPresence(io, socket, (userId) => chats.chatPartnerIds(userId));

  handle('mark_read', markReadSchema, async (payload) => {
    const { unreadCount, moved } = await chats.markRead(user.id, payload);
    // Only a position that moved is news; the caller's own socket has its answer.
    if (moved) {
      socket.to(chatRoom(payload.chatId)).emit('messages_read', {
        chatId: payload.chatId,
        userId: user.id,
        messageId: payload.messageId,
      });
    }
    return { unreadCount };
  });

  handle('edit_message', editMessageSchema, async (payload) => {
    const message = await chats.editMessage(user.id, payload);
    io.to(chatRoom(message.chatId)).emit('message_updated', message);
    return { message };
  });

  handle('delete_message', messageRefSchema, async (payload) => {
    const { message, changed } = await chats.deleteMessage(user.id, payload);
    if (changed) io.to(chatRoom(message.chatId)).emit('message_deleted', message);
    return { message };
  });

  // To the other members' sockets in the chat room; the typist's own tabs know already.
  const typing = new SocketTyping((chatId, isTyping) =>
    io.to(chatRoom(chatId)).except(userRoom(user.id)).emit('user_typing', { chatId, userId: user.id, typing: isTyping }),
  );
  socket.on('disconnect', () => typing.stopAll());

  handle('typing', chatRefSchema, async ({ chatId }) => {
    await chats.assertMember(user.id, chatId);
    // The membership check awaited: a socket that went away meanwhile must not start a timer.
    if (socket.connected) typing.start(chatId);
    return {};
  });

  handle('stop_typing', chatRefSchema, async ({ chatId }) => {
    await chats.assertMember(user.id, chatId);
    typing.stop(chatId);
    return {};
  });
}
