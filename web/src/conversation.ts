import type {
  ChatEvent,
  ChatPinsEvent,
  ChatSummary,
  Message,
  MessageReactionsEvent,
  PublicUser,
} from '../../src/protocol/index.js';
import type { ChatNotices } from './chat-notices.js';
import { chatTitle, isGroupChat } from './chat-summary.js';
import { mayManageGroup } from './group-rights.js';
import { ignoreAnswer, request, type ParleySocket } from './connection.js';
import { renderAttachments } from './attachments-view.js';
import { el } from './dom.js';
import { httpApi } from './http-api.js';
import {
  quoteOf,
  renderMessage,
  renderQuote,
  type MentionedNames,
  type MarkActions,
  type OwnMessageActions,
  type ReplyAction,
} from './message-view.js';
import { reportMessage } from './report-action.js';

/** Page size of history requests (the server allows 1..100). */
const PAGE = 30;
/** On opening, the chat events among this many latest changes are shown (sync's largest page). */
const RECENT_CHANGES = 100;
/** While the user types, `typing` is repeated this often (the server expires it after 5 s). */
const TYPING_REPEAT_MS = 2_000;
/** This long after the last keystroke the page sends `stop_typing`. */
const TYPING_IDLE_MS = 3_000;

/**
 * The open chat: its messages in commit order, older pages loaded when the list is scrolled to the
 * top, live messages, edits and deletes, who is typing, and how far the others have read. The
 * author edits a message in the composer (which then saves instead of sending) and deletes it
 * after a confirmation. "Reply" on a message makes the next send a reply to it, shown above the
 * composer with a cancel button until then.
 */
