import { muteButton } from './mute-button.js';
import { pushToggle } from './push-toggle.js';
import type { ChatEvent, ChatMember, ChatSummary, Message } from '../../src/protocol/index.js';
import { blockButton } from './block-button.js';
import { ChatNotices } from './chat-notices.js';
import { applyChatEvent, chatTitle, isGroupChat } from './chat-summary.js';
import { connectSocket, request, type ParleySocket } from './connection.js';
import { Conversation } from './conversation.js';
import { el } from './dom.js';
import { groupControls } from './group-controls.js';
import { messageSearchPanel } from './message-search.js';
import { newChatPanel } from './new-chat.js';
import type { Session } from './session.js';

/** join_chat requests the page keeps waiting at once (the server queues at most 32 per user). */
const JOINS_AT_ONCE = 8;
/** A refused join_chat is tried this many times in all, this far apart. */
const JOIN_ATTEMPTS = 5;
const JOIN_RETRY_MS = 1_000;

/**
 * The signed-in page: the chat list (last message, unread count) beside the open conversation.
 * The page joins every chat it lists, so that `new_message` keeps the whole list live.
 */
export class ChatApp {
  readonly element: HTMLElement;
  private readonly socket: ParleySocket;
  /** Most recent activity first, as `get_my_chats` orders them. */
  private chats: ChatSummary[] = [];
  private conversation: Conversation | undefined;
  /** Shows the open chat's header controls as the list holds the chat now (a group's panel). */
  private refreshTools: (() => void) | undefined;
  /** The chat events this page received, shown as notices when their chat is open. */
  private readonly notices = new ChatNotices();
  private signedOut = false;
  /** Users with a connected socket (presence), from the chat list and user_online / user_offline. */
  private readonly online = new Set<string>();
  private readonly chatList = el('ul', { class: 'chat-list', attrs: { 'data-testid': 'chat-list' } });
  private readonly status = el('span', {
    class: 'status-line',
    attrs: { 'data-testid': 'connection' },
    text: 'connecting…',
  });
  private readonly pane = el(
    'div',
    { class: 'pane' },
    el('p', { class: 'hint', text: 'Pick a chat or start a new one.' }),
  );

