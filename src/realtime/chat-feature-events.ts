import type { ChatService } from '../chat/chat-service.js';
import { chatRefSchema, editMessageSchema, markReadSchema, messageRefSchema } from '../protocol/schemas.js';
import { userRoom } from './chat-broadcasts.js';
import type { EventTable } from './event-table.js';
import { chatRoom, type ParleyServer, type ParleySocket } from './gateway.js';
import { SocketTyping } from './typing.js';

/**
 * The events beyond the seed (contract §3 "Beyond the seed"): read state, edits and deletes, and
 * typing. Defined in the same table as the seed's, so they validate, check membership first and
 * answer with the same envelope. Broadcasts go through rooms, so they reach every node.
 */
export function defineChatFeatureEvents(events: EventTable, { io, chats }: { io: ParleyServer; chats: ChatService }): void {
  events.define('mark_read', markReadSchema, async ({ socket, user }, payload) => {
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

  events.define('edit_message', editMessageSchema, async ({ user }, payload) => {
    const message = await chats.editMessage(user.id, payload);
    io.to(chatRoom(message.chatId)).emit('message_updated', message);
    return { message };
  });

  events.define('delete_message', messageRefSchema, async ({ user }, payload) => {
    const { message, changed } = await chats.deleteMessage(user.id, payload);
    if (changed) io.to(chatRoom(message.chatId)).emit('message_deleted', message);
    return { message };
  });

  // A socket's typing state exists only once it has typed: most sockets never do.
  const typingOf = new WeakMap<ParleySocket, SocketTyping>();

  events.define('typing', chatRefSchema, async ({ socket, user }, { chatId }) => {
    await chats.assertMember(user.id, chatId);
    // The membership check awaited: a socket that went away meanwhile must not start a timer.
    if (!socket.connected) return {};
    let typing = typingOf.get(socket);
    if (!typing) {
      // To the other members' sockets in the chat room; the typist's own tabs know already.
      const state = new SocketTyping((typingIn, isTyping) =>
        io.to(chatRoom(typingIn)).except(userRoom(user.id)).emit('user_typing', { chatId: typingIn, userId: user.id, typing: isTyping }),
      );
      typingOf.set(socket, state);
      socket.once('disconnect', () => state.stopAll());
      typing = state;
    }
    typing.start(chatId);
    return {};
  });

  events.define('stop_typing', chatRefSchema, async ({ socket, user }, { chatId }) => {
    await chats.assertMember(user.id, chatId);
    typingOf.get(socket)?.stop(chatId);
    return {};
  });
}
