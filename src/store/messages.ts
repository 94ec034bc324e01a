import { randomUUID } from 'node:crypto';
import type { Attachment, ChatEvent, Message } from '../protocol/types.js';
import { eventsAfter, parseEvents } from './chat-events.js';
import { isUniqueViolation, type Database, type SqlExecutor } from './database.js';
import { blockedSends } from './blocks.js';
import { attachFiles, lockAttachable } from './files.js';
import {
  MESSAGE_COLUMNS,
  MESSAGE_FROM,
  messageSummary,
  messageTuple,
  parseMessageTuples,
  SENDER_COLUMNS,
  type Reader,
} from './message-form.js';
import { isStoreId, isUnread, isUnreadMention, memberList, mentionIds, NOW_MS, unreadCounts } from './sql.js';

export interface NewMessage {
  chatId: string;
  senderId: string;
  text: string;
  clientMessageId?: string | undefined;
  /** The id of the message it replies to: a live message of the same chat, or the send is refused. */
  replyToId?: string | undefined;
  /**
   * Ids of files to attach, in order: complete files of the sender attached to no message yet,
   * or the send is refused (each file goes with one message only).
   */
  attachmentIds?: readonly string[] | undefined;
}

export type InsertMessageResult =
  | { outcome: 'created'; message: Message }
  /** Same clientMessageId from the same sender in the same chat: the stored original. */
  | { outcome: 'duplicate'; message: Message }
  | { outcome: 'not_member' }
  /** A reply not stored: the sender is not a member, or its target is not a live message of the chat. */
  | { outcome: 'reply_refused' }
  /** Not stored: an attachment is not a complete, unattached file of the sender (checked before membership). */
  | { outcome: 'attachments_refused' }
  /** Not stored: a direct chat whose other member has blocked the sender (BlockStore). */
  | { outcome: 'blocked' };

export interface HistoryPage {
  messages: Message[];
  hasMore: boolean;
  /** The chat's version when the page was read (0 for a caller who is not a member). */
  version: number;
}

/**
 * A chat's changes after a version: the messages changed since, in their current state, and the
 * chat events since (chat-events.ts), both up to the same version.
 */
export interface ChangesPage {
  /** The version the changes bring a client to: the chat's version, or the page's last one when hasMore. */
  version: number;
  /** In version order. */
  messages: Message[];
  /** In version order. */
  events: ChatEvent[];
  hasMore: boolean;
}

export interface HistoryRange {
  /** Message id: only messages strictly older. */
  before?: string | undefined;
  /** Message id: only messages strictly newer; the page then starts right after it. */
  after?: string | undefined;
  limit: number;
}

export interface MessageRef {
  chatId: string;
  senderId: string;
  deleted: boolean;
}

export type MarkReadResult =
  /** `moved` is false when the position already was at or after the message (it never moves back). */
  | { outcome: 'marked'; moved: boolean; unreadCount: number; unreadMentionCount: number; seq: number }
  | { outcome: 'unknown_message' }
  | { outcome: 'not_member' };

type HistoryCursor = 'before' | 'after';
const HISTORY_CURSOR_FIELDS: readonly HistoryCursor[] = ['before', 'after'];
/** The cursors a history page can have, in HISTORY_CURSOR_FIELDS' order: each set a statement (and routine) of its own. */
export const HISTORY_CURSORS: readonly (readonly HistoryCursor[])[] = [[], ['before'], ['after'], ['before', 'after']];

/** The routine (routines.ts) that reads a history page with `cursors`. */
export const historyPageRoutine = (cursors: readonly HistoryCursor[]) => ['history_page', ...cursors].join('_');

/**
 * The history page statement for `cursors` ($1 the chat, $2 the member, then each cursor's
 * message id, then the most messages to read), run as a routine so that PostgreSQL plans it once
 * per connection: planned per call, on PGlite its plan cost more than running it (1.0 ms of a
 * 1.7 ms page, every index of every table it names measured through PGlite's file system). One
 * query: membership and each cursor's position are read by subqueries that PostgreSQL runs once,
 * before the keyset scan (InitPlans, so the row comparison stays an index condition). A cursor
 * that is not in the chat compares as NULL and empties the page, so only an empty page pays for
 * telling "nothing there" from "no such cursor". The page comes back as one JSON array
 * (messageTuple), not as rows, with the reactions as the member sees them, and with the chat's
 * version (the join's starting point).
 */
