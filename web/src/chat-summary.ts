import type { ChatSummary, PublicUser } from '../../src/protocol/index.js';

/** A chat's name, or for a direct chat (no name) the other members' usernames. */
export function chatTitle(chat: ChatSummary, me: PublicUser): string {
  if (chat.name) return chat.name;
  const others = chat.users.filter((u) => u.id !== me.id).map((u) => u.username);
  return others.length > 0 ? others.join(', ') : me.username;
}

/**
 * Whether members can be added to the chat and it can be left. The wire has no "direct" flag; a
 * direct chat is always exactly two members without a name (POST /chats makes one only for one
 * other user and no name, and neither can leave it). The one group that looks the same — unnamed,
 * down to two members — is taken for direct: it loses its controls, never gains wrong ones, and the
 * server stays the judge either way.
 */
export function isGroupChat(chat: ChatSummary): boolean {
  return chat.name !== null || chat.users.length !== 2;
}
