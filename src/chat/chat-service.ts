import type { CreateChatBody, GetChatMessagesPayload, SendMessagePayload } from '../protocol/schemas.js';
import { HISTORY_PAGE_DEFAULT } from '../protocol/schemas.js';
import type { ChatSummary, Message, PublicUser } from '../protocol/types.js';
import { AppError, TEXTS, forbiddenChat } from '../errors.js';
import { failValidation } from '../validation.js';
import type { HistoryPage, InsertMessageResult, NewMessage, Store } from '../store/store.js';
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
    this.sends = new GroupCommit((batch) => store.insertMessages(batch));
  }

  /** Throws the seed's "no access" error unless `userId` is a member of `chatId`. */
  async assertMember(userId: string, chatId: string): Promise<void> {
    if (!(await this.store.isMember(chatId, userId))) throw forbiddenChat();
  }

  /**
   * Stores a message and returns it once committed (group-committed with concurrent sends).
   * `created` is false when this is a retry of an earlier send with the same clientMessageId:
   * nothing new was stored, so nothing is broadcast. Concurrent calls resolve in commit order.
   */
  async sendMessage(sender: PublicUser, payload: SendMessagePayload): Promise<{ message: Message; created: boolean }> {
    const text = payload.text.trim();
    if (text.length === 0) failValidation('Текст сообщения не может быть пустым', 'text');
    const length = countCharacters(text);
    if (length > this.maxMessageLength) {
      failValidation(`Текст сообщения слишком длинный: ${length} символов при максимуме ${this.maxMessageLength}`, 'text');
    }
    const result = await this.sends.submit({
      chatId: payload.chatId,
      senderId: sender.id,
      text,
      clientMessageId: payload.clientMessageId,
    });
    if (result.outcome === 'not_member') throw forbiddenChat();
    return { message: result.message, created: result.outcome === 'created' };
  }

  async history(userId: string, query: GetChatMessagesPayload): Promise<HistoryPage> {
    await this.assertMember(userId, query.chatId);
    const page = await this.store.listMessages(query.chatId, {
      before: query.before,
      after: query.after,
      limit: query.limit ?? HISTORY_PAGE_DEFAULT,
    });
    if ('badCursor' in page) throw new AppError('NOT_FOUND', TEXTS.unknownMessage, page.badCursor);
    return page;
  }

  listChats(userId: string): Promise<ChatSummary[]> {
    return this.store.listChats(userId);
  }

  /**
   * Creates a chat of the caller and `userIds`. One other user and no name is a direct chat, of
   * which a pair has only one: asking again returns the existing chat with created=false.
   */
  async createChat(caller: PublicUser, body: CreateChatBody): Promise<{ chat: ChatSummary; created: boolean }> {
    const others = [...new Set(body.userIds)].filter((id) => id !== caller.id);
    if (others.length === 0) failValidation('Укажите хотя бы одного другого пользователя', 'userIds');
    const existing = new Set(await this.store.existingUserIds(others));
    const missing = others.find((id) => !existing.has(id));
    if (missing !== undefined) throw new AppError('NOT_FOUND', `${TEXTS.unknownUser}: ${missing}`, 'userIds');
    const direct = others.length === 1 && body.name === undefined;
    const { chatId, created } = await this.store.createChat({
      name: body.name ?? null,
      memberIds: [caller.id, ...others],
      direct,
    });
    const [chat] = await this.store.listChats(caller.id, chatId);
    return { chat: chat!, created };
  }
}

/** Length in Unicode code points, so that an emoji counts as one character. */
function countCharacters(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
