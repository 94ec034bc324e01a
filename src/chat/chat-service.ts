import { MAX_CHAT_MEMBERS } from '../protocol/schemas.js';
import type {
  AddMembersBody,
  CreateChatBody,
  EditMessagePayload,
  GetChatMessagesPayload,
  MarkReadPayload,
  MessageRefPayload,
  SendMessagePayload,
} from '../protocol/schemas.js';
import { HISTORY_PAGE_DEFAULT } from '../protocol/schemas.js';
import type { ChatSummary, Message, PublicUser } from '../protocol/types.js';
import { AppError, TEXTS, forbiddenChat } from '../errors.js';
import { failValidation } from '../validation.js';
import type { HistoryPage, InsertMessageResult, MessageRef, NewMessage } from '../store/messages.js';
import type { Store } from '../store/store.js';
import { GroupCommit } from './group-commit.js';

/**
 * The chat rules of the seed and contract §3, independent of any transport: only members see or
 * write a chat, and an unknown chat looks exactly like someone else's.
 */
export class ChatService {
  private readonly sends: GroupCommit<NewMessage, InsertMessageResult>;

  constructor(
    private readonly store: Store,
    private readonly maxMessageLength: number,
  ) {
    this.sends = new GroupCommit((batch) => store.messages.insertMessages(batch));
  }

  /** Throws the seed's "no access" error unless `userId` is a member of `chatId`. */
  async assertMember(userId: string, chatId: string): Promise<void> {
    if (!(await this.store.chats.isMember(chatId, userId))) throw forbiddenChat();
  }

  /**
   * Stores a message and returns it once committed (group-committed with concurrent sends).
   * `created` is false when this is a retry of an earlier send with the same clientMessageId:
   * nothing new was stored, so nothing is broadcast. Concurrent calls resolve in commit order.
   */
  async sendMessage(sender: PublicUser, payload: SendMessagePayload): Promise<{ message: Message; created: boolean }> {
    const text = checkedText(payload.text, this.maxMessageLength);
    const result = await this.sends.submit({
      chatId: payload.chatId,
      senderId: sender.id,
      text,
      clientMessageId: payload.clientMessageId,
    });
    if (result.outcome === 'not_member') throw forbiddenChat();
    return { message: result.message, created: result.outcome === 'created' };
  }

  /**
   * One page, read together with the membership check; membership is checked on its own only
   * when the page is empty or a cursor is bad, so that FORBIDDEN still comes before NOT_FOUND.
   */
  async history(userId: string, query: GetChatMessagesPayload): Promise<HistoryPage> {
    const page = await this.store.messages.listMessages(query.chatId, userId, {
      before: query.before,
      after: query.after,
      limit: query.limit ?? HISTORY_PAGE_DEFAULT,
    });
    if ('badCursor' in page || page.messages.length === 0) await this.assertMember(userId, query.chatId);
    if ('badCursor' in page) throw new AppError('NOT_FOUND', TEXTS.unknownMessage, page.badCursor);
    return page;
  }

  /**
   * join_chat: checks membership once, runs `subscribe` (joining the chat's room), then reads the
   * latest page. Subscribing first means a message committed in between arrives twice (clients
   * key by id) rather than not at all.
   */
  async openChat(userId: string, chatId: string, subscribe: () => Promise<void>): Promise<Message[]> {
    await this.assertMember(userId, chatId);
    await subscribe();
    const page = await this.store.messages.listMessages(chatId, userId, { limit: HISTORY_PAGE_DEFAULT });
    // Without a cursor there is no bad one, and membership was checked above: an empty chat is [].
    return 'messages' in page ? page.messages : [];
  }

  listChats(userId: string): Promise<ChatSummary[]> {
    return this.store.chats.listChats(userId);
  }

  /**
   * Creates a chat of the caller and `userIds`. One other user and no name is a direct chat, of
   * which a pair has only one: asking again returns the existing chat with created=false.
   */
  async createChat(caller: PublicUser, body: CreateChatBody): Promise<{ chat: ChatSummary; created: boolean }> {
    const others = [...new Set(body.userIds)].filter((id) => id !== caller.id);
    if (others.length === 0) failValidation('Укажите хотя бы одного другого пользователя', 'userIds');
    const existing = new Set(await this.store.users.existingUserIds(others));
    const missing = others.find((id) => !existing.has(id));
    if (missing !== undefined) throw new AppError('NOT_FOUND', `${TEXTS.unknownUser}: ${missing}`, 'userIds');
    const direct = others.length === 1 && body.name === undefined;
    const { chatId, created } = await this.store.chats.createChat({
      name: body.name ?? null,
      memberIds: [caller.id, ...others],
      direct,
    });
    const [chat] = await this.store.chats.listChats(caller.id, chatId);
    return { chat: chat!, created };
  }

