import type { ChatSummary } from '../../src/protocol/index.js';
import { request, type ParleySocket } from './connection.js';
import { el } from './dom.js';
import { failureText } from './failure.js';
import { t } from './i18n/index.js';

/**
 * A chat's "Mute" / "Unmute" button for the conversation header (README "Mute"): a muted chat's
 * mentions alert nothing and push nothing; its unread messages are still counted. `current` is
 * the chat as the list holds it now, whose `muted` the answer updates.
 */
export function muteButton(socket: ParleySocket, current: () => ChatSummary): HTMLButtonElement {
  const button = el('button', { class: 'link', attrs: { type: 'button', 'data-testid': 'mute-chat' } });
  const render = () => (button.textContent = t(current().muted ? 'mute.unmute' : 'mute.mute'));
  render();
  button.addEventListener('click', () => {
    const chat = current();
    button.disabled = true;
    button.title = '';
    request(socket, 'mute_chat', { chatId: chat.id, muted: !chat.muted })
      .then(({ muted }) => {
        chat.muted = muted;
        render();
      })
      .catch((error: unknown) => (button.title = failureText(error)))
      .finally(() => (button.disabled = false));
  });
  return button;
}
