import type { ChatService } from '../chat/chat-service.js';
import { AppError, TEXTS, forbiddenChat } from '../errors.js';
import type { ModerationPageQuery, ReportMessagePayload } from '../protocol/schemas.js';
import { MODERATION_PAGE_DEFAULT } from '../protocol/schemas.js';
import type { Message, MessageReport, ModerationAuditEntry, ModerationPage } from '../protocol/types.js';
import type { Store } from '../store/store.js';

/**
 * Server moderation (README "Operating"): members report messages; moderators — whom the
 * transport has checked — ban and unban accounts, delete any message, and read the reports and
 * the audit log, where every one of their actions is written.
 */
export class ModerationService {
  constructor(
    private readonly store: Store,
    private readonly chats: ChatService,
  ) {}

  /**
   * A member reports a live message of their chat. An unknown message and one outside the
   * caller's chats answer alike (the seed's "no access"); a tombstone NOT_FOUND. Reporting again
   * answers the same success and stores nothing.
   */
  async report(reporterId: string, { messageId, reason }: ReportMessagePayload): Promise<void> {
    if ((await this.store.moderation.report(messageId, reporterId, reason)) === 'done') return;
    const ref = await this.store.messages.findMessageRef(messageId);
    if (!ref) throw forbiddenChat();
    await this.chats.assertMember(reporterId, ref.chatId);
    if (ref.deleted) throw new AppError('NOT_FOUND', TEXTS.messageDeleted, 'messageId');
    // A member whose message is live: the membership or the message changed meanwhile.
    throw forbiddenChat();
  }

  /** Bans a live account: its sessions end on every node, and its tokens and logins are refused until unbanned. */
  async ban(moderatorId: string, userId: string, reason: string): Promise<void> {
    if (userId === moderatorId) throw new AppError('FORBIDDEN', TEXTS.selfBan);
    const banned = await this.store.moderation.setBanned(
      { moderatorId, action: 'ban', targetUserId: userId, reason },
      true,
    );
    if (!banned) throw new AppError('NOT_FOUND', TEXTS.unknownUser, 'id');
    this.chats.changes.publish({ type: 'account_closed', userId });
  }

  async unban(moderatorId: string, userId: string): Promise<void> {
    const unbanned = await this.store.moderation.setBanned(
      { moderatorId, action: 'unban', targetUserId: userId },
      false,
    );
    if (!unbanned) throw new AppError('NOT_FOUND', TEXTS.unknownUser, 'id');
  }

  /**
   * Deletes any message as its author would (ChatService.deleteMessage: a tombstone taking the
   * chat's next version, `message_deleted` to its members, found by `sync`), and audits it.
   * Deleting a tombstone answers it and audits nothing.
   */
  async deleteMessage(moderatorId: string, messageId: string): Promise<Message> {
    const ref = await this.store.messages.findMessageRef(messageId);
    if (!ref) throw new AppError('NOT_FOUND', TEXTS.unknownMessage, 'id');
    const { message, deleted } = await this.chats.deleteAnyMessage(messageId, ref.senderId);
    if (deleted)
      await this.store.moderation.audit({
        moderatorId,
        action: 'delete_message',
        targetUserId: ref.senderId,
        targetMessageId: messageId,
      });
    return message;
  }

  listReports(query: ModerationPageQuery): Promise<ModerationPage<MessageReport>> {
    return this.store.moderation.listReports({ before: query.before, limit: query.limit ?? MODERATION_PAGE_DEFAULT });
  }

  listAudit(query: ModerationPageQuery): Promise<ModerationPage<ModerationAuditEntry>> {
    return this.store.moderation.listAudit({ before: query.before, limit: query.limit ?? MODERATION_PAGE_DEFAULT });
  }
}
