import { connect, type ConnectionStatus, type ParleyClient, type VersionedEvent } from '../../sdk/index.js';
import type { ChatEvent, ChatSummary } from '../../src/protocol/index.js';
import { blockButton } from './block-button.js';
import { chatPath, chatIdOfPath, LIST_PATH } from './chat-route.js';
import { ChatNotices } from './chat-notices.js';
import { chatTitle, isGroupChat } from './chat-summary.js';
import { Conversation } from './conversation.js';
import { el } from './dom.js';
import { languageSwitch } from './language-switch.js';
import { groupControls } from './group-controls.js';
import { t } from './i18n/index.js';
import { messageSearchPanel } from './message-search.js';
import { muteButton } from './mute-button.js';
import { newChatPanel } from './new-chat.js';
import { NewMessageAlerts } from './new-message-alerts.js';
import { pushToggle } from './push-toggle.js';
import { loadSession, type Session } from './session.js';

/**
 * The signed-in page: the chat list (last message, unread count) beside the open conversation, on
 * one SDK client (sdk/: its connection, caches, outbox and catch-up after every reconnection). The
 * open chat is in the URL (/chats/:id): back and forward move between chats, a reload reopens it.
 * On a narrow screen the list and the conversation are two screens (`data-screen` on `.app`).
 */
export class ChatApp {
  readonly element: HTMLElement;
  private readonly client: ParleyClient;
  /** The SDK's chat list as last published: most recent activity first. */
  private chats: ChatSummary[] = [];
  private conversation: Conversation | undefined;
  /** Shows the open chat's header controls as the list holds the chat now (a group's panel). */
  private refreshTools: (() => void) | undefined;
  /** The chat events this page received, shown as notices when their chat is open. */
  private readonly notices = new ChatNotices();
  private signedOut = false;
  /** Users with a connected socket (presence), from the chat list and user_online / user_offline. */
  private readonly online = new Set<string>();
  /** The chat the URL names, opened once the chat list is read (a reload, a pasted link). */
  private wanted: string | undefined;
  /** The chat list's item that takes the focus by Tab (roving tabindex). */
  private focusedChatId: string | undefined;
  private readonly alerts: NewMessageAlerts;
  private readonly chatList = el('ul', {
    class: 'chat-list',
    attrs: { 'data-testid': 'chat-list', role: 'listbox', 'aria-label': t('chats.label') },
  });
  private readonly status = el('span', {
    class: 'status-line',
    attrs: { 'data-testid': 'connection', role: 'status' },
    text: t('status.connecting'),
  });
  /** Read out politely: new messages in the open chat, the connection's state. */
  private readonly politeRegion = el('div', { class: 'visually-hidden', attrs: { 'aria-live': 'polite' } });
  /** A chat the URL named that the user is not in. */
  private readonly listNotice = el('p', { class: 'hint list-notice', attrs: { 'data-testid': 'list-notice' } });
  private readonly pane = el('div', { class: 'pane' });

  constructor(
    private readonly session: Session,
    private readonly onSignOut: () => void,
  ) {
    this.client = connect({
      url: location.origin,
      token: session.token,
      user: session.user,
      // The page holds only an access token: a newer one is one another tab signed in with.
      refreshToken: () => loadSession()?.token ?? session.token,
    });
    this.alerts = new NewMessageAlerts(session.user, (chatId) => void this.open(chatId));
    const signOut = el('button', { text: t('app.signOut'), attrs: { type: 'button', 'data-testid': 'sign-out' } });
    signOut.addEventListener('click', () => this.signOut());
    this.listNotice.hidden = true;
    const sidebar = el(
      'aside',
      { class: 'sidebar' },
      el(
        'header',
        {},
        el('strong', { text: session.user.username, attrs: { 'data-testid': 'me' } }),
        this.status,
        ...[pushToggle(session.token)].filter((toggle) => toggle !== undefined),
        signOut,
      ),
      // A row of its own: the header is full at the sidebar's width.
      el('div', { class: 'sidebar-tools' }, this.alerts.button, languageSwitch()),
      newChatPanel(session.token, (chat) => this.chatCreated(chat)),
      // Hits are titled as the chat list titles their chats (a direct chat by the other member).
      messageSearchPanel(
        this.client.socket,
        (hit) => {
          const chat = this.chats.find((c) => c.id === hit.chat.id);
          return chat ? chatTitle(chat, session.user) : (hit.chat.name ?? t('chats.direct'));
        },
        (chatId) => void this.open(chatId),
      ),
      this.listNotice,
      this.chatList,
    );
    this.element = el('div', { class: 'app', attrs: { 'data-screen': 'list' } }, sidebar, this.pane, this.politeRegion);
    this.showHint();
    this.wanted = chatIdOfPath(location.pathname);
    this.listen();
  }

