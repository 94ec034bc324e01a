import type { ChatSummary, Message, PublicUser } from '../../src/protocol/index.js';
import { chatTitle } from './chat-summary.js';
import { el } from './dom.js';
import { t } from './i18n/index.js';

/**
 * Browser notifications of new messages in chats other than the one in view (or any, while the
 * tab is hidden). Permission is asked from a button, never on load; a muted chat stays quiet.
 */
export class NewMessageAlerts {
  /** "Notify me": shown while the browser can notify and the user has not answered yet. */
  readonly button: HTMLButtonElement;

  constructor(
    private readonly me: PublicUser,
    private readonly openChat: (chatId: string) => void,
  ) {
    this.button = el('button', {
      class: 'link',
      text: t('alerts.enable'),
      attrs: { type: 'button', 'data-testid': 'enable-alerts' },
    });
    this.button.hidden = !('Notification' in window) || Notification.permission !== 'default';
    this.button.addEventListener('click', () => {
      void Notification.requestPermission().then(() => (this.button.hidden = Notification.permission !== 'default'));
    });
  }

  newMessage(chat: ChatSummary, message: Message): void {
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    if (message.sender === this.me.id || chat.muted || message.deletedAt) return;
    const notification = new Notification(chatTitle(chat, this.me), {
      body: `${message.user.username}: ${message.text}`,
      tag: `parley-${chat.id}`,
    });
    notification.addEventListener('click', () => {
      window.focus();
      this.openChat(chat.id);
    });
  }
}
