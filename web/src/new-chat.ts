import type { ChatSummary } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { httpApi } from './http-api.js';
import { userPicker } from './user-picker.js';

/**
 * "New chat": tick one user for a direct chat or several (and a name) for a group, then POST /chats.
 */
export function newChatPanel(token: string, onCreated: (chat: ChatSummary) => void): HTMLElement {
  const name = el('input', {
    attrs: { type: 'text', placeholder: 'Group name (optional)', 'data-testid': 'chat-name' },
  });
  const start = el('button', { text: 'Start chat', attrs: { type: 'submit', 'data-testid': 'start-chat' } });
  const error = el('p', { class: 'error' });
  const picker = userPicker(token, (message) => (error.textContent = message));

  const form = el('form', { class: 'new-chat' }, ...picker.elements, name, start, error);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void create();
  });

  async function create(): Promise<void> {
    error.textContent = '';
    const userIds = picker.pickedIds();
    if (userIds.length === 0) {
      error.textContent = 'Pick at least one person';
      return;
    }
    try {
      const groupName = name.value.trim();
      const { chat } = await httpApi.createChat(token, { userIds, ...(groupName ? { name: groupName } : {}) });
      picker.reset();
      name.value = '';
      onCreated(chat);
    } catch (e) {
      error.textContent = (e as Error).message;
    }
  }
  return form;
}