  private listen(): void {
    const client = this.client;
    client.status.subscribe((status) => this.statusChanged(status));
    client.chats.subscribe((chats) => this.listChanged(chats));
    client.onChatEvent((event) => this.chatChange(event));
    const socket = client.socket;
    socket.on('user_typing', ({ chatId, userId, typing }) => {
      if (this.conversation?.chatId === chatId) this.conversation.userTyping(userId, typing);
    });
    socket.on('user_online', ({ userId }) => this.presence(userId, true));
    socket.on('user_offline', ({ userId }) => this.presence(userId, false));
    this.chatList.addEventListener('keydown', (event) => this.listKey(event));
    window.addEventListener('popstate', this.routeChanged);
  }

  private statusChanged(status: ConnectionStatus): void {
    if (status === 'unauthorized') return this.signOut();
    const text = t(`status.${status === 'closed' ? 'connecting' : status}`);
    this.status.textContent = text;
    // "online" (caught up, every chat live) is what the user and the browser tests wait for.
    this.status.dataset.state = status === 'online' ? 'online' : 'offline';
    if (status === 'online') {
      // The list was just read afresh with its members' presence.
      this.online.clear();
      for (const user of this.chats.flatMap((c) => c.users)) if (user.online) this.online.add(user.id);
      this.renderList();
      this.openWanted();
    }
    this.conversation?.connectionChanged(status === 'online');
  }

  private listChanged(chats: ChatSummary[]): void {
    const known = new Set(this.chats.map((c) => c.id));
    this.chats = chats;
    for (const chat of chats) this.notices.learn(chat.users);
    const open = this.conversation && chats.find((c) => c.id === this.conversation?.chatId);
    if (this.conversation && !open && this.client.status.get() === 'online') {
      // Left, removed, or gone: the conversation closes with it.
      this.notices.forget(this.conversation.chatId);
      this.closeConversation(true);
    } else if (this.conversation && open) {
      this.conversation.updateChat(open);
      this.refreshTools?.();
    }
    // A chat that appeared live (created, or the user was added) carries no presence: the list does.
    if (this.client.status.get() === 'online' && chats.some((c) => !known.has(c.id))) void this.refreshPresence();
    this.renderList();
    this.openWanted();
  }

  /** A change of any chat, in its version order: notices, alerts for new messages. */
  private chatChange(event: VersionedEvent): void {
    if (event.name === 'chat_event') {
      const chatEvent = event.payload as ChatEvent;
      if (this.notices.add(chatEvent) && this.conversation?.chatId === event.chatId) this.conversation.noticesChanged();
    }
    if (event.name === 'new_message' && event.message) {
      const chat = this.chats.find((c) => c.id === event.chatId);
      const inView = this.conversation?.chatId === event.chatId && document.visibilityState === 'visible';
      if (chat && !inView) this.alerts.newMessage(chat, event.message);
    }
  }

  private async refreshPresence(): Promise<void> {
    try {
      const { chats } = await this.client.request('get_my_chats');
      for (const user of chats.flatMap((c) => c.users)) if (user.online) this.online.add(user.id);
      this.renderList();
    } catch {
      // Presence shows again with the next user_online or reconnection.
    }
  }

