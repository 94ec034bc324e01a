import type { ChatEvent, ChatSummary, MemberRole, PublicUser } from '../../src/protocol/index.js';

/** A chat's name, or for a direct chat (no name) the other members' usernames. */
export function chatTitle(chat: ChatSummary, me: PublicUser): string {
  if (chat.name) return chat.name;
  const others = chat.users.filter((u) => u.id !== me.id).map((u) => u.username);
  return others.length > 0 ? others.join(', ') : me.username;
}

/**
 * Whether the chat is a group (members can be added, roles, settings, leaving) rather than a
 * direct chat's fixed pair: the server gives `membersCanAdd` to groups only (README "Group roles").
 */
export function isGroupChat(chat: ChatSummary): boolean {
  return chat.membersCanAdd !== undefined;
}

/** `userId`'s role in a group; undefined in a direct chat or for someone who is not a member. */
export function memberRole(chat: ChatSummary, userId: string): MemberRole | undefined {
  return chat.users.find((u) => u.id === userId)?.role;
}

/**
 * Applies a `chat_event` to the summary the page holds: name, settings and roles change here.
 * Members come and go through `chat_members_changed` / `chat_left`, which carry their details
 * (the event names them by id only); a departure is applied here too, so that the order in which
 * the two arrive does not matter.
 */
export function applyChatEvent(chat: ChatSummary, event: ChatEvent): void {
  const setRole = (userId: string, role: MemberRole) => {
    chat.users = chat.users.map((u) => (u.id === userId ? { ...u, role } : u));
  };
  switch (event.kind) {
    case 'chat_renamed':
      chat.name = event.name;
      return;
    case 'settings_changed':
      chat.membersCanAdd = event.membersCanAdd;
      return;
    case 'role_changed':
      setRole(event.userId, event.role);
      return;
    case 'owner_changed':
      // The previous owner is an admin since, or has left (then no longer listed).
      setRole(event.previousOwnerId, 'admin');
      setRole(event.userId, 'owner');
      return;
    case 'member_left':
    case 'member_removed':
      chat.users = chat.users.filter((u) => u.id !== event.userId);
      return;
    case 'members_added':
      return;
  }
}
