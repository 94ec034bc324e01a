import type { ChatChange } from '../chat/chat-changes.js';
import type { Message } from '../protocol/types.js';
import type { ChatService } from '../chat/chat-service.js';
import type { ChatPinsEvent } from '../protocol/types.js';
import type { ChatFeed } from './chat-feed.js';
import type { ClosedAccounts } from './closed-accounts.js';
import type { MessageDelivery, MessageEvent } from './message-delivery.js';
import { chatRoom, userRoom } from './rooms.js';
import type { ParleyServer } from './socket-types.js';

const EVENT_OF_KIND: Record<
  Extract<ChatChange, { type: 'message' }>['kind'],
  Exclude<MessageEvent, 'message_reactions' | 'chat_pins' | 'chat_event'>
> = {
  created: 'new_message',
  edited: 'message_updated',
  deleted: 'message_deleted',
};

/**
 * The one subscriber to the chat service's changes: turns each into what sockets receive, on
 * every node. Message changes and chat events go through the feed, which orders them by version
 * on each node (the other nodes hear of them as a `message_change` server-side event); the rest are room
 * broadcasts, to a chat's room (reads) or to users' rooms (a user learns of a chat before any of
 * their sockets has joined it).
 */
export function broadcastChatChanges(
  io: ParleyServer,
  chats: ChatService,
  feed: ChatFeed,
  closedAccounts: ClosedAccounts,
  clustered: boolean,
): void {
  io.on('message_change', (delivery) => feed.deliver(delivery));
  io.on('member_left', ({ chatId, userId }) => feed.memberLeft(chatId, userId));
  io.on('account_deleted', ({ userId }) => closedAccounts.close(userId));
  io.on('account_closed', ({ userId }) => closedAccounts.close(userId));
  chats.changes.subscribe((change) => {
    switch (change.type) {
      case 'message': {
        const delivery: MessageDelivery = { event: EVENT_OF_KIND[change.kind], message: change.message };
        feed.deliver(delivery);
        // Without a cluster adapter there is no other node (and Socket.IO's own adapter warns).
        if (clustered) io.serverSideEmit('message_change', delivery);
        if (change.kind === 'created' && change.message.mentions) announceMentions(io, chats, change.message);
        return;
      }
      case 'reaction': {
        const { message, userId, emoji, added } = change;
        const reactions = message.reactions ?? [];
        const payload = {
          chatId: message.chatId,
          messageId: message.id,
          version: message.version,
          reactions,
          userId,
          emoji,
          added,
        };
        const delivery: MessageDelivery = { event: 'message_reactions', message, payload };
        feed.deliver(delivery);
        if (clustered) io.serverSideEmit('message_change', delivery);
        return;
      }
      case 'pin': {
        const { message, pinned } = change;
        const payload: ChatPinsEvent = {
          chatId: message.chatId,
          version: message.version,
          messageId: message.id,
          pinned,
        };
        if (pinned && message.pinnedAt && message.pinnedBy) {
          payload.pinnedBy = message.pinnedBy;
          payload.pinnedAt = message.pinnedAt;
        }
        const delivery: MessageDelivery = { event: 'chat_pins', message, payload };
        feed.deliver(delivery);
        if (clustered) io.serverSideEmit('message_change', delivery);
        return;
      }
      case 'chat_event': {
        const { event } = change;
        const delivery: MessageDelivery = { event: 'chat_event', payload: event };
        // A departing member's own sockets hear of it on their own (the feed skips them), before
        // the member_left change that follows takes them out of the chat's room.
        if (event.kind === 'member_left' || event.kind === 'member_removed')
          io.to(userRoom(event.userId)).emit('chat_event', event);
        feed.deliver(delivery);
        if (clustered) io.serverSideEmit('message_change', delivery);
        return;
      }
      case 'read':
        io.to(chatRoom(change.chatId)).emit('messages_read', {
          chatId: change.chatId,
          userId: change.userId,
          messageId: change.messageId,
          seq: change.seq,
        });
        return;
      case 'chat_created':
        io.to(change.chat.users.map((user) => userRoom(user.id))).emit('chat_created', { chat: change.chat });
        return;
      case 'members_added':
        for (const { userId, chat } of change.added) io.to(userRoom(userId)).emit('chat_created', { chat });
        if (change.previousIds.length > 0) {
          io.to(change.previousIds.map(userRoom)).emit('chat_members_changed', {
            chatId: change.chatId,
            users: change.users,
          });
        }
        return;
      case 'member_left':
        // All the leaver's sockets leave the chat's room at once, on every node, and their joins
        // in progress are dropped, so that none puts a socket back in.
        feed.memberLeft(change.chatId, change.userId);
        if (clustered) io.serverSideEmit('member_left', { chatId: change.chatId, userId: change.userId });
        io.in(userRoom(change.userId)).socketsLeave(chatRoom(change.chatId));
        io.to(userRoom(change.userId)).emit('chat_left', { chatId: change.chatId });
        if (change.remaining.length > 0) {
          io.to(change.remaining.map((user) => userRoom(user.id))).emit('chat_members_changed', {
            chatId: change.chatId,
            users: change.remaining,
          });
        }
        return;
      case 'account_deleted':
        // Each node closes its own sockets of the account, and those still connecting.
        closedAccounts.close(change.userId);
        if (clustered) io.serverSideEmit('account_deleted', { userId: change.userId });
        return;
      case 'account_closed':
        closedAccounts.close(change.userId);
        if (clustered) io.serverSideEmit('account_closed', { userId: change.userId });
        return;
    }
  });
}

/**
 * `mentioned` for a new message that mentions members: to their user rooms on every node (the
 * adapter broadcasts), except the sockets in the chat's room, which get the message as
 * `new_message` from the feed — and never to the sender, who may mention themselves, nor to who
 * muted the chat (ChatService.mentionAlerts). An edit that adds a mention changes the counters and
 * reaches the chat's room as `message_updated`, but announces nothing: a mention notifies once,
 * when the message is new.
 */
function announceMentions(io: ParleyServer, chats: ChatService, message: Message): void {
  chats.mentionAlerts(message).then(
    (alerted) => {
      if (alerted.length === 0) return;
      io.to(alerted.map(userRoom))
        .except(chatRoom(message.chatId))
        .emit('mentioned', { chatId: message.chatId, message });
    },
    (error: unknown) => chats.changes.reportError(error),
  );
}