  /** Opens the chat the URL names once the list is read; a chat the user is not in is said so. */
  private openWanted(): void {
    const wanted = this.wanted;
    if (!wanted) return;
    if (this.chats.some((c) => c.id === wanted)) {
      this.wanted = undefined;
      void this.open(wanted, false);
    } else if (this.client.status.get() === 'online') {
      this.wanted = undefined;
      history.replaceState(null, '', LIST_PATH);
      this.listNotice.textContent = t('chats.notFound');
      this.listNotice.hidden = false;
    }
  }

  /** A chat the user created here: the SDK learns of it by chat_created too; it opens at once. */
  private chatCreated(chat: ChatSummary): void {
    if (!this.client.chats.find(chat.id)) this.client.chats.add(chat);
    void this.open(chat.id);
  }

  /** The caller's own change answered with the group as it is after it (rename, role, added members). */
  private chatAnswered(answer: ChatSummary): void {
    const held = this.client.chats.find(answer.id);
    if (!held) return;
    this.client.chats.add({
      ...held,
      name: answer.name,
      users: answer.users,
      ...(answer.membersCanAdd !== undefined ? { membersCanAdd: answer.membersCanAdd } : {}),
    });
  }

  private readonly routeChanged = (): void => {
    const chatId = chatIdOfPath(location.pathname);
    if (chatId) {
      this.wanted = chatId;
      this.openWanted();
    } else this.closeConversation(false);
  };

  private async open(chatId: string, push = true): Promise<void> {
    const chat = this.chats.find((c) => c.id === chatId);
    if (!chat) return;
    this.listNotice.hidden = true;
    if (push && location.pathname !== chatPath(chatId)) history.pushState(null, '', chatPath(chatId));
    if (this.conversation?.chatId === chatId) {
      this.element.dataset.screen = 'chat';
      return this.conversation.focus();
    }
    this.closeConversation(false);
    // The list's entry is replaced by every change; the controls always ask for the current one.
    const current = () => this.client.chats.find(chatId) ?? chat;
    const tools = el('div', { class: 'chat-tools' }, muteButton(this.client.socket, current));
    const me = this.session.user;
    if (isGroupChat(chat)) {
      const controls = groupControls(this.session.token, me.id, current, {
        changed: (answer) => this.chatAnswered(answer),
        left: (id) => this.client.chats.remove(id),
      });
      tools.append(controls.element);
      this.refreshTools = controls.refresh;
    } else {
      const other = chat.users.find((u) => u.id !== me.id);
      if (other) tools.append(blockButton(this.session.token, other));
    }
    const conversation = new Conversation(chat, {
      client: this.client,
      me,
      token: this.session.token,
      notices: this.notices,
      tools,
      back: () => this.closeConversation(true),
      announce: (text) => this.announce(text),
    });
    this.conversation = conversation;
    this.focusedChatId = chatId;
    this.pane.replaceChildren(conversation.element);
    this.element.dataset.screen = 'chat';
    this.renderList();
    await conversation.open();
  }

  /** Back to the list alone (the conversation's Back button, a chat gone, the browser's back). */
  private closeConversation(push: boolean): void {
    const closed = this.conversation?.chatId;
    this.conversation?.close();
    this.conversation = undefined;
    this.refreshTools = undefined;
    this.element.dataset.screen = 'list';
    this.showHint();
    if (!closed) return;
    if (push && location.pathname !== LIST_PATH) history.pushState(null, '', LIST_PATH);
    this.renderList();
    this.chatList.querySelector<HTMLElement>(`[data-chat-id="${CSS.escape(closed)}"]`)?.focus();
  }

  private showHint(): void {
    this.pane.replaceChildren(el('p', { class: 'hint', text: t('chats.pick') }));
  }

