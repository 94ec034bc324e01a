import type { ChatSummary } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { failureText } from './failure.js';
import { httpApi } from './http-api.js';
import { t } from './i18n/index.js';
import { userPicker } from './user-picker.js';

/**
 * "New chat": tick one user for a direct chat or several (and a name) for a group, then POST /chats.
 */
export function newChatPanel(token: string, onCreated: (chat: ChatSummary) => void): HTMLElement {
  const name = el('input', {
    attrs: {
      type: 'text',
      placeholder: t('newChat.groupName'),
      'aria-label': t('newChat.groupName'),
      'data-testid': 'chat-name',
    },
  });
  const start = el('button', { text: t('newChat.start'), attrs: { type: 'submit', 'data-testid': 'start-chat' } });
  const error = el('p', { class: 'error', attrs: { role: 'alert' } });
  const picker = userPicker(token, (message) => (error.textContent = message));

  const form = el(
    'form',
    { class: 'new-chat', attrs: { 'aria-label': t('newChat.title') } },
    ...picker.elements,
    name,
    start,
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void create();
  });

  async function create(): Promise<void> {
    error.textContent = '';
    const userIds = picker.pickedIds();
    if (userIds.length === 0) {
      error.textContent = t('picker.pickSomeone');
      return;
    }
    try {
      const groupName = name.value.trim();
      const { chat } = await httpApi.createChat(token, { userIds, ...(groupName ? { name: groupName } : {}) });
      picker.reset();
      name.value = '';
      onCreated(chat);
    } catch (e) {
      error.textContent = failureText(e);
    }
  }
  return form;
}
