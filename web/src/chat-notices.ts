import type { ChatEvent, PublicUser } from '../../src/protocol/index.js';
import { el } from './dom.js';

/** Notices kept per chat: the most recent ones (a page open for days must not grow without end). */
const NOTICES_PER_CHAT = 100;

/**
 * The chat events this page has received (live `chat_event`, or `sync` after a reconnect), kept
 * per chat so that a chat opened later still shows what changed in it meanwhile; and every
 * member's name it has seen, because events name users by id and a removed member is no longer
 * in the chat's list when the notice is shown.
 */
export class ChatNotices {
  private readonly byChat = new Map<string, ChatEvent[]>();
  private readonly names = new Map<string, string>();

  /** Keeps `event` unless already held (the same version of the same chat); whether it was new. */
  add(event: ChatEvent): boolean {
    const held = this.byChat.get(event.chatId) ?? [];
    if (held.some((e) => e.version === event.version)) return false;
    const events = [...held, event].sort((a, b) => a.version - b.version).slice(-NOTICES_PER_CHAT);
    this.byChat.set(event.chatId, events);
    return true;
  }

  /** The chat's events held, in version order. */
  of(chatId: string): readonly ChatEvent[] {
    return this.byChat.get(chatId) ?? [];
  }

  forget(chatId: string): void {
    this.byChat.delete(chatId);
  }

  learn(users: readonly PublicUser[]): void {
    for (const user of users) this.names.set(user.id, user.username);
  }

  /** The event as a sentence: "alice added bob", "bob renamed the group to X", "carol is now an admin". */
  text(event: ChatEvent): string {
    // A member removed before the page loaded is known by id only.
    const name = (id: string | null) => (id === null ? 'someone' : (this.names.get(id) ?? 'a former member'));
    const actor = name(event.actorId);
    switch (event.kind) {
      case 'members_added':
        return `${actor} added ${event.userIds.map(name).join(', ')}`;
      case 'member_left':
        return `${name(event.userId)} left`;
      case 'member_removed':
        return `${actor} removed ${name(event.userId)}`;
      case 'chat_renamed':
        return `${actor} renamed the group to ${event.name}`;
      case 'role_changed':
        return event.role === 'admin'
          ? `${name(event.userId)} is now an admin`
          : `${name(event.userId)} is no longer an admin`;
      case 'owner_changed':
        return `${name(event.userId)} is now the owner`;
      case 'settings_changed':
        return event.membersCanAdd ? `${actor} let every member add people` : `${actor} let only admins add people`;
    }
  }

  /** The notice as a list item of the conversation (text only, as every name in this client). */
  render(event: ChatEvent): HTMLElement {
    return el('li', {
      class: 'notice',
      text: this.text(event),
      attrs: { 'data-testid': 'chat-notice', 'data-kind': event.kind },
    });
  }
}
