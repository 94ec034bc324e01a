import type { ChatSummary, PublicUser } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { httpApi } from './http-api.js';

const SEARCH_DELAY_MS = 250;

/**
 * "New chat": search users by the start of their username or email (GET /users?search=), tick one
 * for a direct chat or several (and a name) for a group, then POST /chats.
 */
export function newChatPanel(token: string, onCreated: (chat: ChatSummary) => void): HTMLElement {
  const search = el('input', { attrs: { type: 'search', placeholder: 'Find people…', 'data-testid': 'user-search' } });
  const results = el('ul', { class: 'search-results', attrs: { 'data-testid': 'search-results' } });
  const name = el('input', { attrs: { type: 'text', placeholder: 'Group name (optional)', 'data-testid': 'chat-name' } });
  const start = el('button', { text: 'Start chat', attrs: { type: 'submit', 'data-testid': 'start-chat' } });
  const error = el('p', { class: 'error' });
  const picked = new Map<string, PublicUser>();

  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void find(search.value.trim()), SEARCH_DELAY_MS);
  });

  async function find(term: string): Promise<void> {
    error.textContent = '';
    if (!term) return results.replaceChildren(...pickedItems());
    try {
      const { users } = await httpApi.searchUsers(token, term);
      const found = users.filter((u) => !picked.has(u.id));
      results.replaceChildren(...pickedItems(), ...found.map((u) => userItem(u, false)));
    } catch (e) {
      error.textContent = (e as Error).message;
    }
  }

  const pickedItems = () => [...picked.values()].map((u) => userItem(u, true));

  function userItem(user: PublicUser, checked: boolean): HTMLElement {
    const box = el('input', { attrs: { type: 'checkbox' } });
    box.checked = checked;
    box.addEventListener('change', () => {
      if (box.checked) picked.set(user.id, user);
      else picked.delete(user.id);
    });
    return el('li', {}, el('label', { attrs: { 'data-username': user.username } }, box, el('span', { text: ` ${user.username}` })));
  }

  const form = el('form', { class: 'new-chat' }, search, results, name, start, error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    if (picked.size === 0) {
      error.textContent = 'Pick at least one person';
      return;
    }
    try {
      const groupName = name.value.trim();
      const { chat } = await httpApi.createChat(token, { userIds: [...picked.keys()], ...(groupName ? { name: groupName } : {}) });
      picked.clear();
      search.value = '';
      name.value = '';
      results.replaceChildren();
      onCreated(chat);
    } catch (e) {
      error.textContent = (e as Error).message;
    }
  });
  return form;
}
