import type { ParleyClient } from '../../sdk/index.js';
import type { Message, PublicUser } from '../../src/protocol/index.js';
import { Drafts } from './drafts.js';
import { el } from './dom.js';
import { failureText } from './failure.js';
import { httpApi } from './http-api.js';
import { t } from './i18n/index.js';
import { quoteOf, renderQuote } from './message-view.js';
// The limit is counted in characters (code points) after trimming, as the server counts.
import { DEFAULT_MAX_MESSAGE_LENGTH, MAX_ATTACHMENTS } from '../../src/protocol/limits.js';

/** The counter shows from this many characters before the limit. */
const COUNTER_FROM = 200;
/** While the user types, `typing` is repeated this often (the server expires it after 5 s). */
const TYPING_REPEAT_MS = 2_000;
/** This long after the last keystroke the page sends `stop_typing`. */
const TYPING_IDLE_MS = 3_000;

export interface ComposerContext {
  client: ParleyClient;
  me: PublicUser;
  token: string;
  showError: (text: string) => void;
}

/**
 * The conversation's composer: a multi-line text (Enter sends, Shift+Enter is a new line), kept as
 * the chat's draft until sent; every send goes through the SDK's outbox (shown at once as pending,
 * never lost). It also edits a message (then it saves instead of sending) and makes the next send a
 * reply; both show a bar above it with a cancel button (or Escape).
 */
