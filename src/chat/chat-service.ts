import type {
  ChatPageQuery,
  CreateChatBody,
  EditMessagePayload,
  GetChatMessagesPayload,
  MarkReadPayload,
  MessageRefPayload,
  MuteChatPayload,
  ReactionPayload,
  SearchMessagesPayload,
  SendMessagePayload,
  SyncPayload,
} from '../protocol/schemas.js';
import {
  CHAT_PAGE_DEFAULT,
  HISTORY_PAGE_DEFAULT,
  SEARCH_PAGE_DEFAULT,
  SYNC_ANSWER_MAX_MESSAGES,
  SYNC_PAGE_DEFAULT,
} from '../protocol/schemas.js';
import type { ChatPage, ChatSummary, Message, PublicUser, SearchPage, SyncEntry } from '../protocol/types.js';
import { MAX_DISTINCT_REACTIONS, MAX_PINS_PER_CHAT } from '../protocol/types.js';
import type { ChatSummaryText } from '../protocol/chat-summary-text.js';
import { AppError, TEXTS, forbiddenChat, toErrorEnvelope } from '../errors.js';
import { failValidation } from '../validation.js';
import type { HistoryPage, InsertMessageResult, MessageRef, NewMessage } from '../store/messages.js';
import { BlockedPair, UnknownMembers } from '../store/chats.js';
import { asBroadcast, type MarkResult } from '../store/message-marks.js';
import type { Store } from '../store/store.js';
import { ChatChanges } from './chat-changes.js';
import { reactionEmoji } from './emoji.js';
import { GroupCommit } from './group-commit.js';

/** The chat list, or a page of it (ChatPage), with each chat as JSON text but for its members (ChatSummaryText). */
export type ChatList = { chats: ChatSummaryText[] } | (Omit<ChatPage, 'chats'> & { chats: ChatSummaryText[] });

/**
 * The chat rules of the seed and contract §3, independent of any transport: only members see or
 * write a chat, and an unknown chat looks exactly like someone else's. Every change is published
 * on `changes` after its commit; the transports answer, and the realtime side delivers the changes.
 * Running a group (members, name, settings, roles) is GroupAdminService's.
 */
export class ChatService {
  readonly changes: ChatChanges;
  private readonly sends: GroupCommit<NewMessage, InsertMessageResult>;

  constructor(
    private readonly store: Store,
    private readonly maxMessageLength: number,
    onListenerError?: (error: unknown) => void,
  ) {
    this.changes = new ChatChanges(onListenerError);
    // Published from the group commit's drain, before the senders continue: a batch's messages
    // are published in commit order, and batches one after the other.
    this.sends = new GroupCommit(async (batch) => {
      const results = await store.messages.insertMessages(batch);
      for (const result of results) {
        if (result.outcome === 'created')
          this.changes.publish({ type: 'message', kind: 'created', message: result.message });
      }
      return results;
    });
  }

  /** Throws the seed's "no access" error unless `userId` is a member of `chatId`. */
  async assertMember(userId: string, chatId: string): Promise<void> {
    if (!(await this.store.chats.isMember(chatId, userId))) throw forbiddenChat();
  }

  /**
   * Stores a message and returns it once committed (group-committed with concurrent sends). A
   * retry of an earlier send with the same clientMessageId answers the original: nothing new is
   * stored or published. Concurrent calls resolve in commit order.
   */
  async sendMessage(sender: PublicUser, payload: SendMessagePayload): Promise<Message> {
    const attachmentIds = payload.attachments?.length ? payload.attachments : undefined;
    const text = checkedText(payload.text, this.maxMessageLength, attachmentIds !== undefined);
    const message: NewMessage = {
      chatId: payload.chatId,
      senderId: sender.id,
      text,
      clientMessageId: payload.clientMessageId,
      replyToId: payload.replyTo ?? undefined,
      attachmentIds,
    };
    const result = await this.sends.submit(message);
    if (result.outcome === 'not_member') throw forbiddenChat();
    if (result.outcome === 'blocked') throw new AppError('FORBIDDEN', TEXTS.blockedSender);
    if (result.outcome === 'reply_refused') return this.refusedReply(message);
    // A retry answers the original as it is now (findByClientId): it may have been reacted to meanwhile.
    if (result.outcome === 'duplicate') return result.message;
    if (result.outcome === 'attachments_refused') return this.refusedAttachments(message);
    return result.message;
  }

