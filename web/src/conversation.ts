import type { ChatMessages, MessageItem, MessagesView, ParleyClient, VersionedEvent } from '../../sdk/index.js';
import type { ChatSummary, Message, PublicUser } from '../../src/protocol/index.js';
import { renderAttachments } from './attachments-view.js';
import type { ChatNotices } from './chat-notices.js';
import { chatTitle, isGroupChat } from './chat-summary.js';
import { Composer } from './composer.js';
import { el } from './dom.js';
import { failureText } from './failure.js';
import { mayManageGroup } from './group-rights.js';
import { t } from './i18n/index.js';
import { renderPendingMessage, showDelivery } from './message-state.js';
import {
  quoteOf,
  renderMessage,
  type MarkActions,
  type MentionedNames,
  type OwnMessageActions,
  type ReplyAction,
} from './message-view.js';
import { reportMessage } from './report-action.js';
import { continuesGroup, daySeparator, sameDay } from './timeline.js';

/** On opening, the chat events among this many latest changes are shown (sync's largest page). */
const RECENT_CHANGES = 100;
/** Opening a chat reads older pages until its first unread message, at most this many. */
const PAGES_TO_FIRST_UNREAD = 20;
/** Within this many pixels of the bottom the list counts as at the bottom (and follows new messages). */
const BOTTOM_SLACK_PX = 60;

/** What the chat app gives the open conversation. */
export interface ConversationContext {
  client: ParleyClient;
  me: PublicUser;
  /** The bearer token, for uploads and for fetching files. */
  token: string;
  /** The chat events the page holds, shown as notices among the messages. */
  notices: ChatNotices;
  /** Controls for the header (a group's members panel, "Block" in a direct chat). */
  tools: HTMLElement;
  /** Back to the chat list (a narrow screen's Back button). */
  back: () => void;
  /** Read out politely by screen readers. */
  announce: (text: string) => void;
}

/**
 * The open chat, drawn from the SDK's cache of its messages (client.messages): stored messages in
 * commit order with day separators and the chat's notices among them, then the outbox's (sending,
 * or failed with Retry / Discard). Older pages load when the list is scrolled to the top. A chat
 * opened with unread messages shows the first of them under a "New messages" divider; a message
 * counts as read only once it was in view while the tab was visible. The composer is composer.ts.
 */
export class Conversation {
  readonly element: HTMLElement;
  private readonly cache: ChatMessages;
  private view: MessagesView = { items: [], hasOlder: false };
  private readonly list: HTMLElement;
  private readonly typingLine: HTMLElement;
  /** Failed actions, with the reason; cleared by the next attempt (an assertive live region). */
  private readonly errorLine: HTMLElement;
  /** What an action achieved that shows nowhere else (a report sent); cleared by the next one. */
  private readonly statusLine: HTMLElement;
  private readonly title: HTMLElement;
  /** A group's members (a direct chat's title already names the other one). */
  private readonly membersLine: HTMLElement;
  private readonly composer: Composer;
  private readonly pinnedBar: HTMLElement;
  private pins: Message[] = [];
  /** Each item's element, with what it was drawn from (redrawn when that changes). */
  private readonly rendered = new Map<string, { drawn: string; element: HTMLElement }>();
  private readonly ownActions: OwnMessageActions = {
    edit: (message) => this.composer.edit(message),
    delete: (message) => void this.deleteMessage(message),
  };
  private readonly startReply: ReplyAction = (message) => this.composer.replyTo(message);
  /** What the caller may do to messages, by their role now (marksFor); rendered messages follow it. */
  private markActions: MarkActions | undefined;
  private marksKey = '';
  private readonly typingUsers = new Set<string>();
  /** The user's read position when the chat was opened: later messages of others are "new". */
  private readonly readAtOpen: number;
  private readonly unreadAtOpen: number;
  /** Messages in view (seq → id) while the tab is visible: what "read" may cover. */
  private readonly inView = new Map<number, string>();
  /** The read position this page has told the server (or found). */
  private readSent: number;
  private readonly observer: IntersectionObserver;
  private readonly divider = el('li', {
    class: 'unread-divider',
    text: t('conversation.newMessages'),
    attrs: { 'data-testid': 'unread-divider' },
  });
  private readonly jumpUnread: HTMLButtonElement;
  private readonly jumpBottom: HTMLButtonElement;
  private loadingOlder = false;
  private opened = false;
  private readonly stops: (() => void)[] = [];

