import type {
  MessageReport,
  ModerationAction,
  ModerationAuditEntry,
  ModerationPage,
  PublicUser,
} from '../protocol/types.js';
import type { Database, SqlExecutor } from './database.js';
import { isoUtc, MESSAGE_COLUMNS, MESSAGE_FROM, messageTuple, parseMessageTuples } from './message-form.js';
import { isStoreId } from './sql.js';

/** One moderation action for the audit log. */
export interface AuditRecord {
  moderatorId: string;
  action: ModerationAction;
  targetUserId?: string | undefined;
  targetMessageId?: string | undefined;
  reason?: string | undefined;
}

/** A page request: newest first, entries with an id below `before`. */
export interface PageRange {
  before?: string | undefined;
  limit: number;
}

/** Bans, reports and the audit log of moderation (README "Operating"). */
export class ModerationStore {
  constructor(private readonly db: Database) {}

  /**
   * Bans (`banned`) or unbans a live account and writes the action to the audit log, in one
   * transaction. False when there is no live account `userId`. Banning a banned account again
   * replaces its reason.
   */
  setBanned(record: AuditRecord & { targetUserId: string }, banned: boolean): Promise<boolean> {
    if (!isStoreId(record.targetUserId)) return Promise.resolve(false);
    return this.db.transaction(async (tx) => {
      const changed = await tx.query(
        `UPDATE users SET banned_at = CASE WHEN $2 THEN COALESCE(banned_at, now()) END,
                          ban_reason = CASE WHEN $2 THEN $3 END
          WHERE id = $1 AND deleted_at IS NULL RETURNING 1`,
        [record.targetUserId, banned, record.reason ?? null],
      );
      if (changed.length === 0) return false;
      await audit(tx, record);
      return true;
    });
  }

  /** Writes one action to the audit log (one that changed something elsewhere, committed already). */
  async audit(record: AuditRecord): Promise<void> {
    await audit(this.db, record);
  }

  /**
   * Stores `reporterId`'s report of a live message of a chat they are a member of. 'refused' when
   * it is not that (unknown, deleted, or not in their chats; the caller tells which); a second
   * report of one message by one user changes nothing and answers 'done'.
   */
  async report(messageId: string, reporterId: string, reason: string): Promise<'done' | 'refused'> {
    if (!isStoreId(messageId)) return 'refused';
    const [row] = await this.db.query<{ stored: boolean }>(
      `WITH reportable AS (
         SELECT m.id FROM messages m JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = $2
          WHERE m.id = $1 AND m.deleted_at IS NULL
       ), stored AS (
         INSERT INTO message_reports (message_id, reporter_id, reason) SELECT id, $2, $3 FROM reportable
         ON CONFLICT (message_id, reporter_id) DO NOTHING RETURNING 1
       )
       SELECT EXISTS (SELECT 1 FROM reportable) AS stored`,
      [messageId, reporterId, reason],
    );
    return row?.stored ? 'done' : 'refused';
  }

  /** Reports, newest first, each with its message as it is now and its reporter. */
  async listReports(range: PageRange): Promise<ModerationPage<MessageReport>> {
    const rows = await this.db.read<{
      id: string;
      reason: string;
      created_at: string;
      reporter: PublicUser;
      message: string;
    }>(
      `SELECT r.id::text, r.reason, ${isoUtc('r.created_at')} AS created_at,
              ${publicUser('ru')} AS reporter,
              (SELECT json_agg(${messageTuple('p')})::text
                 FROM (SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = r.message_id) p) AS message
         FROM message_reports r JOIN users ru ON ru.id = r.reporter_id
        ${newestFirst('r')}`,
      [range.before ?? null, range.limit + 1],
    );
    return page(rows, range.limit, (row) => ({
      id: row.id,
      message: parseMessageTuples(row.message)[0]!,
      reporter: row.reporter,
      reason: row.reason,
      createdAt: row.created_at,
    }));
  }

  /** The audit log, newest first. */
  async listAudit(range: PageRange): Promise<ModerationPage<ModerationAuditEntry>> {
    const rows = await this.db.read<{
      id: string;
      action: ModerationAction;
      target_user_id: string | null;
      target_message_id: string | null;
      reason: string | null;
      created_at: string;
      moderator: PublicUser | null;
    }>(
      `SELECT a.id::text, a.action, a.target_user_id, a.target_message_id, a.reason,
              ${isoUtc('a.created_at')} AS created_at,
              CASE WHEN mu.id IS NOT NULL THEN ${publicUser('mu')} END AS moderator
         FROM moderation_audit a LEFT JOIN users mu ON mu.id = a.moderator_id
        ${newestFirst('a')}`,
      [range.before ?? null, range.limit + 1],
    );
    return page(rows, range.limit, (row) => ({
      id: row.id,
      moderator: row.moderator,
      action: row.action,
      targetUserId: row.target_user_id,
      targetMessageId: row.target_message_id,
      reason: row.reason,
      createdAt: row.created_at,
    }));
  }
}

async function audit(executor: SqlExecutor, record: AuditRecord): Promise<void> {
  await executor.query(
    `INSERT INTO moderation_audit (moderator_id, action, target_user_id, target_message_id, reason)
     VALUES ($1, $2, $3, $4, $5)`,
    [
      record.moderatorId,
      record.action,
      record.targetUserId ?? null,
      record.targetMessageId ?? null,
      record.reason ?? null,
    ],
  );
}

/** The user row `u` as a PublicUser (JSON, which both drivers parse). */
const publicUser = (u: string) => `json_build_object('id', ${u}.id, 'email', ${u}.email, 'username', ${u}.username)`;

/** A page of the table `t` by its identity: `$1` the cursor (an id, or null), `$2` the rows to read. */
const newestFirst = (t: string) => `WHERE $1::bigint IS NULL OR ${t}.id < $1::bigint ORDER BY ${t}.id DESC LIMIT $2`;

/** `limit + 1` rows newest first → a page of `limit` and whether more follow. */
function page<Row extends { id: string }, T>(rows: Row[], limit: number, toEntry: (row: Row) => T): ModerationPage<T> {
  const hasMore = rows.length > limit;
  const kept = rows.slice(0, limit);
  return { entries: kept.map(toEntry), hasMore, nextBefore: hasMore ? kept.at(-1)!.id : null };
}