  /**
   * A send whose files could not be attached, told after the sender's membership: NOT_FOUND for
   * every file that is not a complete, unattached upload of the sender's — unknown, someone
   * else's, or sent already — alike, so that file ids cannot be probed. A retry whose original
   * was stored (and took the files) is answered the original.
   */
  private async refusedAttachments(message: NewMessage): Promise<Message> {
    await this.assertMember(message.senderId, message.chatId);
    const original = await this.store.messages.findByClientId(message);
    if (original) return original;
    throw new AppError('NOT_FOUND', TEXTS.unknownFile, 'attachments');
  }

  /**
   * A reply that was not stored, told only after the sender's membership: FORBIDDEN for a chat
   * they are not in; NOT_FOUND for a target that is not a message of this chat — one answer
   * whether it exists in another chat or nowhere, so that message ids cannot be probed — and for
   * a deleted target (a reply quotes a live message; one deleted after the reply shows as its
   * tombstone). A retry whose original was stored before its target was deleted is answered the
   * original, as any retry is.
   */
  private async refusedReply(message: NewMessage): Promise<Message> {
    await this.assertMember(message.senderId, message.chatId);
    const original = await this.store.messages.findByClientId(message);
    if (original) return original;
    const target = await this.store.messages.findMessageRef(message.replyToId!);
    if (!target || target.chatId !== message.chatId) throw new AppError('NOT_FOUND', TEXTS.unknownMessage, 'replyTo');
    if (target.deleted) throw new AppError('NOT_FOUND', TEXTS.messageDeleted, 'replyTo');
    // A member whose target is live: the membership changed between the send and this look.
    throw forbiddenChat();
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
   * join_chat: checks membership once, runs `beforeRead` (which starts holding the chat's live
   * changes for the caller), then reads the latest page together with the chat's version: the
   * changes after that version are the ones the caller has not seen.
   */
  async openChat(
    userId: string,
    chatId: string,
    beforeRead: () => void,
  ): Promise<{ messages: Message[]; version: number }> {
    await this.assertMember(userId, chatId);
    beforeRead();
    const page = await this.store.messages.listMessages(chatId, userId, { limit: HISTORY_PAGE_DEFAULT });
    // Without a cursor there is no bad one. The page is read for members only: an empty one may
    // mean the caller left meanwhile, as for history.
    if (!('messages' in page) || page.messages.length === 0) await this.assertMember(userId, chatId);
    if (!('messages' in page)) return { messages: [], version: 0 };
    return { messages: page.messages, version: page.version };
  }

  /**
   * sync: for each chat, the messages changed after the version the caller holds, in their
   * current state and version order (contract §5), and the chat events over the same versions. A
   * chat the caller is not a member of (or that does not exist) answers FORBIDDEN in its own
   * entry. At most `limit` changes (messages and events) per chat and SYNC_ANSWER_MAX_MESSAGES in
   * all, shared out in the order asked (a chat has at most as many changes as versions it moved):
   * a chat past the budget answers hasMore.
   * Two statements whatever the number of chats: membership and versions, then the pages.
   */
  async sync(userId: string, { chats, limit = SYNC_PAGE_DEFAULT }: SyncPayload): Promise<SyncEntry[]> {
    const current = await this.store.messages.memberChatVersions(
      userId,
      chats.map((chat) => chat.chatId),
    );
    let budget = SYNC_ANSWER_MAX_MESSAGES;
    const wanted = chats.flatMap(({ chatId, version }) => {
      const latest = current.get(chatId);
      if (latest === undefined || latest <= version || budget === 0) return [];
      const take = Math.min(limit, latest - version, budget);
      budget -= take;
      return [{ chatId, afterVersion: version, limit: take }];
    });
    const pages = await this.store.messages.listChangesOf(wanted, userId);
    return chats.map(({ chatId, version }): SyncEntry => {
      const latest = current.get(chatId);
      if (latest === undefined) return { chatId, ...toErrorEnvelope(forbiddenChat()) };
      const page =
        latest <= version ? { version: latest, messages: [], events: [], hasMore: false } : pages.get(chatId);
      // Moved past the caller's version, but no budget was left for it.
      return { success: true, chatId, ...(page ?? { version, messages: [], events: [], hasMore: true }) };
    });
  }

  /**
   * search_messages: the caller's chats' messages matching the query, newest first (README
   * "Search"), each in its current state. A `chatId` the caller is not in answers FORBIDDEN, as every event about a chat does;
   * a cursor that is not a message of the searched chats answers NOT_FOUND, one answer whether
   * it exists elsewhere or nowhere.
   */
  async searchMessages(userId: string, payload: SearchMessagesPayload): Promise<SearchPage> {
    const result = await this.store.search.search(userId, {
      query: payload.query,
      chatId: payload.chatId,
      before: payload.before,
      limit: payload.limit ?? SEARCH_PAGE_DEFAULT,
    });
    if ('refused' in result) {
      if (result.refused === 'chat') throw forbiddenChat();
      throw new AppError('NOT_FOUND', TEXTS.unknownSearchCursor, 'before');
    }
    return result;
  }

  /**
   * A chat's changes after `afterVersion`, for delivering changes a node has missed (no access
   * check): with their reactions as broadcast (no `me`).
   */
  changesSince(chatId: string, afterVersion: number, limit: number) {
    return this.store.messages.listChanges(chatId, afterVersion, limit);
  }

  /** The latest version of each chat that exists. */
  chatVersions(chatIds: readonly string[]): Promise<Map<string, number>> {
    return this.store.messages.chatVersions(chatIds);
  }

  /**
   * The caller's chat list (get_my_chats, GET /chats): without `limit` and `before` every chat, the
   * seed's answer; with either, one page of it (listChatPage).
   */
  async chatList(userId: string, query: ChatPageQuery | null | undefined): Promise<ChatList> {
    return query?.limit === undefined && query?.before === undefined
      ? { chats: await this.store.chats.listChatTexts(userId) }
      : this.listChatPage(userId, query);
  }

  /**
   * One page of the caller's chat list, in the list's order: the chats after `before` as the list
   * stands when the page is read. The cursor must be one of the caller's chats at that moment: an
   * unknown, malformed or foreign id, and a chat the caller has left since, all answer the same
   * NOT_FOUND (a client starts again from the first page). As for history, the cursor is checked on
   * its own only when the page is empty, which is also how an unknown cursor's page comes back.
   */
  private async listChatPage(userId: string, query: ChatPageQuery): Promise<ChatList> {
    const page = await this.store.chats.listChatPage(userId, {
      before: query.before,
      limit: query.limit ?? CHAT_PAGE_DEFAULT,
    });
    if (
      query.before !== undefined &&
      page.chats.length === 0 &&
      !(await this.store.chats.isMember(query.before, userId))
    )
      throw new AppError('NOT_FOUND', TEXTS.unknownChatCursor, 'before');
    return { ...page, nextBefore: page.hasMore ? page.chats.at(-1)!.id : null };
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
    const { chatId, created } = await this.store.chats
      .createChat({ name: body.name ?? null, memberIds: [caller.id, ...others], direct })
      .catch((error: unknown) => {
        // An account deleted since the check above.
        if (error instanceof UnknownMembers) throw new AppError('NOT_FOUND', TEXTS.unknownUser, 'userIds');
        if (error instanceof BlockedPair) throw new AppError('FORBIDDEN', TEXTS.blockedPair, 'userIds');
        throw error;
      });
    const [chat] = await this.store.chats.listChats(caller.id, chatId);
    if (created) this.changes.publish({ type: 'chat_created', chat: chat! });
    return { chat: chat!, created };
  }

  /**
   * The caller mutes or unmutes a chat of theirs: a muted chat's mentions alert none of their
   * sockets (mentionAlerts) and push nothing (the outbox triggers, routines.ts); unread still counts.
   */
  async muteChat(userId: string, { chatId, muted }: MuteChatPayload): Promise<{ chatId: string; muted: boolean }> {
    if (!(await this.store.chats.setMuted(chatId, userId, muted))) throw forbiddenChat();
    return { chatId, muted };
  }

  /** The members a new message mentions who are to be alerted: not its sender, nor who muted the chat. */
  async mentionAlerts(message: Message): Promise<string[]> {
    const mentioned = message.mentions?.filter((id) => id !== message.sender) ?? [];
    if (mentioned.length === 0) return [];
    const muted = await this.store.chats.mutedMembers(message.chatId, mentioned);
    return mentioned.filter((id) => !muted.has(id));
  }

  /** The chat as `userId` sees it in their list; FORBIDDEN when they are not (or no longer) a member. */
  async chatOf(userId: string, chatId: string): Promise<ChatSummary> {
    const [chat] = await this.store.chats.listChats(userId, chatId);
    if (!chat) throw forbiddenChat();
    return chat;
  }

  /**
   * Deletes `userId`'s account (the caller has proved it is theirs): its sockets are closed, its
   * messages stay as tombstones of the deleted user, each published as a deletion in its chat's
   * version order, and it leaves every chat it was in, as leaveChat publishes. Throws
   * UNAUTHORIZED when the account is gone already.
   */
  async deleteAccount(userId: string): Promise<void> {
    const deleted = await this.store.users.deleteAccount(userId);
    if (!deleted) throw new AppError('UNAUTHORIZED', TEXTS.unknownUser);
    this.changes.publish({ type: 'account_deleted', userId });
    for (const message of deleted.tombstones) this.changes.publish({ type: 'message', kind: 'deleted', message });
    for (const { chatId, remaining, events } of deleted.left) {
      this.changes.publishEvents(events);
      this.changes.publish({ type: 'member_left', chatId, userId, remaining });
    }
  }

  /** The users who share with `userId` a chat of at most `maxChatMembers` members: the audience of their presence. */
  chatPartnerIds(userId: string, maxChatMembers: number): Promise<string[]> {
    return this.store.chats.chatPartnerIds(userId, maxChatMembers);
  }

  /**
   * Moves the caller's read position to `messageId` (never back) and returns the unread count
   * after it and the position's seq. Only a position that moved is published.
   */
  async markRead(
    userId: string,
    { chatId, messageId }: MarkReadPayload,
  ): Promise<{ unreadCount: number; unreadMentionCount: number; seq: number }> {
    await this.assertMember(userId, chatId);
    const result = await this.store.messages.markRead(chatId, userId, messageId);
    if (result.outcome === 'unknown_message') throw new AppError('NOT_FOUND', TEXTS.unknownMessage, 'messageId');
    if (result.outcome === 'not_member') throw forbiddenChat();
    if (result.moved) this.changes.publish({ type: 'read', chatId, userId, messageId, seq: result.seq });
    return { unreadCount: result.unreadCount, unreadMentionCount: result.unreadMentionCount, seq: result.seq };
  }

  /** The author replaces the text of a message; same text rules as sending. */
  async editMessage(userId: string, { messageId, text }: EditMessagePayload): Promise<Message> {
    const checked = checkedText(text, this.maxMessageLength);
    const ref = await this.ownMessage(userId, messageId);
    const stored = ref.deleted ? undefined : await this.store.messages.editMessage(messageId, userId, checked);
    if (!stored) throw new AppError('NOT_FOUND', TEXTS.messageDeleted, 'messageId');
    this.changes.publish({ type: 'message', kind: 'edited', message: asBroadcast(stored) });
    return stored;
  }

  /**
   * The author (or an admin or owner of the group: deletableMessage) deletes a message: it stays
   * in history as a tombstone. Deleting a tombstone again answers it and changes (and publishes)
   * nothing.
   */
  async deleteMessage(userId: string, { messageId }: MessageRefPayload): Promise<Message> {
    const { senderId } = await this.deletableMessage(userId, messageId);
    const { message } = await this.deleteAnyMessage(messageId, senderId);
    return message;
  }

  /**
   * Turns `senderId`'s message into a tombstone (for its author, or a moderator: no access check)
   * and publishes the deletion; `deleted` is false when it was a tombstone already, which is
   * answered as it is.
   */
  async deleteAnyMessage(messageId: string, senderId: string): Promise<{ message: Message; deleted: boolean }> {
    const deleted = await this.store.messages.deleteMessage(messageId, senderId);
    if (deleted) {
      this.changes.publish({ type: 'message', kind: 'deleted', message: deleted });
      // Unreadable since the commit (FileStore.findReadable); their bytes go now.
      await this.store.files.deleteOfMessage(messageId);
      return { message: deleted, deleted: true };
    }
    const tombstone = await this.store.messages.findMessage(messageId);
    if (!tombstone) throw forbiddenChat();
    return { message: tombstone, deleted: false };
  }

  /**
   * A member adds (`added`) or removes a reaction to a live message: `emoji` is one emoji or a
   * short name (emoji.ts). Idempotent: a change that changes nothing takes no version and is not
   * published. Answers the message as it is now, `me` from the caller's point of view.
   */
  async react(userId: string, { messageId, emoji }: ReactionPayload, added: boolean): Promise<Message> {
    const stored = reactionEmoji(emoji);
    if (stored === undefined) failValidation(TEXTS.invalidReaction, 'emoji');
    const result = await this.store.marks.react(messageId, userId, stored, added, MAX_DISTINCT_REACTIONS);
    const message = markedMessage(result, TEXTS.tooManyReactions, 'emoji');
    if (result.outcome === 'done' && result.changed)
      this.changes.publish({ type: 'reaction', message: asBroadcast(message), userId, emoji: stored, added });
    return message;
  }

  /**
   * A member pins (`pinned`) or unpins a live message — in a group, an admin or the owner only;
   * idempotent as reactions are.
   */
  async pin(userId: string, { messageId }: MessageRefPayload, pinned: boolean): Promise<Message> {
    const result = await this.store.marks.pin(messageId, userId, pinned, MAX_PINS_PER_CHAT);
    const message = markedMessage(result, TEXTS.tooManyPins, 'messageId');
    if (result.outcome === 'done' && result.changed)
      this.changes.publish({ type: 'pin', message: asBroadcast(message), pinned });
    return message;
  }

  /** A chat's pinned messages in their current state, most recently pinned first (all of them: pins are capped). */
  async pinnedMessages(userId: string, chatId: string): Promise<Message[]> {
    const messages = await this.store.marks.pinnedMessages(chatId, userId, MAX_PINS_PER_CHAT);
    if (!messages) throw forbiddenChat();
    return messages;
  }

  /**
   * Access to a message for deleting it: its author's, as ownMessage; someone else's message in a
   * group to the group's admins and owner (their role as it is at this read). Refused alike.
   */
  private async deletableMessage(userId: string, messageId: string): Promise<MessageRef> {
    const ref = await this.store.messages.findMessageRef(messageId);
    if (!ref) throw forbiddenChat();
    if (ref.senderId === userId) {
      await this.assertMember(userId, ref.chatId);
      return ref;
    }
    const member = await this.store.chats.memberRole(ref.chatId, userId);
    if (!member) throw forbiddenChat();
    if (member.direct || member.role === 'member') throw new AppError('FORBIDDEN', TEXTS.notMessageAuthor);
    return ref;
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

/**
 * The message a reaction or pin change answers, or its refusal: a message that does not exist and
 * one in a chat the caller is not a member of answer alike (as for edits, no probing); a tombstone
 * NOT_FOUND; past the cap VALIDATION_ERROR.
 */
function markedMessage(result: MarkResult, tooMany: string, field: string): Message {
  switch (result.outcome) {
    case 'unknown':
      throw forbiddenChat();
    case 'deleted':
      throw new AppError('NOT_FOUND', TEXTS.messageDeleted, 'messageId');
    case 'not_admin':
      throw new AppError('FORBIDDEN', TEXTS.adminsOnly);
    case 'too_many':
      failValidation(tooMany, field);
    // falls through: failValidation never returns
    case 'done':
      return result.message;
  }
}

/** Length in Unicode code points, so that an emoji counts as one character. */
function countCharacters(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += text.codePointAt(i)! > 0xffff ? 2 : 1) count++;
  return count;
}

/** Message text as stored by send and edit alike: trimmed, 1..max code points. */
/** The message's text trimmed; it may be empty only for a message with attachments (`mayBeEmpty`). */
function checkedText(text: string, max: number, mayBeEmpty = false): string {
  const trimmed = text.trim();
  if (trimmed.length === 0 && !mayBeEmpty) failValidation('Текст сообщения не может быть пустым', 'text');
  const length = countCharacters(trimmed);
  if (length > max) failValidation(`Текст сообщения слишком длинный: ${length} символов при максимуме ${max}`, 'text');
  return trimmed;
}
