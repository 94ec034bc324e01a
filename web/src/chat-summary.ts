import type { ChatSummary, PublicUser } from '../../src/protocol/index.js';

/** A chat's name, or for a direct chat (no name) the other members' usernames. */
export function chatTitle(chat: ChatSummary, me: PublicUser): string {
  if (chat.name) return chat.name;
  const others = chat.users.filter((u) => u.id !== me.id).map((u) => u.username);
  return others.length > 0 ? others.join(', ') : me.username;
}