  /**
   * Adds users to a group chat the caller belongs to. Returns the chat as the caller sees it, and
   * for each user actually added the chat as that user sees it (for their `chat_created`), and
   * who was a member before (for `chat_members_changed`).
   */
  async addMembers(
    caller: PublicUser,
    chatId: string,
    body: AddMembersBody,
  ): Promise<{ chat: ChatSummary; added: { userId: string; chat: ChatSummary }[]; previousIds: string[] }> {
    await this.assertMember(caller.id, chatId);
    if ((await this.store.chats.chatKind(chatId)) !== 'group') throw new AppError('FORBIDDEN', TEXTS.directChatMembers);
    const previousIds = (await this.store.chats.chatMembers(chatId)).map((member) => member.id);
    const candidates = [...new Set(body.userIds)].filter((id) => !previousIds.includes(id));
    const existing = new Set(await this.store.users.existingUserIds(candidates));
    const missing = candidates.find((id) => !existing.has(id));
    if (missing !== undefined) throw new AppError('NOT_FOUND', `${TEXTS.unknownUser}: ${missing}`, 'userIds');
    if (previousIds.length + candidates.length > MAX_CHAT_MEMBERS) failValidation(TEXTS.tooManyMembers, 'userIds');
    const addedIds = await this.store.chats.addMembers(chatId, candidates);
    const added = await Promise.all(
      addedIds.map(async (userId) => ({ userId, chat: (await this.store.chats.listChats(userId, chatId))[0]! })),
    );
    const [chat] = await this.store.chats.listChats(caller.id, chatId);
    return { chat: chat!, added, previousIds };
  }

  /**
   * The caller leaves a group chat: from now on every event for it is refused to them. Returns
   * the members that remain. A direct chat cannot be left (its pair would have no chat).
   */
  async leaveChat(userId: string, chatId: string): Promise<{ remaining: PublicUser[] }> {
    await this.assertMember(userId, chatId);
    if ((await this.store.chats.chatKind(chatId)) !== 'group') throw new AppError('FORBIDDEN', TEXTS.directChatMembers);
    if (!(await this.store.chats.removeMember(chatId, userId))) throw forbiddenChat();
    return { remaining: await this.store.chats.chatMembers(chatId) };
  }

  /** Every chat `userId` belongs to, by id. */
  chatIdsOf(userId: string): Promise<string[]> {
    return this.store.chats.chatIdsOf(userId);
  }

  /** The users who share a chat with `userId`: the audience of their presence. */
  chatPartnerIds(userId: string): Promise<string[]> {
    return this.store.chats.chatPartnerIds(userId);
  }

  /**
   * Moves the caller's read position to `messageId` (never back) and returns the unread count
   * after it. `moved` is false when the position was already there or later: nothing to announce.
   */
  async markRead(userId: string, { chatId, messageId }: MarkReadPayload): Promise<{ unreadCount: number; moved: boolean }> {
    await this.assertMember(userId, chatId);
    const result = await this.store.messages.markRead(chatId, userId, messageId);
    if (result.outcome === 'unknown_message') throw new AppError('NOT_FOUND', TEXTS.unknownMessage, 'messageId');
    if (result.outcome === 'not_member') throw forbiddenChat();
    return { unreadCount: result.unreadCount, moved: result.moved };
  }

  /** The author replaces the text of a message; same text rules as sending. */
  async editMessage(userId: string, { messageId, text }: EditMessagePayload): Promise<Message> {
    const checked = checkedText(text, this.maxMessageLength);
    const ref = await this.ownMessage(userId, messageId);
    const edited = ref.deleted ? undefined : await this.store.messages.editMessage(messageId, userId, checked);
    if (!edited) throw new AppError('NOT_FOUND', TEXTS.messageDeleted, 'messageId');
    return edited;
  }

  /**
   * The author deletes a message: it stays in history as a tombstone. Deleting a tombstone again
   * answers it with changed=false (nothing to announce).
   */
  async deleteMessage(userId: string, { messageId }: MessageRefPayload): Promise<{ message: Message; changed: boolean }> {
    await this.ownMessage(userId, messageId);
    const deleted = await this.store.messages.deleteMessage(messageId, userId);
    if (deleted) return { message: deleted, changed: true };
    const tombstone = await this.store.messages.findMessage(messageId);
    if (!tombstone) throw forbiddenChat();
    return { message: tombstone, changed: false };
  }

  /**
   * Access to a message for its author. A message that does not exist and one in a chat the
   * caller is not a member of give the seed's "no access" answer, so message ids cannot be probed
   * (contract §3, as for chats); someone else's message in the caller's own chat is FORBIDDEN too.
   */
  private async ownMessage(userId: string, messageId: string): Promise<MessageRef> {
    const ref = await this.store.messages.findMessageRef(messageId);
    if (!ref) throw forbiddenChat();
    await this.assertMember(userId, ref.chatId);
    if (ref.senderId !== userId) throw new AppError('FORBIDDEN', TEXTS.notMessageAuthor);
    return ref;
  }
}

/** Length in Unicode code points, so that an emoji counts as one character. */
function countCharacters(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** Message text as stored by send and edit alike: trimmed, 1..max code points. */
function checkedText(text: string, max: number): string {
  const trimmed = text.trim();
  if (trimmed.length === 0) failValidation('Текст сообщения не может быть пустым', 'text');
  const length = countCharacters(trimmed);
  if (length > max) failValidation(`Текст сообщения слишком длинный: ${length} символов при максимуме ${max}`, 'text');
  return trimmed;
}
