import type { ChatEvent, ChatSummary, MemberRole, Message, MessagesRead, PublicUser } from '../src/protocol/index.js';
import { Observable } from './observable.js';

/**
 * The cache of the user's chat list (`get_my_chats` on every connection), kept current by the
 * chats' events: most recent activity first, as the server orders it.
 */
export class ChatList {
  private readonly list = new Observable<ChatSummary[]>([]);

  constructor(private readonly myUserId: () => string | undefined) {}

  subscribe(listener: (chats: ChatSummary[]) => void): () => void {
    return this.list.subscribe(listener);
  }

  get(): ChatSummary[] {
    return this.list.get();
  }

  find(chatId: string): ChatSummary | undefined {
    return this.get().find((chat) => chat.id === chatId);
  }

  replace(chats: ChatSummary[]): void {
    this.list.set(sortByActivity(chats));
  }

  add(chat: ChatSummary): void {
    this.list.set(sortByActivity([chat, ...this.get().filter((held) => held.id !== chat.id)]));
  }

  remove(chatId: string): void {
    this.list.set(this.get().filter((chat) => chat.id !== chatId));
  }

  /**
   * A message's change (live or from a sync): the chat's last message, version and unread count
   * follow it. A message after the last one the list holds is new to it, so a sync that repairs a
   * gap counts what it finds as a live event would.
   */
  onMessage(message: Message): void {
    this.update(message.chatId, (chat) => {
      const last = chat.messages[0];
      const me = this.myUserId();
      const myPosition = chat.readPositions.find((p) => p.userId === me)?.seq ?? 0;
      const isNew = message.seq > (last?.seq ?? 0);
      const unread = isNew && !message.deletedAt && message.sender !== me && message.seq > myPosition;
      return {
        ...chat,
        version: Math.max(chat.version, message.version),
        messages: isNew || message.seq === last?.seq ? [message] : chat.messages,
        unreadCount: chat.unreadCount + (unread ? 1 : 0),
        unreadMentionCount: chat.unreadMentionCount + (unread && me && message.mentions?.includes(me) ? 1 : 0),
      };
    });
  }

  /** `messages_read`: a member's read position moved (the user's own, from this or another tab, too). */
  onRead(read: MessagesRead): void {
    this.update(read.chatId, (chat) => {
      const readPositions = chat.readPositions.some((p) => p.userId === read.userId)
        ? chat.readPositions.map((p) =>
            p.userId === read.userId ? { userId: p.userId, seq: Math.max(p.seq, read.seq) } : p,
          )
        : [...chat.readPositions, { userId: read.userId, seq: read.seq }];
      const readAll = read.userId === this.myUserId() && read.seq >= (chat.messages[0]?.seq ?? 0);
      return { ...chat, readPositions, ...(readAll ? { unreadCount: 0, unreadMentionCount: 0 } : {}) };
    });
  }

  setUnread(chatId: string, unreadCount: number, unreadMentionCount: number): void {
    this.update(chatId, (chat) => ({ ...chat, unreadCount, unreadMentionCount }));
  }

  setMembers(chatId: string, users: PublicUser[]): void {
    this.update(chatId, (chat) => ({
      ...chat,
      users: users.map((user) => ({ ...chat.users.find((held) => held.id === user.id), ...user })),
    }));
  }

  /** A `chat_event` (live or from a sync): the chat's name, settings and roles follow it, and its version. */
  onChatEvent(event: ChatEvent): void {
    this.update(event.chatId, (chat) => ({
      ...withChatEvent(chat, event),
      version: Math.max(chat.version, event.version),
    }));
  }

  /** Any other versioned change: the chat's version follows it. */
  onVersion(chatId: string, version: number): void {
    this.update(chatId, (chat) => (chat.version >= version ? chat : { ...chat, version }));
  }

  private update(chatId: string, change: (chat: ChatSummary) => ChatSummary): void {
    const chats = this.get();
    if (!chats.some((chat) => chat.id === chatId)) return;
    this.list.set(sortByActivity(chats.map((chat) => (chat.id === chatId ? change(chat) : chat))));
  }
}

/** The server's order: the last message's time (a chat without one keeps its place after those that have one). */
function sortByActivity(chats: ChatSummary[]): ChatSummary[] {
  const activity = (chat: ChatSummary) => chat.messages[0]?.createdAt ?? '';
  return chats
    .map((chat, index) => ({ chat, index }))
    .sort((a, b) => activity(b.chat).localeCompare(activity(a.chat)) || a.index - b.index)
    .map(({ chat }) => chat);
}

/**
 * The summary after a `chat_event`: name, settings and roles change here. Members come and go
 * through `chat_members_changed` / `chat_left`, which carry their details (the event names them by
 * id only); a departure is applied here too, so that the order in which the two arrive does not matter.
 */
export function withChatEvent(chat: ChatSummary, event: ChatEvent): ChatSummary {
  const setRole = (users: ChatSummary['users'], userId: string, role: MemberRole) =>
    users.map((u) => (u.id === userId ? { ...u, role } : u));
  switch (event.kind) {
    case 'chat_renamed':
      return { ...chat, name: event.name };
    case 'settings_changed':
      return { ...chat, membersCanAdd: event.membersCanAdd };
    case 'role_changed':
      return { ...chat, users: setRole(chat.users, event.userId, event.role) };
    case 'owner_changed':
      // The previous owner is an admin since, or has left (then no longer listed).
      return {
        ...chat,
        users: setRole(setRole(chat.users, event.previousOwnerId, 'admin'), event.userId, 'owner'),
      };
    case 'member_left':
    case 'member_removed':
      return { ...chat, users: chat.users.filter((u) => u.id !== event.userId) };
    case 'members_added':
      return chat;
  }
}
