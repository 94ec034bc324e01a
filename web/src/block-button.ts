import type { PublicUser } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { failureText } from './failure.js';
import { httpApi } from './http-api.js';
import { t } from './i18n/index.js';

/**
 * A direct chat's "Block" / "Unblock" button for the conversation header (README "Blocking and
 * reporting"): a blocked user's messages to this chat are refused by the server, and neither can
 * start a new direct chat with the other. The state comes from GET /users/me/blocks when the chat
 * is opened; the button stays disabled until it is known. A failure shows beside it.
 */
export function blockButton(token: string, other: PublicUser): HTMLElement {
  let blocked = false;
  const button = el('button', {
    class: 'link',
    text: t('block.block'),
    attrs: { type: 'button', 'data-testid': 'block-user' },
  });
  const note = el('span', { class: 'error', attrs: { 'data-testid': 'block-error', role: 'alert' } });
  const render = () => {
    button.textContent = t(blocked ? 'block.unblock' : 'block.block');
    button.setAttribute('aria-label', t(blocked ? 'block.unblockLabel' : 'block.blockLabel', { name: other.username }));
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
    .catch((error: Error) => (note.textContent = failureText(error)));

  button.addEventListener('click', () => {
    const wanted = !blocked;
    if (wanted && !confirm(t('block.confirm', { name: other.username }))) return;
    button.disabled = true;
    note.textContent = '';
    (wanted ? httpApi.block(token, other.id) : httpApi.unblock(token, other.id))
      .then(() => {
        blocked = wanted;
        render();
      })
      .catch((error: Error) => (note.textContent = failureText(error)))
      .finally(() => (button.disabled = false));
  });
  return el('span', { class: 'block-control' }, button, note);
}
