import type { ChatEvent, PublicUser } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { t } from './i18n/index.js';

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
    const name = (id: string | null) =>
      id === null ? t('notice.someone') : (this.names.get(id) ?? t('notice.former'));
    const actor = name(event.actorId);
    switch (event.kind) {
      case 'members_added':
        return t('notice.added', { actor, names: event.userIds.map(name).join(', ') });
      case 'member_left':
        return t('notice.left', { name: name(event.userId) });
      case 'member_removed':
        return t('notice.removed', { actor, name: name(event.userId) });
      case 'chat_renamed':
        return t('notice.renamed', { actor, title: event.name });
      case 'role_changed':
        return t(event.role === 'admin' ? 'notice.admin' : 'notice.notAdmin', { name: name(event.userId) });
      case 'owner_changed':
        return t('notice.owner', { name: name(event.userId) });
      case 'settings_changed':
        return t(event.membersCanAdd ? 'notice.everyoneAdds' : 'notice.adminsAdd', { actor });
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