  constructor(
    private chat: ChatSummary,
    private readonly context: ConversationContext,
  ) {
    const { client, me } = context;
    this.cache = client.messages(chat.id);
    this.readAtOpen = chat.readPositions.find((p) => p.userId === me.id)?.seq ?? 0;
    this.unreadAtOpen = chat.unreadCount;
    this.readSent = this.readAtOpen;
    this.title = el('h2', { class: 'conversation-name', attrs: { 'data-testid': 'conversation-title' } });
    this.membersLine = el('span', { class: 'members', attrs: { 'data-testid': 'members' } });
    const back = el('button', {
      class: 'back',
      text: '←',
      attrs: { type: 'button', 'data-testid': 'back', 'aria-label': t('conversation.back') },
    });
    back.addEventListener('click', () => context.back());
    const header = el(
      'header',
      { class: 'conversation-title' },
      back,
      el('div', { class: 'title-row' }, this.title, this.membersLine),
      context.tools,
    );
    this.list = el('ol', {
      class: 'messages',
      attrs: { 'data-testid': 'messages', 'aria-label': t('conversation.messages'), tabindex: '0' },
    });
    this.pinnedBar = el('nav', {
      class: 'pinned-bar',
      attrs: { 'data-testid': 'pinned-bar', 'aria-label': t('pins.label') },
    });
    this.pinnedBar.hidden = true;
    this.typingLine = el('div', { class: 'typing', attrs: { 'data-testid': 'typing', 'aria-live': 'polite' } });
    this.errorLine = el('p', {
      class: 'error conversation-error',
      attrs: { 'data-testid': 'conversation-error', role: 'alert' },
    });
    this.statusLine = el('p', {
      class: 'conversation-status',
      attrs: { 'data-testid': 'conversation-status', role: 'status' },
    });
    this.composer = new Composer(chat.id, {
      client,
      me,
      token: context.token,
      showError: (text) => this.showError(text),
    });
    this.jumpUnread = el('button', {
      class: 'jump jump-unread',
      text: t('conversation.jumpUnread'),
      attrs: { type: 'button', 'data-testid': 'jump-unread' },
    });
    this.jumpUnread.addEventListener('click', () => this.divider.scrollIntoView({ block: 'start' }));
    this.jumpBottom = el('button', {
      class: 'jump jump-bottom',
      attrs: { type: 'button', 'data-testid': 'jump-bottom' },
    });
    this.jumpBottom.addEventListener('click', () => this.scrollToBottom());
    this.list.addEventListener('scroll', () => {
      if (this.list.scrollTop < 40) void this.loadOlder();
      this.updateJumps();
    });
    this.observer = new IntersectionObserver((entries) => this.seen(entries), { root: this.list, threshold: 0.5 });
    const visibility = () => this.markRead();
    document.addEventListener('visibilitychange', visibility);
    this.stops.push(() => document.removeEventListener('visibilitychange', visibility));
    this.element = el(
      'section',
      { class: 'conversation' },
      header,
      this.pinnedBar,
      el(
        'div',
        { class: 'messages-frame' },
        this.list,
        el('div', { class: 'jumps' }, this.jumpUnread, this.jumpBottom),
      ),
      this.typingLine,
      this.errorLine,
      this.statusLine,
      this.composer.element,
    );
    this.title.id = `conversation-title-${chat.id}`;
    this.element.setAttribute('aria-labelledby', this.title.id);
    this.updateChat(chat);
  }