export function historyPageStatement(cursors: readonly HistoryCursor[]): string {
  const order = cursors.includes('after') ? 'ASC' : 'DESC';
  const conditions = cursors.map(
    (field, i) => `AND (m.created_at, m.id) ${field === 'before' ? '<' : '>'}
        (SELECT c.created_at, c.id FROM messages c WHERE c.id = $${i + 3} AND c.chat_id = $1)`,
  );
  const member = 'EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = $1 AND cm.user_id = $2)';
  return `SELECT json_agg(${messageTuple('p', { reader: '$2' })} ORDER BY p.created_at ${order}, p.id ${order})::text AS page,
              (SELECT version FROM chats WHERE id = $1 AND ${member}) AS version
         FROM (SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
                WHERE m.chat_id = $1 AND ${member}
                  ${conditions.join(' ')}
                ORDER BY m.created_at ${order}, m.id ${order}
                LIMIT $${cursors.length + 3}) p`;
}

/**
 * The changes statement of MessageStore.listChangesOf ($1 chat ids, $2 the version after which
 * each is read, $3 how many of each, $4 the reader or NULL), run as the routine chat_changes
 * (routines.ts), whose plan is kept.
 */
export const CHAT_CHANGES = `SELECT r.chat_id, c.version, r.wanted, r.after, ${eventsAfter('r.chat_id', 'r.after', 'r.wanted + 1')} AS events,
       (SELECT json_agg(${messageTuple('p', { reader: '$4::uuid' })} ORDER BY p.version, p.seq)::text
          FROM (SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
                 WHERE m.chat_id = r.chat_id AND m.version > r.after
                 ORDER BY m.version, m.seq
                 LIMIT r.wanted + 1) p) AS page
  FROM unnest($1::uuid[], $2::bigint[], $3::int[]) AS r(chat_id, after, wanted)
  JOIN chats c ON c.id = r.chat_id`;

/**
 * A send batch (insert_message_batch, routines.ts: $1 ids, $2 chat ids, $3 sender ids, $4 texts,
 * $5 client message ids, $6 reply targets) with the stored messages as one JSON array
 * (messageTuple), run as the routine store_message_batch, whose plan is kept.
 */
export const STORE_MESSAGE_BATCH = `SELECT json_agg(${messageTuple('b', { justSent: true })})::text AS stored
  FROM (SELECT *, NULL::timestamptz AS edited_at, NULL::timestamptz AS deleted_at,
               NULL::timestamptz AS pinned_at, NULL::uuid AS pinned_by
          FROM insert_message_batch($1, $2, $3, $4, $5, $6)) b`;

/** Messages: group-committed sends, history pages, read positions, edits and tombstones. */
export class MessageStore {
  constructor(private readonly db: Database) {}

  /**
   * Stores one message if the sender is a member of the chat and, for a reply, its target is a live
   * message of the chat (a batch of one, see insertMessages).
   */
  async insertMessage(message: NewMessage): Promise<InsertMessageResult> {
    try {
      return (await this.writeBatch([message]))[0]!;
    } catch (error) {
      // The whole transaction failed, so the chat's last message was not moved either.
      if (!isDuplicateClientId(error)) throw error;
      return { outcome: 'duplicate', message: (await this.findByClientId(message))! };
    }
  }

  /**
   * Group commit: stores many messages (any chats, any senders) in one transaction. Results come
   * back in input order, and within a chat the messages are stamped in input order, so the batch
   * commits exactly as if they had been sent one by one. A batch holding a retried
   * clientMessageId fails as a whole on the unique index and is then replayed one message at a
   * time, which sorts out originals and duplicates.
   */
  async insertMessages(messages: readonly NewMessage[]): Promise<InsertMessageResult[]> {
    try {
      return await this.writeBatch(messages);
    } catch (error) {
      if (!isDuplicateClientId(error)) throw error;
    }
    const results: InsertMessageResult[] = [];
    for (const message of messages) results.push(await this.insertMessage(message));
    return results;
  }

