import type { Message } from '../../src/protocol/index.js';
import { el } from './dom.js';

/** What the author can do to their own message; the conversation carries it out. */
export interface OwnMessageActions {
  edit(message: Message): void;
  delete(message: Message): void;
}

const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/**
 * One message of the conversation. `own` is given for the signed-in user's messages: they get the
 * read status and, while not deleted, "edit" and "delete" (the server refuses both on anyone
 * else's message, so they are never offered there). A tombstone keeps its place, without its text.
 */
export function renderMessage(message: Message, own?: OwnMessageActions): HTMLElement {
  const meta = el('span', { class: 'meta' }, el('span', { text: clock(message.createdAt) }));
  if (message.editedAt && !message.deletedAt) {
    meta.append(
      el('span', {
        text: '· edited',
        attrs: { 'data-testid': 'edited', title: `edited at ${clock(message.editedAt)}` },
      }),
    );
  }
  if (own && !message.deletedAt)
    meta.append(
      actionButton('edit', () => own.edit(message)),
      actionButton('delete', () => own.delete(message)),
    );
  if (own) meta.append(el('span', { class: 'status', text: '✓' }));
  return el(
    'li',
    { class: `message${own ? ' mine' : ''}${message.deletedAt ? ' deleted' : ''}`, attrs: { 'data-id': message.id } },
    el('span', { class: 'author', text: message.user.username }),
    // textContent, never innerHTML: a message is text, whatever it contains.
    el('span', {
      class: 'text',
      attrs: { 'data-testid': 'message-text' },
      text: message.deletedAt ? 'message deleted' : message.text,
    }),
    meta,
  );
}

function actionButton(action: 'edit' | 'delete', run: () => void): HTMLElement {
  const button = el('button', {
    class: 'link',
    text: action,
    attrs: { type: 'button', 'data-testid': `${action}-message` },
  });
  button.addEventListener('click', run);
  return button;
}
