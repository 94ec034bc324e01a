import type { ChatService } from '../chat/chat-service.js';
import {
  chatRefSchema,
  editMessageSchema,
  markReadSchema,
  messageRefSchema,
  muteChatSchema,
  searchMessagesSchema,
} from '../protocol/schemas.js';
import type { EventTable } from './event-table.js';
import { chatRoom, userRoom } from './rooms.js';
import type { ParleyServer, ParleySocket } from './socket-types.js';
import { SocketTyping } from './typing.js';

/**
 * The events beyond the seed (contract §3 "Beyond the seed"): read state, edits and deletes, and
 * typing. Defined in the same table as the seed's, so they validate, check membership first and
 * answer with the same envelope. The changes they make reach other sockets as the chat service
 * publishes them (chat-broadcasts.ts); typing is not a change and is broadcast from here.
 */
export function defineChatFeatureEvents(
  events: EventTable,
  { io, chats }: { io: ParleyServer; chats: ChatService },
): void {
  events.define('mark_read', markReadSchema, async ({ user }, payload) => chats.markRead(user.id, payload));

  events.define('edit_message', editMessageSchema, async ({ user }, payload) => ({
    message: await chats.editMessage(user.id, payload),
  }));

  events.define('delete_message', messageRefSchema, async ({ user }, payload) => ({
    message: await chats.deleteMessage(user.id, payload),
  }));

  events.define('mute_chat', muteChatSchema, async ({ user }, payload) => chats.muteChat(user.id, payload));

  // A read (event-gate.ts): the read budget and the user's one read at a time.
  events.define('search_messages', searchMessagesSchema, async ({ user }, payload) =>
    chats.searchMessages(user.id, payload),
  );

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
        io
          .to(chatRoom(typingIn))
          .except(userRoom(user.id))
          .emit('user_typing', { chatId: typingIn, userId: user.id, typing: isTyping }),
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