  get chatId(): string {
    return this.chat.id;
  }

  /**
   * Shows the chat: the cache's messages (live from now on), older pages down to the first unread
   * one, the pins and recent notices; then the first unread message (under its divider) or the
   * bottom, and the focus in the composer.
   */
  async open(): Promise<void> {
    this.stops.push(this.cache.subscribe((view) => this.viewChanged(view)));
    this.stops.push(this.context.client.onChatEvent((event) => this.chatChange(event)));
    this.composer.focus();
    if (this.unreadAtOpen > 0)
      for (let page = 0; page < PAGES_TO_FIRST_UNREAD && this.oldestSeq() > this.readAtOpen + 1; page++)
        if (!(await this.loadOlder(false))) break;
    // A short first page may not fill the list: there is nothing to scroll, so load on.
    while (this.view.hasOlder && this.list.scrollHeight <= this.list.clientHeight) if (!(await this.loadOlder())) break;
    this.opened = true;
    if (this.divider.isConnected) this.divider.scrollIntoView({ block: 'start' });
    else this.scrollToBottom();
    this.updateJumps();
    await Promise.all([this.loadPins(), this.loadRecentEvents()]);
  }

  /** The chat as the chat list has it now: name, members, roles. */
  updateChat(chat: ChatSummary): void {
    this.chat = chat;
    this.title.textContent = chatTitle(chat, this.context.me);
    this.membersLine.textContent = isGroupChat(chat) ? chat.users.map((u) => u.username).join(', ') : '';
    this.render();
  }

  /** The notices the page holds for this chat changed (a live chat_event). */
  noticesChanged(): void {
    this.followingBottom(() => this.render());
  }

  /** Back online: the pins may have changed meanwhile; what is in view may be read now. */
  connectionChanged(online: boolean): void {
    if (!online) return;
    void this.loadPins();
    this.markRead();
  }

  userTyping(userId: string, typing: boolean): void {
    if (typing) this.typingUsers.add(userId);
    else this.typingUsers.delete(userId);
    const names = [...this.typingUsers].map(
      (id) => this.chat.users.find((u) => u.id === id)?.username ?? t('conversation.someone'),
    );
    this.typingLine.textContent =
      names.length === 0 ? '' : t('conversation.typing', { names: names.join(', '), count: names.length });
  }

  /** Called when the page leaves this chat. */
  close(): void {
    this.composer.close();
    this.observer.disconnect();
    for (const stop of this.stops.splice(0)) stop();
  }

  focus(): void {
    this.composer.focus();
  }

  private viewChanged(view: MessagesView): void {
    const before = this.view.items.at(-1);
    this.view = view;
    const last = view.items.at(-1);
    const mineNew = last?.pending && last.key !== before?.key;
    this.followingBottom(() => this.render(), Boolean(mineNew));
    // A new message of someone else in the open chat is read out.
    const message = last?.message;
    if (this.opened && message && last.key !== before?.key && message.sender !== this.context.me.id)
      this.context.announce(t('conversation.announce', { name: message.user.username, text: message.text }));
  }

  /** A change of this chat: the pinned bar follows pins and the pinned messages' edits. */
  private chatChange(event: VersionedEvent): void {
    if (event.chatId !== this.chatId) return;
    if (event.name === 'chat_pins') void this.loadPins();
    if (event.message) {
      this.repin(event.message);
      this.composer.messageChanged(event.message);
    }
  }

  /** Older history when the list is scrolled to the top; the visible messages stay where they are. */
  private async loadOlder(keepPosition = true): Promise<boolean> {
    if (!this.view.hasOlder || this.loadingOlder) return false;
    this.loadingOlder = true;
    try {
      const fromBottom = this.list.scrollHeight - this.list.scrollTop;
      await this.cache.loadOlder();
      if (keepPosition) this.list.scrollTop = this.list.scrollHeight - fromBottom;
      return true;
    } catch (error) {
      this.showError(failureText(error));
      return false;
    } finally {
      this.loadingOlder = false;
    }
  }