export class Composer {
  readonly element: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly submit: HTMLButtonElement;
  private readonly counter: HTMLElement;
  private readonly fileInput: HTMLInputElement;
  private readonly editBar: HTMLElement;
  private readonly replyBar: HTMLElement;
  private readonly replyQuote: HTMLElement;
  private editing: Message | undefined;
  private replyingTo: Message | undefined;
  private readonly drafts: Drafts;
  private lastTypingSent = 0;
  private typingIdle: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly chatId: string,
    private readonly context: ComposerContext,
  ) {
    this.drafts = new Drafts(context.me.id);
    this.input = el('textarea', {
      attrs: {
        rows: '2',
        placeholder: t('composer.placeholder'),
        'aria-label': t('composer.label'),
        'data-testid': 'composer',
      },
    });
    this.input.value = this.drafts.get(chatId);
    this.submit = el('button', {
      text: t('composer.send'),
      attrs: { type: 'submit', 'data-testid': 'composer-submit' },
    });
    this.counter = el('span', {
      class: 'counter',
      attrs: { 'data-testid': 'composer-counter', 'aria-live': 'polite' },
    });
    this.editBar = composerBar('edit', () => this.stopEditing(), el('span', { text: t('composer.editing') }));
    this.replyQuote = el('div', { class: 'reply-target' });
    this.replyBar = composerBar(
      'reply',
      () => this.stopReplying(),
      el('span', { text: t('composer.replyingTo') }),
      this.replyQuote,
    );
    // Attach: the chosen files are uploaded, then sent in one message with the composer's text.
    this.fileInput = el('input', {
      attrs: { type: 'file', multiple: '', 'data-testid': 'attach-input', 'aria-label': t('composer.files') },
    });
    this.fileInput.hidden = true;
    this.fileInput.addEventListener('change', () => void this.sendFiles());
    const attach = el('button', {
      text: '📎',
      class: 'attach',
      attrs: {
        type: 'button',
        'aria-label': t('composer.attach'),
        title: t('composer.attach'),
        'data-testid': 'attach-file',
      },
    });
    attach.addEventListener('click', () => this.fileInput.click());
    const form = el('form', { class: 'composer' }, attach, this.fileInput, this.input, this.counter, this.submit);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (this.editing) void this.saveEdit(this.editing);
      else this.send();
    });
    this.input.addEventListener('input', () => this.typed());
    this.input.addEventListener('keydown', (event) => {
      // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition is the IME's.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.key === 'Escape') {
        if (this.editing) this.stopEditing();
        else if (this.replyingTo) this.stopReplying();
      }
    });
    this.element = el('div', { class: 'composer-area' }, this.editBar, this.replyBar, form);
    this.showCount();
  }

  focus(): void {
    this.input.focus();
  }

  edit(message: Message): void {
    this.stopReplying();
    this.stopTyping();
    this.editing = message;
    this.input.value = message.text;
    this.submit.textContent = t('composer.save');
    this.editBar.hidden = false;
    this.context.showError('');
    this.showCount();
    this.input.focus();
  }

  replyTo(message: Message): void {
    if (this.editing) this.stopEditing();
    this.replyingTo = message;
    this.replyQuote.replaceChildren(renderQuote(quoteOf(message)));
    this.replyBar.hidden = false;
    this.input.focus();
  }

  /** A message changed: one deleted (in another tab) can be neither edited nor replied to. */
  messageChanged(message: Message): void {
    if (!message.deletedAt) return;
    if (this.editing?.id === message.id) this.stopEditing();
    if (this.replyingTo?.id === message.id) this.stopReplying();
  }

  close(): void {
    this.stopTyping();
  }

  /** The composer's text, trimmed, if it fits; otherwise says so and keeps it. */
  private checkedText(): string | undefined {
    const text = this.input.value.trim();
    const length = Array.from(text).length;
    if (length <= DEFAULT_MAX_MESSAGE_LENGTH) return text;
    this.context.showError(t('composer.tooLong', { count: length, max: DEFAULT_MAX_MESSAGE_LENGTH }));
    return undefined;
  }

  /** Queues the text (and files) in the SDK's outbox: it shows at once as pending, and is sent in order. */
  private send(attachments: string[] = []): void {
    const text = this.checkedText();
    if (text === undefined || (!text && attachments.length === 0)) return;
    this.context.showError('');
    this.stopTyping();
    const replyTo = this.replyingTo?.id;
    this.input.value = '';
    this.drafts.set(this.chatId, '');
    this.showCount();
    this.stopReplying();
    this.context.client
      .send(this.chatId, text, {
        ...(replyTo ? { replyTo } : {}),
        ...(attachments.length > 0 ? { attachments } : {}),
      })
      .catch((error: unknown) => {
        // Not even queued (the browser's storage refused): the text goes back where it was.
        if (!this.input.value) this.input.value = text;
        this.context.showError(t('composer.notSent', { reason: failureText(error) }));
      });
  }

  /** Uploads the files chosen with the attach button, then sends them with the composer's text. */
  private async sendFiles(): Promise<void> {
    const chosen = [...(this.fileInput.files ?? [])].slice(0, MAX_ATTACHMENTS);
    this.fileInput.value = '';
    if (chosen.length === 0 || this.editing) return;
    this.context.showError(t('composer.uploading', { names: chosen.map((f) => f.name).join(', ') }));
    try {
      const files = [];
      for (const file of chosen) files.push(await httpApi.uploadFile(this.context.token, file));
      this.send(files.map((file) => file.id));
    } catch (error) {
      this.context.showError(t('composer.notSent', { reason: failureText(error) }));
    }
  }

  /**
   * Sends the composer's text as the message's new text. An empty text is sent too: the server's
   * answer (text must not be empty) tells the user why, rather than a rule copied here.
   */
  private async saveEdit(message: Message): Promise<void> {
    const text = this.checkedText();
    if (text === undefined) return;
    this.context.showError('');
    if (text === message.text) return this.stopEditing();
    try {
      const answer = await this.context.client.request('edit_message', { messageId: message.id, text });
      if (this.editing?.id === message.id) this.stopEditing();
      this.context.client.messages(this.chatId).upsert([answer.message]);
    } catch (error) {
      this.context.showError(t('composer.notEdited', { reason: failureText(error) }));
    }
  }

  private stopReplying(): void {
    this.replyingTo = undefined;
    this.replyBar.hidden = true;
    this.replyQuote.replaceChildren();
  }

  private stopEditing(): void {
    this.editing = undefined;
    this.input.value = this.drafts.get(this.chatId);
    this.submit.textContent = t('composer.send');
    this.editBar.hidden = true;
    this.showCount();
  }

  /** "3990 / 4000" near the limit, marked when past it. */
  private showCount(): void {
    const length = Array.from(this.input.value.trim()).length;
    this.counter.hidden = length < DEFAULT_MAX_MESSAGE_LENGTH - COUNTER_FROM;
    this.counter.textContent = `${length} / ${DEFAULT_MAX_MESSAGE_LENGTH}`;
    this.counter.classList.toggle('over', length > DEFAULT_MAX_MESSAGE_LENGTH);
  }

  private typed(): void {
    this.showCount();
    // Editing an old message is not writing a new one: the others are not told, and the draft stays.
    if (this.editing) return;
    this.drafts.set(this.chatId, this.input.value);
    const now = Date.now();
    const socket = this.context.client.socket;
    if (now - this.lastTypingSent > TYPING_REPEAT_MS && this.input.value.trim()) {
      this.lastTypingSent = now;
      socket.emit('typing', { chatId: this.chatId }, ignoreAnswer);
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.typingIdle);
    if (this.lastTypingSent === 0) return;
    this.lastTypingSent = 0;
    const socket = this.context.client.socket;
    if (socket.connected) socket.emit('stop_typing', { chatId: this.chatId }, ignoreAnswer);
  }
}

/** The ack callback for events whose answer the page does not need (typing). */
const ignoreAnswer = (): void => {};

/** A bar above the composer saying what its next submit does, with a cancel button; hidden until shown. */
function composerBar(name: 'edit' | 'reply', cancel: () => void, ...content: Node[]): HTMLElement {
  const cancelButton = el('button', {
    class: 'link',
    text: t('composer.cancel'),
    attrs: { type: 'button', 'data-testid': `cancel-${name}`, 'aria-label': t(`composer.cancel.${name}`) },
  });
  cancelButton.addEventListener('click', cancel);
  const bar = el(
    'div',
    { class: `composer-bar ${name}-bar`, attrs: { 'data-testid': `${name}-bar` } },
    ...content,
    cancelButton,
  );
  bar.hidden = true;
  return bar;
}