  constructor(
    private readonly session: Session,
    private readonly onSignOut: () => void,
  ) {
    this.socket = connectSocket(session.token);
    const signOut = el('button', { text: 'Sign out', attrs: { type: 'button', 'data-testid': 'sign-out' } });
    signOut.addEventListener('click', () => this.signOut());
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
      newChatPanel(session.token, (chat) => void this.chatCreated(chat, true)),
      // Hits are titled as the chat list titles their chats (a direct chat by the other member).
      messageSearchPanel(
        this.socket,
        (hit) => {
          const chat = this.chats.find((c) => c.id === hit.chat.id);
          return chat ? chatTitle(chat, session.user) : (hit.chat.name ?? 'Direct chat');
        },
        (chatId) => void this.open(chatId),
      ),
      this.chatList,
    );
    this.element = el('div', { class: 'app' }, sidebar, this.pane);
    this.listen();
  }

  private listen(): void {
    const socket = this.socket;
    // `connect` fires on the first connection and again after every reconnection.
    socket.on('connect', () => void this.connected().catch((e: Error) => this.setStatus(`error: ${e.message}`)));
    socket.on('disconnect', (reason) => {
      this.setStatus('reconnecting…');
      this.conversation?.connectionLost();
      // Socket.IO retries by itself after a lost connection, but not after the server closed the
      // socket on purpose (e.g. at token expiry): try once more; a refused token then signs out.
      if (reason === 'io server disconnect') setTimeout(() => this.signedOut || this.socket.connect(), 1_000);
    });
    socket.on('connect_error', (error) => {
      const code = (error as Error & { data?: { code?: string } }).data?.code;
      if (code === 'UNAUTHORIZED') this.signOut();
      else this.setStatus('reconnecting…');
    });
    socket.on('new_message', (message) => this.newMessage(message));
    // A mention in a chat this socket has not joined (yet): the same message, counted once.
    socket.on('mentioned', ({ message }) => this.newMessage(message));
    socket.on('message_updated', (message) => this.changedMessage(message));
    socket.on('message_deleted', (message) => this.changedMessage(message));
    socket.on('message_reactions', (change) => {
      if (this.conversation?.chatId === change.chatId) this.conversation.reactionsChanged(change);
    });
    socket.on('chat_pins', (change) => {
      if (this.conversation?.chatId === change.chatId) this.conversation.pinsChanged(change);
    });
    socket.on('messages_read', ({ chatId, userId, seq }) => {
      if (this.conversation?.chatId === chatId) this.conversation.messagesRead(userId, seq);
    });
    socket.on('user_typing', ({ chatId, userId, typing }) => {
      if (this.conversation?.chatId === chatId) this.conversation.userTyping(userId, typing);
    });
    socket.on('chat_created', ({ chat }) => void this.chatCreated(chat, false));
    socket.on('user_online', ({ userId }) => this.presence(userId, true));
    socket.on('user_offline', ({ userId }) => this.presence(userId, false));
    socket.on('chat_members_changed', ({ chatId, users }) => this.membersChanged(chatId, users));
    socket.on('chat_event', (event) => this.chatEvent(event));
    // Left in this tab or another one: every tab of the leaver gets it.
    socket.on('chat_left', ({ chatId }) => this.removeChat(chatId));
  }

  /**
   * (Re)connected — the reconnect recipe of contract §5: refresh the list, (re)join every chat (a
   * new connection is in no chat), then `sync` the open chat from the version it holds.
   */
  private async connected(): Promise<void> {
    this.setStatus('loading chats…');
    const { chats } = await request(this.socket, 'get_my_chats');
    this.chats = chats;
    this.notices.learn(chats.flatMap((chat) => chat.users));
    this.online.clear();
    this.notePresence(chats);
    this.renderList();
    await this.joinAll(chats.map((chat) => chat.id));
    if (this.conversation) {
      const open = chats.find((c) => c.id === this.conversation?.chatId);
      if (open) {
        this.conversation.updateChat(open);
        this.refreshTools?.();
        await this.conversation.catchUp();
      } else this.closeConversation();
    }
    // Only now is every chat live: "online" is what the user (and the browser tests) wait for.
    this.setStatus('online');
  }

  private async join(chatId: string): Promise<void> {
    await request(this.socket, 'join_chat', { chatId });
  }

  /**
   * Joins many chats a few at a time: the server refuses a user's requests beyond 32 waiting
   * ones, and past its rate limit, so a join that is refused is tried again a moment later.
   */
  private async joinAll(chatIds: string[]): Promise<void> {
    const waiting = [...chatIds];
    const joinNext = async (): Promise<void> => {
      for (let chatId = waiting.shift(); chatId !== undefined; chatId = waiting.shift()) {
        for (let attempt = 1; ; attempt++) {
          try {
            await this.join(chatId);
            break;
          } catch (error) {
            if (attempt === JOIN_ATTEMPTS || !this.socket.connected) throw error;
            await new Promise((resolve) => setTimeout(resolve, JOIN_RETRY_MS));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: JOINS_AT_ONCE }, joinNext));
  }

  private newMessage(message: Message): void {
    const chat = this.chats.find((c) => c.id === message.chatId);
    if (!chat) return;
    const isNew = chat.messages[0]?.id !== message.id;
    chat.messages = [message];
    const open = this.conversation?.chatId === message.chatId;
    if (isNew && !open && message.sender !== this.session.user.id) {
      chat.unreadCount += 1;
      if (message.mentions?.includes(this.session.user.id)) chat.unreadMentionCount += 1;
    }
    // Most recent activity first.
    this.chats = [chat, ...this.chats.filter((c) => c !== chat)];
    this.renderList();
    if (open) this.conversation?.receive(message);
  }

  private changedMessage(message: Message): void {
    const chat = this.chats.find((c) => c.id === message.chatId);
    if (chat && chat.messages[0]?.id === message.id) {
      chat.messages = [message];
      this.renderList();
    }
    if (this.conversation?.chatId === message.chatId) this.conversation.replace(message);
  }

  private async chatCreated(chat: ChatSummary, open: boolean): Promise<void> {
    if (!this.chats.some((c) => c.id === chat.id)) {
      this.notices.learn(chat.users);
      this.chats = [chat, ...this.chats];
      this.renderList();
      if (this.socket.connected) {
        await this.join(chat.id);
        // A new chat's members carry no presence; the chat list does.
        const { chats } = await request(this.socket, 'get_my_chats');
        this.notePresence(chats.filter((c) => c.id === chat.id));
        this.renderList();
      }
    }
    if (open) await this.open(chat.id);
  }

  private membersChanged(chatId: string, users: ChatMember[]): void {
    const chat = this.chats.find((c) => c.id === chatId);
    if (!chat) return;
    chat.users = users;
    this.chatChanged(chat);
  }

  /** The caller's own change answered with the group as it is after it (rename, role, added members). */
  private chatAnswered(answer: ChatSummary): void {
    const chat = this.chats.find((c) => c.id === answer.id);
    if (!chat) return;
    chat.name = answer.name;
    chat.users = answer.users;
    if (answer.membersCanAdd !== undefined) chat.membersCanAdd = answer.membersCanAdd;
    this.chatChanged(chat);
  }

  /**
   * A `chat_event`: kept as a notice, applied to the chat's summary (name, roles, settings), and
   * shown in the open conversation. A member's own removal is followed by `chat_left`.
   */
  private chatEvent(event: ChatEvent): void {
    const chat = this.chats.find((c) => c.id === event.chatId);
    if (!chat || !this.notices.add(event)) return;
    applyChatEvent(chat, event);
    this.chatChanged(chat);
    if (this.conversation?.chatId === chat.id) this.conversation.chatEvent(event);
  }

  /** The list, and the open conversation with its header, show `chat` as it is now. */
  private chatChanged(chat: ChatSummary): void {
    this.notices.learn(chat.users);
    if (this.conversation?.chatId === chat.id) {
      this.conversation.updateChat(chat);
      this.refreshTools?.();
    }
    this.renderList();
  }

  private removeChat(chatId: string): void {
    this.chats = this.chats.filter((c) => c.id !== chatId);
    this.notices.forget(chatId);
    if (this.conversation?.chatId === chatId) this.closeConversation();
    this.renderList();
  }

  private async open(chatId: string): Promise<void> {
    const chat = this.chats.find((c) => c.id === chatId);
    if (!chat || this.conversation?.chatId === chatId) return;
    this.closeConversation();
    // The list's entry is replaced on reconnect; the controls always ask for the current one.
    const current = () => this.chats.find((c) => c.id === chatId) ?? chat;
    const tools = el('div', { class: 'chat-tools' }, muteButton(this.socket, current));
    const me = this.session.user;
    if (isGroupChat(chat)) {
      const controls = groupControls(this.session.token, me.id, current, {
        changed: (answer) => this.chatAnswered(answer),
        left: (id) => this.removeChat(id),
      });
      tools.append(controls.element);
      this.refreshTools = controls.refresh;
    } else {
      const other = chat.users.find((u) => u.id !== me.id);
      if (other) tools.append(blockButton(this.session.token, other));
    }
    const onRead = (id: string, unreadCount: number, unreadMentionCount: number) => {
      const read = this.chats.find((c) => c.id === id);
      if (read && (read.unreadCount !== unreadCount || read.unreadMentionCount !== unreadMentionCount)) {
        read.unreadCount = unreadCount;
        read.unreadMentionCount = unreadMentionCount;
        this.renderList();
      }
    };
    const conversation = new Conversation(
      chat,
      this.session.user,
      this.socket,
      onRead,
      this.notices,
      tools,
      this.session.token,
    );
    this.conversation = conversation;
    this.pane.replaceChildren(conversation.element);
    this.renderList();
    await conversation.load();
    conversation.focus();
  }

  private closeConversation(): void {
    this.conversation?.close();
    this.conversation = undefined;
    this.refreshTools = undefined;
    this.pane.replaceChildren(el('p', { class: 'hint', text: 'Pick a chat or start a new one.' }));
  }

  private renderList(): void {
    const items = this.chats.map((chat) => {
      const last = chat.messages[0];
      const preview = !last
        ? 'no messages yet'
        : last.deletedAt
          ? 'message deleted'
          : `${last.user.username}: ${last.text}`;
      const item = el(
        'li',
        {
          class: `chat${chat.id === this.conversation?.chatId ? ' active' : ''}`,
          attrs: { 'data-chat-id': chat.id, 'data-testid': 'chat-item' },
        },
        el(
          'span',
          { class: 'chat-title' },
          // A green dot when another member is online.
          el('span', {
            class: chat.users.some((u) => u.id !== this.session.user.id && this.online.has(u.id))
              ? 'dot online'
              : 'dot',
          }),
          el('span', { text: chatTitle(chat, this.session.user) }),
        ),
        el('span', { class: 'preview', text: preview }),
      );
      const badges = el('span', { class: 'badges' });
      // "@3": unread messages that mention you, beside the unread count.
      if (chat.unreadMentionCount > 0)
        badges.append(
          el('span', {
            class: 'mention-count',
            attrs: { 'data-testid': 'mention-count', title: `${chat.unreadMentionCount} unread mentions of you` },
            text: `@${chat.unreadMentionCount}`,
          }),
        );
      if (chat.unreadCount > 0)
        badges.append(
          el('span', { class: 'unread', attrs: { 'data-testid': 'unread' }, text: String(chat.unreadCount) }),
        );
      if (badges.childElementCount > 0) item.append(badges);
      item.addEventListener('click', () => void this.open(chat.id));
      return item;
    });
    this.chatList.replaceChildren(...items);
  }

  /** The chat list's members carry `online`; user_online / user_offline keep it current. */
  private notePresence(chats: ChatSummary[]): void {
    for (const user of chats.flatMap((c) => c.users)) if (user.online) this.online.add(user.id);
  }

  private presence(userId: string, online: boolean): void {
    if (online) this.online.add(userId);
    else this.online.delete(userId);
    this.renderList();
  }

  private setStatus(text: string): void {
    this.status.textContent = text;
    this.status.dataset.state = text === 'online' ? 'online' : 'offline';
  }

  private signOut(): void {
    if (this.signedOut) return;
    this.signedOut = true;
    this.closeConversation();
    this.socket.close();
    this.onSignOut();
  }
}