export class Conversation {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly typingLine: HTMLElement;
  /** Failed sends, edits and deletes, with the server's text; cleared by the next attempt. */
  private readonly errorLine: HTMLElement;
  /** What an action achieved that shows nowhere else (a report sent); cleared by the next one. */
  private readonly statusLine: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly submit: HTMLButtonElement;
  /** The attach button's file input (hidden: the button opens it). */
  private readonly fileInput: HTMLInputElement;
  /** Shown while the composer edits a message instead of writing a new one. */
  private readonly editBar: HTMLElement;
  private readonly title: HTMLElement;
  /** A group's members (a direct chat's title already names the other one). */
  private readonly membersLine: HTMLElement;
  /** The message the composer is editing, if any. */
  private editing: Message | undefined;
  /** Shown while the next send is a reply: the quote and a cancel button. */
  private readonly replyBar: HTMLElement;
  private readonly replyQuote: HTMLElement;
  /** The message the next send replies to, if any. */
  private replyingTo: Message | undefined;
  private readonly startReply: ReplyAction = (message) => this.replyTo(message);
  private readonly ownActions: OwnMessageActions = {
    edit: (message) => this.startEdit(message),
    delete: (message) => void this.deleteMessage(message),
  };
  /** What the caller may do to messages, by their role now (marksFor); rendered messages follow it. */
  private markActions: MarkActions | undefined;
  private marksKey = '';
  /** The pinned messages above the list, most recently pinned first (get_pinned_messages). */
  private readonly pinnedBar: HTMLElement;
  private pins: Message[] = [];
  /** Oldest first; `(createdAt, id)` increases along it, as the server guarantees. */
  private messages: Message[] = [];
  private readonly rendered = new Map<string, HTMLElement>();
  private hasOlder = false;
  private loadingOlder = false;
  /** Each other member's read position: the seq of the last message they have read. */
  private readonly readBy = new Map<string, number>();
  /** The chat version this view holds: every change up to it is shown (sync asks from it). */
  private version: number;
  /** Between a lost connection and the end of its catch-up, live changes do not move `version`. */
  private catchingUp = false;
  private readonly typingUsers = new Set<string>();
  private lastTypingSent = 0;
  private typingIdle: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private chat: ChatSummary,
    private readonly me: PublicUser,
    private readonly socket: ParleySocket,
    private readonly onRead: (chatId: string, unreadCount: number, unreadMentionCount: number) => void,
    /** The chat events the page holds, shown as notices among the messages. */
    private readonly notices: ChatNotices,
    /** Controls the chat app puts in the header (a group's members panel, "Block" in a direct chat). */
    tools?: HTMLElement,
    /** The bearer token, for uploads and for fetching files. */
    private readonly token = '',
  ) {
    this.title = el('span', { class: 'conversation-name', attrs: { 'data-testid': 'conversation-title' } });
    this.membersLine = el('span', { class: 'members', attrs: { 'data-testid': 'members' } });
    const header = el(
      'header',
      { class: 'conversation-title' },
      el('div', { class: 'title-row' }, this.title, this.membersLine),
    );
    if (tools) header.append(tools);
    this.list = el('ol', { class: 'messages', attrs: { 'data-testid': 'messages' } });
    this.pinnedBar = el('nav', {
      class: 'pinned-bar',
      attrs: { 'data-testid': 'pinned-bar', 'aria-label': 'pinned messages' },
    });
    this.pinnedBar.hidden = true;
    this.typingLine = el('div', { class: 'typing', attrs: { 'data-testid': 'typing' } });
    this.errorLine = el('p', {
      class: 'error conversation-error',
      attrs: { 'data-testid': 'conversation-error', role: 'alert' },
    });
    this.statusLine = el('p', {
      class: 'conversation-status',
      attrs: { 'data-testid': 'conversation-status', role: 'status' },
    });
    this.input = el('input', {
      attrs: {
        type: 'text',
        placeholder: 'Message',
        autocomplete: 'off',
        maxlength: '4000',
        'data-testid': 'composer',
      },
    });
    this.submit = el('button', { text: 'Send', attrs: { type: 'submit', 'data-testid': 'composer-submit' } });
    this.editBar = composerBar('edit', () => this.stopEditing(), el('span', { text: 'Editing your message' }));
    this.replyQuote = el('div', { class: 'reply-target' });
    this.replyBar = composerBar(
      'reply',
      () => this.stopReplying(),
      el('span', { text: 'Replying to' }),
      this.replyQuote,
    );
    // Attach: the chosen files are uploaded, then sent in one message with the composer's text.
    this.fileInput = el('input', {
      attrs: { type: 'file', multiple: '', 'data-testid': 'attach-input', 'aria-label': 'Files to send' },
    });
    this.fileInput.hidden = true;
    this.fileInput.addEventListener('change', () => void this.sendFiles());
    const attach = el('button', {
      text: '📎',
      class: 'attach',
      attrs: { type: 'button', 'aria-label': 'Attach files', title: 'Attach files', 'data-testid': 'attach-file' },
    });
    attach.addEventListener('click', () => this.fileInput.click());
    const form = el('form', { class: 'composer' }, attach, this.fileInput, this.input, this.submit);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void (this.editing ? this.saveEdit(this.editing) : this.send());
    });
    this.input.addEventListener('input', () => this.typed());
    this.input.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      if (this.editing) this.stopEditing();
      else if (this.replyingTo) this.stopReplying();
    });
    this.list.addEventListener('scroll', () => {
      if (this.list.scrollTop < 40) void this.loadOlder();
    });
    this.element = el(
      'section',
      { class: 'conversation' },
      header,
      this.pinnedBar,
      this.list,
      this.typingLine,
      this.errorLine,
      this.statusLine,
      this.editBar,
      this.replyBar,
      form,
    );
    // The chat list was read before the first page: nothing after its version is missed.
    this.version = chat.version;
    this.updateChat(chat);
  }

  get chatId(): string {
    return this.chat.id;
  }

  /** The chat as the chat list has it now: name, members and how far each has read. */
  updateChat(chat: ChatSummary): void {
    this.chat = chat;
    for (const { userId, seq } of chat.readPositions) {
      if (userId !== this.me.id && seq > (this.readBy.get(userId) ?? 0)) this.readBy.set(userId, seq);
    }
    this.title.textContent = chatTitle(chat, this.me);
    this.membersLine.textContent = isGroupChat(chat) ? chat.users.map((u) => u.username).join(', ') : '';
    // The caller's role decides the messages' actions; the notices name members as known now.
    this.render();
  }

  /** The first page (the latest messages); `hasMore` tells whether older ones exist. */
  async load(): Promise<void> {
    const page = await request(this.socket, 'get_chat_messages', { chatId: this.chatId, limit: PAGE });
    this.hasOlder = page.hasMore;
    this.merge(page.messages);
    this.scrollToBottom();
    this.markRead();
    await this.loadPins();
    await this.loadRecentEvents();
    // A short first page may not fill the list: there is nothing to scroll, so load on.
    while (this.hasOlder && this.list.scrollHeight <= this.list.clientHeight) await this.loadOlder();
  }

  /**
   * After a reconnect: every change after the version this view holds, in its current state, page
   * by page (contract §5: `sync`). New messages are added; changed ones that are shown are replaced.
   */
  async catchUp(): Promise<void> {
    this.catchingUp = true;
    // Messages past the newest one shown are new; sync answers them in version order, not seq order.
    const newestShown = this.messages.at(-1)?.seq ?? 0;
    for (;;) {
      const { chats } = await request(this.socket, 'sync', { chats: [{ chatId: this.chatId, version: this.version }] });
      const entry = chats[0];
      if (!entry?.success) return;
      for (const message of entry.messages) this.apply(message, newestShown);
      for (const event of entry.events) this.notices.add(event);
      this.version = Math.max(this.version, entry.version);
      if (!entry.hasMore) break;
    }
    this.catchingUp = false;
    this.render();
    this.scrollToBottom();
    this.markRead();
    await this.loadPins();
  }

  /** Older history when the list is scrolled to the top; the visible messages stay where they are. */
  async loadOlder(): Promise<void> {
    const first = this.messages[0];
    if (!this.hasOlder || this.loadingOlder || !first) return;
    this.loadingOlder = true;
    try {
      const page = await request(this.socket, 'get_chat_messages', {
        chatId: this.chatId,
        before: first.id,
        limit: PAGE,
      });
      const fromBottom = this.list.scrollHeight - this.list.scrollTop;
      this.hasOlder = page.hasMore;
      this.merge(page.messages);
      this.list.scrollTop = this.list.scrollHeight - fromBottom;
    } finally {
      this.loadingOlder = false;
    }
  }

  /** The connection was lost: what arrives from now on may follow a gap, until catchUp() has run. */
  connectionLost(): void {
    this.catchingUp = true;
  }

  /**
   * A change from sync: replaced when shown, added when newer than what was shown (`newestShown`);
   * an older message is not shown until its page is loaded, in its current state then (its
   * replies shown meanwhile quote it as it is now).
   */
  private apply(message: Message, newestShown: number): void {
    if (this.messages.some((m) => m.id === message.id)) this.replace(message);
    else if (message.seq > newestShown) this.merge([message]);
    // Not shown, but its replies may be.
    else if (this.requote(message)) this.render();
  }

  /**
   * A `new_message` of this chat, or the answer to this page's own send. Only live events move the
   * version held: they arrive in version order, an answer may overtake an earlier change.
   */
  receive(message: Message, live = true): void {
    const atBottom = this.isAtBottom();
    if (live && !this.catchingUp) this.version = Math.max(this.version, message.version);
    this.merge([message]);
    if (atBottom || message.sender === this.me.id) this.scrollToBottom();
    if (message.sender !== this.me.id) this.markRead();
  }

  /**
   * A `message_updated` / `message_deleted`, or the answer to this page's own edit or delete. Only a
   * message the page already has is replaced: an older one comes with its current state when its
   * page is loaded, and merging it now would leave a hole before it (the oldest message is the
   * cursor for the next older page).
   */
  replace(message: Message, live = true): void {
    if (live && !this.catchingUp) this.version = Math.max(this.version, message.version);
    if (!this.messages.some((m) => m.id === message.id)) {
      // Not shown, but its replies may be.
      if (this.requote(message)) this.render();
      return;
    }
    // Deleted in another tab while this one edits it: there is nothing left to edit.
    if (message.deletedAt && this.editing?.id === message.id) this.stopEditing();
    // Deleted while the composer replies to it: the server would refuse the reply.
    if (message.deletedAt && this.replyingTo?.id === message.id) this.stopReplying();
    this.merge([message]);
  }

  /**
   * A `message_reactions`: the message's new summary (without `me`, as every broadcast), with `me`
   * kept from what the page knew and set from the change when it is this user's own.
   */
  reactionsChanged(change: MessageReactionsEvent): void {
    if (!this.catchingUp) this.version = Math.max(this.version, change.version);
    const held = this.messages.find((m) => m.id === change.messageId);
    if (!held || held.version >= change.version) return;
    const mine = new Set(held.reactions?.filter((r) => r.me).map((r) => r.emoji));
    if (change.userId === this.me.id) {
      if (change.added) mine.add(change.emoji);
      else mine.delete(change.emoji);
    }
    const { reactions: _, ...rest } = held;
    const reactions = change.reactions.map((r) => ({ ...r, me: mine.has(r.emoji) }));
    this.merge([{ ...rest, version: change.version, ...(reactions.length > 0 ? { reactions } : {}) }]);
  }

  /**
   * A live `chat_event` of this chat, already held by the notices (and applied to the summary by
   * the chat app): its notice is shown where it happened.
   */
  chatEvent(event: ChatEvent): void {
    const atBottom = this.isAtBottom();
    if (!this.catchingUp) this.version = Math.max(this.version, event.version);
    this.render();
    if (atBottom) this.scrollToBottom();
  }

  /** A `chat_pins`: the message's pin changes, and the pinned bar is read again. */
  pinsChanged(change: ChatPinsEvent): void {
    if (!this.catchingUp) this.version = Math.max(this.version, change.version);
    const held = this.messages.find((m) => m.id === change.messageId);
    if (held && held.version < change.version) {
      const { pinnedAt: _at, pinnedBy: _by, ...rest } = held;
      const pin =
        change.pinned && change.pinnedAt && change.pinnedBy
          ? { pinnedAt: change.pinnedAt, pinnedBy: change.pinnedBy }
          : {};
      this.merge([{ ...rest, version: change.version, ...pin }]);
    }
    void this.loadPins();
  }

  messagesRead(userId: string, seq: number): void {
    if (userId === this.me.id || seq <= (this.readBy.get(userId) ?? 0)) return;
    this.readBy.set(userId, seq);
    this.render();
  }

  userTyping(userId: string, typing: boolean): void {
    if (typing) this.typingUsers.add(userId);
    else this.typingUsers.delete(userId);
    const names = [...this.typingUsers].map((id) => this.chat.users.find((u) => u.id === id)?.username ?? 'someone');
    this.typingLine.textContent =
      names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
  }

  /** Called when the page leaves this chat. */
  close(): void {
    this.stopTyping();
  }

  focus(): void {
    this.input.focus();
  }

  /** Uploads the files chosen with the attach button (at most 10), then sends them with the composer's text. */
  private async sendFiles(): Promise<void> {
    const chosen = [...(this.fileInput.files ?? [])].slice(0, 10);
    this.fileInput.value = '';
    if (chosen.length === 0 || this.editing) return;
    this.showError(`Uploading ${chosen.map((f) => f.name).join(', ')}…`);
    try {
      const files = [];
      for (const file of chosen) files.push(await httpApi.uploadFile(this.token, file));
      await this.send(files.map((file) => file.id));
    } catch (error) {
      this.showError(`Not sent: ${(error as Error).message}`);
    }
  }

  private async send(attachments: string[] = []): Promise<void> {
    const text = this.input.value.trim();
    if (!text && attachments.length === 0) return;
    this.input.value = '';
    this.showError('');
    this.stopTyping();
    // A retry after a dropped answer must not store the message twice.
    const clientMessageId = crypto.randomUUID();
    const replyTo = this.replyingTo?.id;
    try {
      const { message } = await request(this.socket, 'send_message', {
        chatId: this.chatId,
        text,
        clientMessageId,
        ...(replyTo ? { replyTo } : {}),
        ...(attachments.length > 0 ? { attachments } : {}),
      });
      if (this.replyingTo?.id === replyTo) this.stopReplying();
      this.receive(message, false);
    } catch (error) {
      this.input.value = text;
      this.showError(`Not sent: ${(error as Error).message}`);
    }
  }

  private replyTo(message: Message): void {
    if (this.editing) this.stopEditing();
    this.replyingTo = message;
    this.replyQuote.replaceChildren(renderQuote(quoteOf(message)));
    this.replyBar.hidden = false;
    this.input.focus();
  }

  private stopReplying(): void {
    this.replyingTo = undefined;
    this.replyBar.hidden = true;
    this.replyQuote.replaceChildren();
  }

  private startEdit(message: Message): void {
    this.stopReplying();
    this.stopTyping();
    this.editing = message;
    this.input.value = message.text;
    this.submit.textContent = 'Save';
    this.editBar.hidden = false;
    this.showError('');
    this.input.focus();
  }

  private stopEditing(): void {
    this.editing = undefined;
    this.input.value = '';
    this.submit.textContent = 'Send';
    this.editBar.hidden = true;
  }

  /**
   * Sends the composer's text as the message's new text. An empty text is sent too: the server's
   * answer (text must not be empty) tells the user why, rather than a rule copied here.
   */
  private async saveEdit(message: Message): Promise<void> {
    const text = this.input.value.trim();
    this.showError('');
    if (text === message.text) return this.stopEditing();
    try {
      const answer = await request(this.socket, 'edit_message', { messageId: message.id, text });
      if (this.editing?.id === message.id) this.stopEditing();
      this.replace(answer.message, false);
    } catch (error) {
      this.showError(`Not edited: ${(error as Error).message}`);
    }
  }

  private async deleteMessage(message: Message): Promise<void> {
    if (!confirm('Delete this message for everyone?')) return;
    this.showError('');
    try {
      const answer = await request(this.socket, 'delete_message', { messageId: message.id });
      this.replace(answer.message, false);
    } catch (error) {
      this.showError(`Not deleted: ${(error as Error).message}`);
    }
  }

  private async react(message: Message, emoji: string, add: boolean): Promise<void> {
    this.showError('');
    try {
      const answer = await request(this.socket, add ? 'add_reaction' : 'remove_reaction', {
        messageId: message.id,
        emoji,
      });
      this.replace(answer.message, false);
    } catch (error) {
      this.showError(`Reaction not ${add ? 'added' : 'removed'}: ${(error as Error).message}`);
    }
  }

  private async pin(message: Message, pinned: boolean): Promise<void> {
    this.showError('');
    try {
      const answer = await request(this.socket, pinned ? 'pin_message' : 'unpin_message', { messageId: message.id });
      this.replace(answer.message, false);
      await this.loadPins();
    } catch (error) {
      this.showError(`Not ${pinned ? 'pinned' : 'unpinned'}: ${(error as Error).message}`);
    }
  }

  /**
   * The chat events among the latest changes before the version this view started from (later
   * ones arrive live), read with `sync`; only the events are taken, the page holds the messages.
   */
  private async loadRecentEvents(): Promise<void> {
    const from = Math.max(0, this.version - RECENT_CHANGES);
    try {
      const { chats } = await request(this.socket, 'sync', {
        chats: [{ chatId: this.chatId, version: from }],
        limit: RECENT_CHANGES,
      });
      const entry = chats[0];
      if (!entry?.success) return;
      let added = false;
      for (const event of entry.events) added = this.notices.add(event) || added;
      if (!added) return;
      const atBottom = this.isAtBottom();
      this.render();
      if (atBottom) this.scrollToBottom();
    } catch {
      // Only notices are missing; live ones still come.
    }
  }

  /** The chat's pinned messages, read again (a change may concern a message this page does not hold). */
  private async loadPins(): Promise<void> {
    try {
      const { messages } = await request(this.socket, 'get_pinned_messages', { chatId: this.chatId });
      this.pins = messages;
      this.renderPins();
    } catch {
      // The bar keeps what it showed; the next change or reconnect reads it again.
    }
  }

  /** The pinned bar follows the pinned messages' edits, and drops those unpinned or deleted (a deletion unpins). */
  private repin(changed: Message[]): void {
    const byId = new Map(changed.map((m) => [m.id, m]));
    if (!this.pins.some((pin) => byId.has(pin.id))) return;
    this.pins = this.pins.flatMap((pin) => {
      const now = byId.get(pin.id);
      if (!now) return [pin];
      return now.pinnedAt && !now.deletedAt ? [now] : [];
    });
    this.renderPins();
  }

  /** The pinned bar: each pin a button that scrolls to the message when the page holds it. */
  private renderPins(): void {
    const items = this.pins.map((message) => {
      const button = el('button', {
        class: 'link pinned-item',
        text: `${message.user.username}: ${Array.from(message.text).slice(0, 80).join('')}`,
        attrs: {
          type: 'button',
          'data-testid': 'pinned-item',
          'aria-label': `pinned message from ${message.user.username}`,
        },
      });
      button.addEventListener('click', () => this.rendered.get(message.id)?.scrollIntoView({ block: 'center' }));
      return el('li', {}, button);
    });
    this.pinnedBar.replaceChildren(el('span', { class: 'pinned-label', text: '📌 Pinned' }), el('ul', {}, ...items));
    this.pinnedBar.hidden = items.length === 0;
  }

  private showError(text: string): void {
    this.errorLine.textContent = text;
    if (text) this.statusLine.textContent = '';
  }

  private async report(message: Message): Promise<void> {
    this.showError('');
    this.statusLine.textContent = '';
    try {
      if (await reportMessage(this.socket, message))
        this.statusLine.textContent = `Reported ${message.user.username}'s message to the moderators.`;
    } catch (error) {
      this.showError(`Not reported: ${(error as Error).message}`);
    }
  }

  private typed(): void {
    // Editing an old message is not writing a new one: the others are not told.
    if (this.editing) return;
    const now = Date.now();
    if (now - this.lastTypingSent > TYPING_REPEAT_MS && this.input.value.trim()) {
      this.lastTypingSent = now;
      this.socket.emit('typing', { chatId: this.chatId }, ignoreAnswer);
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.typingIdle);
    if (this.lastTypingSent === 0) return;
    this.lastTypingSent = 0;
    if (this.socket.connected) this.socket.emit('stop_typing', { chatId: this.chatId }, ignoreAnswer);
  }

  /** Moves the read position to the newest message while the page is visible. */
  private markRead(): void {
    const last = this.messages.at(-1);
    if (!last || document.visibilityState === 'hidden') return;
    this.socket.emit('mark_read', { chatId: this.chatId, messageId: last.id }, (answer) => {
      if (answer.success) this.onRead(this.chatId, answer.unreadCount, answer.unreadMentionCount);
    });
  }

  /**
   * Adds or replaces messages (by id) and keeps commit order. A state older than the one shown
   * (an answer or a page read before a live change arrived) is ignored: versions only go forward.
   */
  private merge(incoming: Message[]): void {
    const byId = new Map(this.messages.map((m) => [m.id, m]));
    const newer = incoming
      .filter((message) => (byId.get(message.id)?.version ?? 0) <= message.version)
      .map((message) => withMe(message, byId.get(message.id)));
    if (newer.length === 0) return;
    for (const message of newer) byId.set(message.id, message);
    this.messages = [...byId.values()].sort((a, b) => a.seq - b.seq);
    for (const message of newer) {
      this.rendered.delete(message.id);
      this.requote(message);
    }
    this.repin(newer);
    this.render();
  }

  /**
   * Shows `target`'s edit or deletion in the quotes of the replies to it that the page holds (the
   * server sends no event for them); whether there were any.
   */
  private requote(target: Message): boolean {
    if (!target.editedAt && !target.deletedAt) return false;
    let changed = false;
    this.messages = this.messages.map((held) => {
      if (held.replyTo?.id !== target.id) return held;
      changed = true;
      this.rendered.delete(held.id);
      return { ...held, replyTo: quoteOf(target) };
    });
    return changed;
  }

  /** The usernames of the members `message` mentions, as the chat's member list has them now. */
  private mentionedNames(message: Message): MentionedNames | undefined {
    if (!message.mentions) return undefined;
    const ids = new Set(message.mentions);
    const names = new Set(this.chat.users.filter((u) => ids.has(u.id)).map((u) => u.username.toLowerCase()));
    return { names, me: this.me.username.toLowerCase() };
  }

  /**
   * The message actions the caller's role allows (README "Group roles": in a group only admins and
   * the owner pin and delete others' messages); when they change, every message is rendered again.
   */
  private marksFor(): MarkActions {
    const moderator = mayManageGroup(this.chat, this.me.id);
    const mayPin = !isGroupChat(this.chat) || moderator;
    const key = `${mayPin}:${moderator}`;
    if (this.markActions && key === this.marksKey) return this.markActions;
    this.marksKey = key;
    this.rendered.clear();
    this.markActions = {
      react: (message, emoji, add) => void this.react(message, emoji, add),
      report: (message) => void this.report(message),
      ...(mayPin ? { pin: (message: Message, pinned: boolean) => void this.pin(message, pinned) } : {}),
      ...(moderator ? { deleteOthers: (message: Message) => void this.deleteMessage(message) } : {}),
    };
    return this.markActions;
  }

  private render(): void {
    const readUpTo = Math.max(0, ...this.readBy.values());
    const marks = this.marksFor();
    const items = this.messages.map((message) => {
      let item = this.rendered.get(message.id);
      if (!item) {
        item = renderMessage(
          message,
          this.startReply,
          message.sender === this.me.id ? this.ownActions : undefined,
          marks,
          this.mentionedNames(message),
        );
        if (message.attachments && !message.deletedAt)
          item.querySelector('.meta')?.before(renderAttachments(message.attachments, this.token));
        this.rendered.set(message.id, item);
      }
      if (message.sender === this.me.id) {
        const read = message.seq <= readUpTo;
        item.classList.toggle('read', read);
        const status = item.querySelector('.status');
        if (status) status.textContent = read ? '✓✓' : '✓';
      }
      return item;
    });
    this.list.replaceChildren(...this.withNotices(items));
  }

  /**
   * The message items with the chat's notices among them, each before the first message created
   * after it. While older history is not loaded, notices older than the oldest message shown
   * wait for it (they would otherwise sit above history they came after).
   */
  private withNotices(items: HTMLElement[]): HTMLElement[] {
    const first = this.messages[0];
    const at = (iso: string) => Date.parse(iso);
    const notices = this.notices
      .of(this.chatId)
      .filter((event) => !this.hasOlder || !first || at(event.createdAt) >= at(first.createdAt));
    if (notices.length === 0) return items;
    const merged: HTMLElement[] = [];
    let next = 0;
    this.messages.forEach((message, i) => {
      while (next < notices.length && at(notices[next]!.createdAt) < at(message.createdAt))
        merged.push(this.notices.render(notices[next++]!));
      merged.push(items[i]!);
    });
    while (next < notices.length) merged.push(this.notices.render(notices[next++]!));
    return merged;
  }

  private isAtBottom(): boolean {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 60;
  }

  private scrollToBottom(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }
}

/**
 * A message as broadcast (its reactions without `me`) with `me` taken from the state the page held:
 * events go to the whole chat, so only answers and the user's own reaction events tell `me`.
 */
function withMe(message: Message, held: Message | undefined): Message {
  if (!message.reactions || message.reactions.every((r) => r.me !== undefined)) return message;
  const mine = new Set(held?.reactions?.filter((r) => r.me).map((r) => r.emoji));
  return { ...message, reactions: message.reactions.map((r) => ({ ...r, me: r.me ?? mine.has(r.emoji) })) };
}

/** A bar above the composer saying what its next submit does, with a cancel button; hidden until shown. */
function composerBar(name: 'edit' | 'reply', cancel: () => void, ...content: Node[]): HTMLElement {
  const cancelButton = el('button', {
    class: 'link',
    text: 'cancel',
    attrs: { type: 'button', 'data-testid': `cancel-${name}`, 'aria-label': `cancel the ${name}` },
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
