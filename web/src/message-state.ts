import type { MessageItem, MessageState } from '../../sdk/index.js';
import { el } from './dom.js';
import { errorText, t } from './i18n/index.js';

/** A stored own message's delivery: ✓ sent, ✓✓ read by another member (from the server's read positions). */
export function showDelivery(element: HTMLElement, state: MessageState): void {
  const read = state === 'read';
  element.classList.toggle('read', read);
  const status = element.querySelector('.status');
  if (!status) return;
  status.textContent = read ? '✓✓' : '✓';
  status.setAttribute('aria-label', t(read ? 'delivery.read' : 'delivery.sent'));
  status.setAttribute('title', t(read ? 'delivery.read' : 'delivery.sent'));
}

export interface PendingActions {
  retry(clientMessageId: string): void;
  discard(clientMessageId: string): void;
}

/**
 * An own message still in the SDK's outbox: "sending…" (also while offline: it goes out on
 * reconnection), or failed with the reason by its code and Retry / Discard. Its text is text.
 */
export function renderPendingMessage(item: MessageItem, actions: PendingActions): HTMLElement {
  const entry = item.pending;
  const failed = item.state === 'failed';
  const meta = el(
    'span',
    { class: 'meta' },
    el('span', {
      class: 'pending-state',
      attrs: { 'data-testid': 'pending-state' },
      text: failed ? t('delivery.failed', { reason: errorText(item.error ?? {}) }) : t('delivery.sending'),
    }),
  );
  if (failed) {
    const retry = el('button', {
      class: 'link',
      text: t('delivery.retry'),
      attrs: { type: 'button', 'data-testid': 'retry-message' },
    });
    retry.addEventListener('click', () => actions.retry(item.key));
    const discard = el('button', {
      class: 'link',
      text: t('delivery.discard'),
      attrs: { type: 'button', 'data-testid': 'discard-message' },
    });
    discard.addEventListener('click', () => actions.discard(item.key));
    meta.append(retry, discard);
  }
  return el(
    'li',
    {
      class: `message mine pending${failed ? ' failed' : ''}`,
      attrs: { 'data-testid': 'pending-message', 'data-state': item.state, 'data-key': item.key },
    },
    el('span', { class: 'text', attrs: { 'data-testid': 'pending-text' }, text: entry?.text ?? '' }),
    meta,
  );
}