  private renderList(): void {
    const openId = this.conversation?.chatId;
    if (!this.chats.some((c) => c.id === this.focusedChatId)) this.focusedChatId = openId ?? this.chats[0]?.id;
    const hadFocus = this.chatList.contains(document.activeElement);
    const items = this.chats.map((chat) => {
      const last = chat.messages[0];
      const preview = !last
        ? t('chats.empty')
        : last.deletedAt
          ? t('chats.deleted')
          : `${last.user.username}: ${last.text}`;
      const title = chatTitle(chat, this.session.user);
      const othersOnline = chat.users.some((u) => u.id !== this.session.user.id && this.online.has(u.id));
      const item = el(
        'li',
        {
          class: `chat${chat.id === openId ? ' active' : ''}`,
          attrs: {
            'data-chat-id': chat.id,
            'data-testid': 'chat-item',
            role: 'option',
            'aria-selected': String(chat.id === openId),
            tabindex: chat.id === this.focusedChatId ? '0' : '-1',
          },
        },
        el(
          'span',
          { class: 'chat-title' },
          // A green dot when another member is online.
          el('span', {
            class: othersOnline ? 'dot online' : 'dot',
            attrs: othersOnline ? { role: 'img', 'aria-label': t('chats.online') } : { 'aria-hidden': 'true' },
          }),
          el('span', { text: title }),
        ),
        el('span', { class: 'preview', text: preview }),
      );
      const badges = el('span', { class: 'badges' });
      // "@3": unread messages that mention you, beside the unread count.
      if (chat.unreadMentionCount > 0)
        badges.append(
          el('span', {
            class: 'mention-count',
            attrs: {
              'data-testid': 'mention-count',
              title: t('chats.unreadMentions', { count: chat.unreadMentionCount }),
            },
            text: `@${chat.unreadMentionCount}`,
          }),
        );
      if (chat.unreadCount > 0)
        badges.append(
          el('span', {
            class: 'unread',
            attrs: { 'data-testid': 'unread', title: t('chats.unread', { count: chat.unreadCount }) },
            text: String(chat.unreadCount),
          }),
        );
      if (badges.childElementCount > 0) item.append(badges);
      item.addEventListener('click', () => void this.open(chat.id));
      item.addEventListener('focus', () => (this.focusedChatId = chat.id));
      return item;
    });
    this.chatList.replaceChildren(...items);
    if (hadFocus) this.listItem(this.focusedChatId)?.focus();
    const unread = this.chats.reduce((sum, chat) => sum + (chat.muted ? 0 : chat.unreadCount), 0);
    document.title = unread > 0 ? `(${unread}) ${t('app.name')}` : t('app.name');
  }

  /** The list as a listbox: Up/Down/Home/End move the focus, Enter or Space opens the chat. */
  private listKey(event: KeyboardEvent): void {
    const index = this.chats.findIndex((c) => c.id === this.focusedChatId);
    const last = this.chats.length - 1;
    const to: Record<string, number> = {
      ArrowDown: Math.min(last, index + 1),
      ArrowUp: Math.max(0, index - 1),
      Home: 0,
      End: last,
    };
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      if (this.focusedChatId) void this.open(this.focusedChatId);
      return;
    }
    const next = to[event.key];
    if (next === undefined || last < 0) return;
    event.preventDefault();
    this.focusedChatId = this.chats[next]?.id;
    this.renderList();
    this.listItem(this.focusedChatId)?.focus();
  }

  private listItem(chatId: string | undefined): HTMLElement | null {
    return chatId ? this.chatList.querySelector<HTMLElement>(`[data-chat-id="${CSS.escape(chatId)}"]`) : null;
  }

  private presence(userId: string, online: boolean): void {
    if (online) this.online.add(userId);
    else this.online.delete(userId);
    this.renderList();
  }

  private announce(text: string): void {
    this.politeRegion.textContent = text;
  }

  private signOut(): void {
    if (this.signedOut) return;
    this.signedOut = true;
    this.closeConversation(false);
    window.removeEventListener('popstate', this.routeChanged);
    this.client.close();
    history.replaceState(null, '', LIST_PATH);
    this.onSignOut();
  }
}
