import type { ChatSummary, MemberRole, PublicUser } from '../../src/protocol/index.js';

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