  /**
   * One transaction around one call of insert_message_batch (routines.ts), which locks the
   * batch's chats and writes the batch (see there for the ordering invariant). Runs in an explicit
   * transaction: if the connection dies while waiting for a lock, the server rolls it back rather
   * than committing a message whose sender was told UNAVAILABLE.
   *
   * The stored rows come back as one JSON array (messageTuple), as history pages do: decoding
   * rows field by field costs PGlite more JavaScript than parsing the array (docs/perf-runs/history.md).
   */
  private async writeBatch(messages: readonly NewMessage[]): Promise<InsertMessageResult[]> {
    const refused = (message: NewMessage): InsertMessageResult =>
      message.replyToId === undefined ? { outcome: 'not_member' } : { outcome: 'reply_refused' };
    const valid = messages.filter((m) => isStoreId(m.chatId) && (m.replyToId === undefined || isStoreId(m.replyToId)));
    if (valid.length === 0) return messages.map(refused);
    const attaching = valid.filter((m) => m.attachmentIds !== undefined && m.attachmentIds.length > 0);
    // A malformed file id names no file: refused without asking.
    const refusedAttachments = new Set(attaching.filter((m) => !m.attachmentIds!.every(isStoreId)));
    const lockable = attaching.filter((m) => !refusedAttachments.has(m));
    const ids = valid.map(() => randomUUID());
    const chatIds = valid.map((m) => m.chatId);
    let attachable = new Map<string, Attachment>();
    const blocked = new Set<NewMessage>();
    const stored = await this.db.transaction(async (tx) => {
      // A reply's quote is read by the statement below, whose snapshot is taken when it starts:
      // the chats are locked first, in a statement of their own, so that an edit of the target
      // that held the lock is committed, and quoted, by then (insert_message_batch locks the same
      // rows in the same order).
      if (valid.some((m) => m.replyToId !== undefined))
        await tx.query('SELECT 1 FROM chats WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [chatIds]);
      let sendable = valid;
      // Sends with attachments (only they pay for this): their files are checked and locked
      // first; a send naming a file that is not attachable, or one an earlier send of the batch
      // takes, is stored with no text in the batch — passed on with a chat id that names no chat.
      if (attaching.length > 0) {
        attachable = await lockAttachable(
          tx,
          lockable.flatMap((m) => [...m.attachmentIds!]),
          lockable.flatMap((m) => m.attachmentIds!.map(() => m.senderId)),
        );
        const claimed = new Set<string>();
        for (const message of lockable) {
          const fileIds = message.attachmentIds!;
          if (!fileIds.every((id) => attachable.has(id) && !claimed.has(id))) refusedAttachments.add(message);
          for (const id of fileIds) claimed.add(id);
        }
        sendable = sendable.map((m, i) => (refusedAttachments.has(valid[i]!) ? { ...m, chatId: NO_CHAT } : m));
      }
      const inserted = await tx.query<{ stored: string | null }>(
        'SELECT stored FROM store_message_batch($1, $2, $3, $4, $5, $6)',
        [
          ids,
          sendable.map((m) => m.chatId),
          sendable.map((m) => m.senderId),
          sendable.map((m) => m.text),
          sendable.map((m) => m.clientMessageId ?? null),
          sendable.map((m) => m.replyToId ?? null),
        ],
      );
      const created = new Map(parseMessageTuples(inserted[0]?.stored).map((message) => [message.id, message]));
      if (attaching.length > 0) await this.attach(tx, valid, ids, refusedAttachments, created);
      // insert_message_batch stores nothing of a sender blocked in a direct chat; which of the
      // sends not stored were blocked is asked only when some were not stored (a rare answer).
      const unstored = valid.filter((m, i) => !created.has(ids[i]!) && !refusedAttachments.has(m));
      if (unstored.length > 0) {
        const positions = await blockedSends(
          tx,
          unstored.map((m) => m.chatId),
          unstored.map((m) => m.senderId),
        );
        for (const i of positions) blocked.add(unstored[i]!);
      }
      return created;
    });
    const byInput = new Map(valid.map((message, i) => [message, stored.get(ids[i]!)]));
    return messages.map((message) => {
      if (blocked.has(message)) return { outcome: 'blocked' };
      if (refusedAttachments.has(message)) return attachmentsRefused;
      const created = byInput.get(message);
      if (created && message.attachmentIds?.length)
        created.attachments = message.attachmentIds.map((id) => attachable.get(id)!);
      return created ? { outcome: 'created', message: created } : refused(message);
    });
  }

  /** Links the files of the batch's stored messages to them, in the send's transaction. */
  private async attach(
    tx: SqlExecutor,
    valid: readonly NewMessage[],
    ids: readonly string[],
    refusedAttachments: ReadonlySet<NewMessage>,
    stored: ReadonlyMap<string, Message>,
  ): Promise<void> {
    const links = {
      fileIds: [] as string[],
      messageIds: [] as string[],
      chatIds: [] as string[],
      positions: [] as number[],
    };
    valid.forEach((message, i) => {
      if (refusedAttachments.has(message) || !stored.has(ids[i]!)) return;
      message.attachmentIds?.forEach((fileId, position) => {
        links.fileIds.push(fileId);
        links.messageIds.push(ids[i]!);
        links.chatIds.push(message.chatId);
        links.positions.push(position);
      });
    });
    if (links.fileIds.length > 0) await attachFiles(tx, links);
  }

  /**
   * The message stored earlier for `message`'s clientMessageId (from the same sender in the same
   * chat), as it is now: its reactions as the sender sees them.
   */
  async findByClientId(message: NewMessage): Promise<Message | undefined> {
    if (message.clientMessageId === undefined || !isStoreId(message.chatId)) return undefined;
    return (
      await this.findMessages(
        'm.chat_id = $1 AND m.sender_id = $2 AND m.client_message_id = $3',
        [message.chatId, message.senderId, message.clientMessageId],
        '$2::uuid',
      )
    )[0];
  }

  /**
   * The messages that `condition` (over MESSAGE_COLUMNS' `m`, with `params`) picks, in no order,
   * read by `reader` (a parameter of `params`; none: reactions without `me`).
   */
  private async findMessages(condition: string, params: unknown[], reader?: Reader): Promise<Message[]> {
    const [found] = await this.db.query<{ messages: string | null }>(
      `SELECT json_agg(${messageTuple('p', { reader })})::text AS messages FROM (SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE ${condition}) p`,
      params,
    );
    return parseMessageTuples(found?.messages);
  }

  /**
   * One page of a chat's history, oldest first. Without `after` it is the newest `limit` messages
   * (older than `before` if given) and hasMore says whether older ones exist; with `after` it is
   * the oldest `limit` messages after it (and before `before`) and hasMore says whether newer ones
   * exist. Returns `badCursor` when a cursor is not a message of this chat. The page carries the
   * chat's version as it was read (join_chat's starting point).
   *
   * The page is empty unless `memberId` is a member of the chat: the caller, which must answer
   * FORBIDDEN before anything else, checks membership when the page is empty or a cursor is bad.
   * Read by the routine of its cursors (historyPageStatement).
   */
  async listMessages(
    chatId: string,
    memberId: string,
    range: HistoryRange,
  ): Promise<HistoryPage | { badCursor: 'before' | 'after' }> {
    if (!isStoreId(chatId) || !isStoreId(memberId)) return { messages: [], hasMore: false, version: 0 };
    // One of HISTORY_CURSORS, each of which has its routine.
    const cursors = HISTORY_CURSOR_FIELDS.filter((field) => range[field] !== undefined);
    for (const field of cursors) if (!isStoreId(range[field]!)) return { badCursor: field };
    const params = [chatId, memberId, ...cursors.map((field) => range[field]), range.limit + 1];
    const placeholders = params.map((_, i) => `$${i + 1}`).join(', ');
    const [result] = await this.db.read<{ page: string | null; version: string | null }>(
      `SELECT page, version FROM ${historyPageRoutine(cursors)}(${placeholders})`,
      params,
    );
    const messages = parseMessageTuples(result?.page);
    if (messages.length === 0) {
      for (const field of cursors) {
        const found = await this.db.query('SELECT 1 FROM messages WHERE id = $1 AND chat_id = $2', [
          range[field],
          chatId,
        ]);
        if (found.length === 0) return { badCursor: field };
      }
    }
    const hasMore = messages.length > range.limit;
    const page = messages.slice(0, range.limit);
    const ascending = cursors.includes('after');
    return { messages: ascending ? page : page.reverse(), hasMore, version: Number(result?.version ?? 0) };
  }

  /**
   * One chat's changes (listChangesOf) as they are broadcast: reactions without `me`. Undefined
   * when there is no such chat. No access check.
   */
  async listChanges(chatId: string, afterVersion: number, limit: number): Promise<ChangesPage | undefined> {
    return (await this.listChangesOf([{ chatId, afterVersion, limit }])).get(chatId);
  }

  /**
   * Each requested chat's messages changed after `afterVersion` (created, edited or deleted
   * since), in their current state and version order, and its chat events after it: at most
   * `limit` changes of both together, the first by version, by chat id; one statement for all (no
   * access check). A chat that does not exist has no page. Each chat's version is read in the same
   * statement as its changes, so a page that is the last one (no `hasMore`) brings the reader
   * exactly to that version; an empty page that has more (limit 0) leaves it where it was.
   * Reactions say `me` as `readerId` sees them (none: as broadcast).
   */
  async listChangesOf(
    requests: readonly { chatId: string; afterVersion: number; limit: number }[],
    readerId?: string,
  ): Promise<Map<string, ChangesPage>> {
    const valid = requests.filter((request) => isStoreId(request.chatId));
    if (valid.length === 0) return new Map();
    const rows = await this.db.read<{
      chat_id: string;
      version: string;
      page: string | null;
      events: string | null;
      wanted: number;
      after: string;
    }>('SELECT chat_id, version, wanted, after, events, page FROM chat_changes($1, $2, $3, $4)', [
      valid.map((r) => r.chatId),
      valid.map((r) => r.afterVersion),
      valid.map((r) => r.limit),
      readerId ?? null,
    ]);
    return new Map(
      rows.map((row) => {
        // Both lists hold the first wanted + 1 of their kind: the first `wanted` changes of the two
        // merged by version are among them, and one more says that more follow.
        const messages = parseMessageTuples(row.page);
        const events = parseEvents(row.chat_id, row.events);
        const versions = [...messages, ...events].map((change) => change.version).sort((a, b) => a - b);
        const hasMore = versions.length > row.wanted;
        const last = hasMore ? (versions[row.wanted - 1] ?? Number(row.after)) : Number(row.version);
        return [
          row.chat_id,
          {
            version: last,
            messages: messages.filter((message) => message.version <= last),
            events: events.filter((event) => event.version <= last),
            hasMore,
          },
        ];
      }),
    );
  }

  /** The latest version of each of `chatIds` that `memberId` is a member of. */
  async memberChatVersions(memberId: string, chatIds: readonly string[]): Promise<Map<string, number>> {
    const valid = chatIds.filter(isStoreId);
    if (valid.length === 0 || !isStoreId(memberId)) return new Map();
    const rows = await this.db.query<{ id: string; version: string }>(
      `SELECT c.id, c.version FROM chat_members cm JOIN chats c ON c.id = cm.chat_id
        WHERE cm.user_id = $1 AND cm.chat_id = ANY($2::uuid[])`,
      [memberId, valid],
    );
    return new Map(rows.map((row) => [row.id, Number(row.version)]));
  }

  /** The latest version of each of `chatIds` that exists. */
  async chatVersions(chatIds: readonly string[]): Promise<Map<string, number>> {
    const valid = chatIds.filter(isStoreId);
    if (valid.length === 0) return new Map();
    const rows = await this.db.query<{ id: string; version: string }>(
      'SELECT id, version FROM chats WHERE id = ANY($1::uuid[])',
      [valid],
    );
    return new Map(rows.map((row) => [row.id, Number(row.version)]));
  }

  /**
   * Moves `userId`'s read position in `chatId` up to `messageId` — never back: a message at or
   * before the current position leaves it where it is (moved=false). The unread count comes
   * from the same transaction, after the move.
   *
   * A move locks the chat row first, as sends and member changes do before they touch member
   * rows (locked the other way round, a send holding the chat and waiting for this member's row
   * would deadlock with this move waiting for the chat). Under that lock no send of the chat
   * commits, so the recount is exact, and the chat's copy of its members' read positions
   * (read_seqs, which the chat list reads) is rewritten with the move.
   */
  async markRead(chatId: string, userId: string, messageId: string): Promise<MarkReadResult> {
    if (!isStoreId(chatId)) return { outcome: 'not_member' };
    if (!isStoreId(messageId)) return { outcome: 'unknown_message' };
    return this.db.transaction(async (tx) => {
      const [member] = await tx.query<Counters & { found: boolean; moved: boolean }>(
        `SELECT cm.unread_count, cm.unread_mention_count, t.created_at IS NOT NULL AS found, cm.last_read_seq,
                t.created_at > COALESCE(cm.last_read_at, '-infinity'::timestamptz) AS moved
           FROM chat_members cm
           LEFT JOIN LATERAL (SELECT created_at FROM messages WHERE id = $3 AND chat_id = $1) t ON true
          WHERE cm.chat_id = $1 AND cm.user_id = $2`,
        [chatId, userId, messageId],
      );
      if (!member) {
        const found = await tx.query('SELECT 1 FROM messages WHERE id = $1 AND chat_id = $2', [messageId, chatId]);
        return found.length === 0 ? { outcome: 'unknown_message' } : { outcome: 'not_member' };
      }
      if (!member.found) return { outcome: 'unknown_message' };
      if (!member.moved) {
        return marked(false, member);
      }
      await tx.query('SELECT 1 FROM chats WHERE id = $1 FOR UPDATE', [chatId]);
      const [moved] = await tx.query<Counters>(
        `UPDATE chat_members cm
            SET last_read_at = t.created_at, last_read_seq = t.seq,
                (unread_count, unread_mention_count) = ${unreadCounts('cm', 't.created_at')}
           FROM messages t
          WHERE t.id = $3 AND cm.chat_id = $1 AND cm.user_id = $2
            AND t.created_at > COALESCE(cm.last_read_at, '-infinity'::timestamptz)
      RETURNING cm.unread_count, cm.unread_mention_count, cm.last_read_seq`,
        [chatId, userId, messageId],
      );
      if (!moved) {
        // Between the look and the lock the member left, or another mark_read moved further.
        const [now] = await tx.query<Counters>(
          'SELECT unread_count, unread_mention_count, last_read_seq FROM chat_members WHERE chat_id = $1 AND user_id = $2',
          [chatId, userId],
        );
        if (!now) return { outcome: 'not_member' };
        return marked(false, now);
      }
      await tx.query(`UPDATE chats c SET read_seqs = ${memberList('last_read_seq', 'c.id')} WHERE c.id = $1`, [chatId]);
      return marked(true, moved);
    });
  }

  async findMessageRef(messageId: string): Promise<MessageRef | undefined> {
    if (!isStoreId(messageId)) return undefined;
    const rows = await this.db.query<{ chat_id: string; sender_id: string; deleted: boolean }>(
      'SELECT chat_id, sender_id, deleted_at IS NOT NULL AS deleted FROM messages WHERE id = $1',
      [messageId],
    );
    const row = rows[0];
    return row && { chatId: row.chat_id, senderId: row.sender_id, deleted: row.deleted };
  }

  /** The message as it is now, its reactions without `me`. */
  async findMessage(messageId: string): Promise<Message | undefined> {
    if (!isStoreId(messageId)) return undefined;
    return (await this.findMessages('m.id = $1', [messageId]))[0];
  }

  /**
   * Replaces the text of `senderId`'s own message and stamps `edited_at`, and resolves its
   * mentions again from the new text. Undefined when there is no such message of that sender or
   * it is deleted. created_at, and so the order, is unchanged. The edited message comes back with
   * its reactions as the sender sees them: those of the edit's version, as every reaction change
   * takes the chat's row lock that the edit holds.
   */
  editMessage(messageId: string, senderId: string, text: string): Promise<Message | undefined> {
    return this.changeOwnMessage(
      messageId,
      senderId,
      `text = $3, edited_at = ${NOW_MS}, mention_ids = ${mentionIds('$3', 'messages.chat_id')}`,
      [text],
    );
  }

  /**
   * Turns `senderId`'s own message into a tombstone: text and mentions erased, `deleted_at`
   * stamped (and so the message taken off the unread counters of the members who had not read
   * it), unpinned. Its reactions are left to go with it, never read again (message-form.ts).
   */
  deleteMessage(messageId: string, senderId: string): Promise<Message | undefined> {
    return this.changeOwnMessage(
      messageId,
      senderId,
      `text = '', mention_ids = NULL, deleted_at = ${NOW_MS}, pinned_at = NULL, pinned_by = NULL`,
      [],
    );
  }

  /**
   * Changes `senderId`'s own live message (`assignments`, with `params` from $3): the change takes
   * the chat's next version, each member's unread counter moves by what it does to the unread
   * rule (isUnread: a deletion takes the message off), their unread mention counter by what it
   * does to the mention rule (isUnreadMention: an edit can add or remove a mention), and the
   * chat's copy of the message is rewritten when it is the chat's last (ChatStore.listChats). The chat row is locked first, as
   * sends do: versions are taken in one order, the chat's counters change in one order, and no
   * send can move the last message in between.
   */
  private async changeOwnMessage(
    messageId: string,
    senderId: string,
    assignments: string,
    params: unknown[],
  ): Promise<Message | undefined> {
    if (!isStoreId(messageId)) return undefined;
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM chats WHERE id = (SELECT chat_id FROM messages WHERE id = $1) FOR UPDATE', [
        messageId,
      ]);
      // Under the lock nothing else changes the message: if it can be changed now, it will be.
      const [result] = await tx.query<{ changed: string | null }>(
        `WITH target AS (
           SELECT chat_id, sender_id, created_at, deleted_at, mention_ids
             FROM messages WHERE id = $1 AND sender_id = $2 AND deleted_at IS NULL
         ), versioned AS (
           UPDATE chats c SET version = c.version + 1 FROM target t WHERE c.id = t.chat_id
           RETURNING c.version
         ), changed AS (
           UPDATE messages SET ${assignments}, version = (SELECT version FROM versioned)
            WHERE id = $1 AND sender_id = $2 AND deleted_at IS NULL
           RETURNING id, text, sender_id, chat_id, created_at, edited_at, deleted_at, seq, version, reply_to_id,
                     pinned_at, pinned_by, mention_ids
         ), unread AS (
           UPDATE chat_members cm
              SET unread_count = cm.unread_count + ${isUnread('c', 'cm')}::int - ${isUnread('t', 'cm')}::int,
                  unread_mention_count = cm.unread_mention_count
                    + ${isUnreadMention('c', 'cm')}::int - ${isUnreadMention('t', 'cm')}::int
             FROM target t, changed c
            WHERE cm.chat_id = t.chat_id
              AND (${isUnread('c', 'cm')} <> ${isUnread('t', 'cm')} OR ${isUnreadMention('c', 'cm')} <> ${isUnreadMention('t', 'cm')})
         )
         SELECT json_agg(${messageTuple('r', { reader: '$2::uuid' })})::text AS changed
           FROM (SELECT changed.*, ${SENDER_COLUMNS} FROM changed JOIN users u ON u.id = changed.sender_id) r`,
        [messageId, senderId, ...params],
      );
      const [changed] = parseMessageTuples(result?.changed);
      if (!changed) return undefined;
      await tx.query(
        `UPDATE chats c
            SET last_message = ${messageSummary('m')}
           FROM messages m
          WHERE m.id = $1 AND c.id = m.chat_id AND c.last_message_id = m.id`,
        [messageId],
      );
      return changed;
    });
  }
}

/** A member's counters and read position as markRead reads them. */
interface Counters {
  unread_count: number;
  unread_mention_count: number;
  last_read_seq: string;
}

function marked(moved: boolean, counters: Counters): MarkReadResult {
  return {
    outcome: 'marked',
    moved,
    unreadCount: counters.unread_count,
    unreadMentionCount: counters.unread_mention_count,
    seq: Number(counters.last_read_seq),
  };
}
const attachmentsRefused: InsertMessageResult = { outcome: 'attachments_refused' };

/** A chat id that names no chat: insert_message_batch stores nothing for it. */
const NO_CHAT = '00000000-0000-0000-0000-000000000000';

function isDuplicateClientId(error: unknown): boolean {
  return isUniqueViolation(error, 'messages_client_id');
}
