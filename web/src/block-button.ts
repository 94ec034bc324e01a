import type { PublicUser } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { httpApi } from './http-api.js';

/**
 * A direct chat's "Block" / "Unblock" button for the conversation header (README "Blocking and
 * reporting"): a blocked user's messages to this chat are refused by the server, and neither can
 * start a new direct chat with the other. The state comes from GET /users/me/blocks when the chat
 * is opened; the button stays disabled until it is known. A failure shows beside it.
 */
export function blockButton(token: string, other: PublicUser): HTMLElement {
  let blocked = false;
  const button = el('button', { class: 'link', text: 'Block', attrs: { type: 'button', 'data-testid': 'block-user' } });
  const note = el('span', { class: 'error', attrs: { 'data-testid': 'block-error', role: 'alert' } });
  const render = () => {
    button.textContent = blocked ? 'Unblock' : 'Block';
    button.setAttribute('aria-label', `${blocked ? 'Unblock' : 'Block'} ${other.username}`);
    button.dataset.blocked = String(blocked);
  };
  render();
  button.disabled = true;
  httpApi
    .blockedUsers(token)
    .then(({ users }) => {
      blocked = users.some((user) => user.id === other.id);
      render();
      button.disabled = false;
    })
    .catch((error: Error) => (note.textContent = error.message));

  button.addEventListener('click', () => {
    const wanted = !blocked;
    if (wanted && !confirm(`Block ${other.username}? Their messages to you here will be refused.`)) return;
    button.disabled = true;
    note.textContent = '';
    (wanted ? httpApi.block(token, other.id) : httpApi.unblock(token, other.id))
      .then(() => {
        blocked = wanted;
        render();
      })
      .catch((error: Error) => (note.textContent = error.message))
      .finally(() => (button.disabled = false));
  });
  return el('span', { class: 'block-control' }, button, note);
}