  private oldestSeq(): number {
    return this.view.items.find((item) => item.message)?.message?.seq ?? 0;
  }

  /** The IntersectionObserver's news: which messages are in view now. */
  private seen(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      const target = entry.target as HTMLElement;
      const seq = Number(target.dataset.seq);
      if (entry.isIntersecting) this.inView.set(seq, target.dataset.id ?? '');
      else this.inView.delete(seq);
    }
    this.markRead();
    this.updateJumps();
  }

  /** Moves the read position to the newest message in view, while the tab is visible. */
  private markRead(): void {
    if (document.visibilityState !== 'visible' || !this.opened) return;
    const newest = Math.max(0, ...this.inView.keys());
    const id = this.inView.get(newest);
    if (newest <= this.readSent || !id) return;
    this.readSent = newest;
    this.context.client.markRead(this.chatId, id).catch(() => {
      // Not read on the server: the next message in view, or the next visit, tries again.
      this.readSent = Math.min(this.readSent, newest - 1);
    });
  }

  /** "New messages ↑" while the divider is above the view; "↓ N" while scrolled up from the bottom. */
  private updateJumps(): void {
    this.jumpUnread.hidden = !this.divider.isConnected || this.divider.offsetTop >= this.list.scrollTop;
    const atBottom = this.isAtBottom();
    const below = this.view.items.filter(
      (item) => item.message && item.message.sender !== this.context.me.id && item.message.seq > this.readSent,
    ).length;
    this.jumpBottom.hidden = atBottom;
    this.jumpBottom.textContent = below > 0 ? `↓ ${below}` : '↓';
    this.jumpBottom.setAttribute(
      'aria-label',
      below > 0 ? t('conversation.jumpBottomNew', { count: below }) : t('conversation.jumpBottom'),
    );
  }

  /** Runs `change`; a list that was at the bottom (or `always`) is at the bottom after it. */
  private followingBottom(change: () => void, always = false): void {
    const atBottom = this.isAtBottom();
    change();
    if (this.opened && (atBottom || always)) this.scrollToBottom();
    this.updateJumps();
  }

  private async deleteMessage(message: Message): Promise<void> {
    if (!confirm(t('conversation.confirmDelete'))) return;
    this.showError('');
    try {
      const answer = await this.context.client.request('delete_message', { messageId: message.id });
      this.cache.upsert([answer.message]);
    } catch (error) {
      this.showError(t('conversation.notDeleted', { reason: failureText(error) }));
    }
  }

  private async react(message: Message, emoji: string, add: boolean): Promise<void> {
    this.showError('');
    try {
      const answer = await this.context.client.request(add ? 'add_reaction' : 'remove_reaction', {
        messageId: message.id,
        emoji,
      });
      // The answer carries `me` (the events do not): the cache keeps it.
      this.cache.upsert([answer.message]);
    } catch (error) {
      this.showError(t('conversation.reactionFailed', { reason: failureText(error) }));
    }
  }

  private async pin(message: Message, pinned: boolean): Promise<void> {
    this.showError('');
    try {
      const answer = await this.context.client.request(pinned ? 'pin_message' : 'unpin_message', {
        messageId: message.id,
      });
      this.cache.upsert([answer.message]);
      await this.loadPins();
    } catch (error) {
      this.showError(t(pinned ? 'conversation.notPinned' : 'conversation.notUnpinned', { reason: failureText(error) }));
    }
  }

  private async report(message: Message): Promise<void> {
    this.showError('');
    this.statusLine.textContent = '';
    try {
      if (await reportMessage(this.context.client.socket, message))
        this.statusLine.textContent = t('conversation.reported', { name: message.user.username });
    } catch (error) {
      this.showError(t('conversation.notReported', { reason: failureText(error) }));
    }
  }

  /**
   * The chat events among the latest changes before the version this view started from (later
   * ones arrive live), read with `sync`; only the events are taken, the cache holds the messages.
   */
  private async loadRecentEvents(): Promise<void> {
    const from = Math.max(0, this.chat.version - RECENT_CHANGES);
    try {
      const { chats } = await this.context.client.request('sync', {
        chats: [{ chatId: this.chatId, version: from }],
        limit: RECENT_CHANGES,
      });
      const entry = chats[0];
      if (!entry?.success) return;
      let added = false;
      for (const event of entry.events) added = this.context.notices.add(event) || added;
      if (added) this.noticesChanged();
    } catch {
      // Only notices are missing; live ones still come.
    }
  }

  /** The chat's pinned messages, read again (a change may concern a message this page does not hold). */
  private async loadPins(): Promise<void> {
    try {
      const { messages } = await this.context.client.request('get_pinned_messages', { chatId: this.chatId });
      this.pins = messages;
      this.renderPins();
    } catch {
      // The bar keeps what it showed; the next change or reconnect reads it again.
    }
  }

  /** The pinned bar follows a pinned message's edit, and drops it when unpinned or deleted (a deletion unpins). */
  private repin(changed: Message): void {
    if (!this.pins.some((pin) => pin.id === changed.id)) return;
    this.pins = this.pins.flatMap((pin) => {
      if (pin.id !== changed.id) return [pin];
      return changed.pinnedAt && !changed.deletedAt ? [changed] : [];
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
          'aria-label': t('pins.item', { name: message.user.username }),
        },
      });
      button.addEventListener('click', () =>
        this.rendered.get(message.id)?.element.scrollIntoView({ block: 'center' }),
      );
      return el('li', {}, button);
    });
    this.pinnedBar.replaceChildren(
      el('span', { class: 'pinned-label', text: t('pins.title') }),
      el('ul', {}, ...items),
    );
    this.pinnedBar.hidden = items.length === 0;
  }

  private showError(text: string): void {
    this.errorLine.textContent = text;
    if (text) this.statusLine.textContent = '';
  }

  /** The usernames of the members `message` mentions, as the chat's member list has them now. */
  private mentionedNames(message: Message): MentionedNames | undefined {
    if (!message.mentions) return undefined;
    const ids = new Set(message.mentions);
    const names = new Set(this.chat.users.filter((u) => ids.has(u.id)).map((u) => u.username.toLowerCase()));
    return { names, me: this.context.me.username.toLowerCase() };
  }

  /**
   * The message actions the caller's role allows (README "Group roles": in a group only admins and
   * the owner pin and delete others' messages); when they change, every message is drawn again.
   */
  private marksFor(): MarkActions {
    const moderator = mayManageGroup(this.chat, this.context.me.id);
    const mayPin = !isGroupChat(this.chat) || moderator;
    const key = `${mayPin}:${moderator}`;
    if (this.markActions && key === this.marksKey) return this.markActions;
    this.marksKey = key;
    this.markActions = {
      react: (message, emoji, add) => void this.react(message, emoji, add),
      report: (message) => void this.report(message),
      ...(mayPin ? { pin: (message: Message, pinned: boolean) => void this.pin(message, pinned) } : {}),
      ...(moderator ? { deleteOthers: (message: Message) => void this.deleteMessage(message) } : {}),
    };
    return this.markActions;
  }

  /**
   * A reply shows its target as the cache knows it now (the server sends no event for the quotes
   * when the target is edited or deleted).
   */
  private withCurrentQuote(message: Message): Message {
    const target = message.replyTo && this.cache.find(message.replyTo.id);
    if (!target || (!target.editedAt && !target.deletedAt)) return message;
    return { ...message, replyTo: quoteOf(target) };
  }

  private drawMessage(item: MessageItem & { message: Message }, continued: boolean): HTMLElement {
    const message = this.withCurrentQuote(item.message);
    const mine = message.sender === this.context.me.id;
    const drawn = `${message.version}:${this.marksKey}:${continued}:${JSON.stringify(message.replyTo ?? null)}`;
    const held = this.rendered.get(item.key);
    let element = held?.element;
    if (!element || held?.drawn !== drawn) {
      if (element) this.observer.unobserve(element);
      element = renderMessage(
        message,
        this.startReply,
        mine ? this.ownActions : undefined,
        this.markActions,
        this.mentionedNames(message),
        { continued },
      );
      if (message.attachments && !message.deletedAt)
        element.querySelector('.meta')?.before(renderAttachments(message.attachments, this.context.token));
      element.dataset.seq = String(message.seq);
      this.observer.observe(element);
      this.rendered.set(item.key, { drawn, element });
    }
    if (mine) showDelivery(element, item.state);
    return element;
  }

  private drawPending(item: MessageItem): HTMLElement {
    const drawn = `${item.state}:${item.error?.code ?? ''}`;
    const held = this.rendered.get(item.key);
    if (held?.drawn === drawn) return held.element;
    const element = renderPendingMessage(item, {
      retry: (key) => void this.context.client.retry(key).catch(() => {}),
      discard: (key) => void this.context.client.discard(key),
    });
    this.rendered.set(item.key, { drawn, element });
    return element;
  }

  /**
   * The list: a day separator where the day changes, the "New messages" divider before the first
   * unread message of someone else (as it was when the chat was opened), the notices among the
   * messages by time, and the outbox's messages last; a message continuing its sender's group
   * (timeline.ts) without its name and avatar.
   */
  private render(): void {
    this.marksFor();
    const notices = this.noticesInView();
    const rows: HTMLElement[] = [];
    let lastDay: Date | undefined;
    let divided = false;
    /** The message in the row just above, while it can head a group of the same sender's. */
    let above: Message | undefined;
    let next = 0;
    const keys = new Set<string>();
    const placeDay = (iso: string) => {
      const day = new Date(iso);
      if (!lastDay || !sameDay(lastDay, day)) {
        rows.push(daySeparator(day));
        above = undefined;
      }
      lastDay = day;
    };
    for (const item of this.view.items) {
      keys.add(item.key);
      const message = item.message;
      const at = message?.createdAt ?? item.pending?.createdAt ?? '';
      while (next < notices.length && Date.parse(notices[next]!.createdAt) < Date.parse(at)) {
        placeDay(notices[next]!.createdAt);
        rows.push(this.context.notices.render(notices[next++]!));
        above = undefined;
      }
      placeDay(at);
      if (
        message &&
        !divided &&
        this.unreadAtOpen > 0 &&
        message.seq > this.readAtOpen &&
        message.sender !== this.context.me.id
      ) {
        rows.push(this.divider);
        divided = true;
        above = undefined;
      }
      if (message) {
        rows.push(this.drawMessage({ ...item, message }, !message.deletedAt && continuesGroup(above, message)));
        above = message.deletedAt ? undefined : message;
      } else {
        rows.push(this.drawPending(item));
        above = undefined;
      }
    }
    for (; next < notices.length; next++) {
      placeDay(notices[next]!.createdAt);
      rows.push(this.context.notices.render(notices[next]!));
    }
    for (const [key, { element }] of this.rendered)
      if (!keys.has(key)) {
        this.observer.unobserve(element);
        this.rendered.delete(key);
      }
    this.list.replaceChildren(...rows);
  }

  /**
   * The chat's notices the page holds. While older history is not loaded, notices older than the
   * oldest message shown wait for it (they would otherwise sit above history they came after).
   */
  private noticesInView() {
    const first = this.view.items[0]?.message;
    return this.context.notices
      .of(this.chatId)
      .filter((event) => !this.view.hasOlder || !first || Date.parse(event.createdAt) >= Date.parse(first.createdAt));
  }

  private isAtBottom(): boolean {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < BOTTOM_SLACK_PX;
  }

  private scrollToBottom(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }
}
