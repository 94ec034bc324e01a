import { createHash, randomUUID } from 'node:crypto';
import type { ChatSummary, Message, PublicUser } from '../protocol/types.js';
import type { Database, SqlExecutor } from './database.js';

/**
 * Everything Parley keeps, as PostgreSQL SQL written once for both connections. The store knows
 * no access rules beyond what a query needs; the services decide who may do what.
 */

export interface UserRecord extends PublicUser {
  /** Null for users created from an external identity provider's token. */
  passwordHash: string | null;
}

/** Raised when a unique column is taken; `field` is the column a client would fix. */
export class UniqueViolation extends Error {
  constructor(readonly field: 'email' | 'username') {
    super(`${field} already taken`);
    this.name = 'UniqueViolation';
  }
}

/** What an external identity provider's token says about its user. */
export interface ExternalUserClaims {
  /** The provider's subject (`sub`, or `id` / `userId`). */
  externalId: string;
  email?: string | undefined;
  /** `preferred_username`, else `username`. */
  username?: string | undefined;
}

const USERNAME = /^[\p{L}\p{N}_.-]{3,32}$/u;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;

/** The claimed username if valid; else one made of its (or the email's) allowed characters. */
function externalUsername(claims: ExternalUserClaims): string {
  const claimed = claims.username?.trim();
  if (claimed && USERNAME.test(claimed)) return claimed;
  const sources = [claimed, claims.email?.split('@')[0]];
  for (const source of sources) {
    const cleaned = (source ?? '').replace(/[^\p{L}\p{N}_.-]/gu, '').slice(0, 32);
    if (cleaned.length >= 3) return cleaned;
  }
  return `user_${createHash('sha256').update(claims.externalId).digest('hex').slice(0, 10)}`;
}

function externalEmail(email: string | undefined): string | undefined {
  const trimmed = email?.trim().toLowerCase();
  return trimmed && trimmed.length <= 254 && EMAIL.test(trimmed) ? trimmed : undefined;
}

/** A unique, undeliverable address (RFC 2606 `.invalid`) for a subject without a usable email. */
function placeholderEmail(externalId: string): string {
  return `${createHash('sha256').update(externalId).digest('hex').slice(0, 24)}@external.invalid`;
}

export interface NewMessage {
  chatId: string;
  senderId: string;
  text: string;
  clientMessageId?: string | undefined;
}

export type InsertMessageResult =
  | { outcome: 'created'; message: Message }
  /** Same clientMessageId from the same sender in the same chat: the stored original. */
  | { outcome: 'duplicate'; message: Message }
  | { outcome: 'not_member' };

export interface HistoryPage {
  messages: Message[];
  hasMore: boolean;
}

export interface HistoryRange {
  /** Message id: only messages strictly older. */
  before?: string | undefined;
  /** Message id: only messages strictly newer; the page then starts right after it. */
  after?: string | undefined;
  limit: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else names no row (and must not reach a uuid cast). */
export function isStoreId(value: string): boolean {
  return UUID.test(value);
}

interface MessageRow {
  id: string;
  text: string;
  sender_id: string;
  chat_id: string;
  /** A Date read from a row, or ISO 8601 text with an offset from a row built as JSON. */
  created_at: Date | string;
  email: string;
  username: string;
  /** Absent where a query does not select them (a message just inserted has neither). */
  edited_at?: Date | string | null;
  deleted_at?: Date | string | null;
}

const MESSAGE_COLUMNS = `m.id, m.text, m.sender_id, m.chat_id, m.created_at, m.edited_at, m.deleted_at, u.email, u.username`;
const MESSAGE_FROM = `messages m JOIN users u ON u.id = m.sender_id`;

/** Messages from others after the member `cm`'s read position; tombstones are not unread. */
const UNREAD_COUNT = `(SELECT count(*)::int FROM messages um
    WHERE um.chat_id = cm.chat_id AND um.sender_id <> cm.user_id AND um.deleted_at IS NULL
      AND um.created_at > COALESCE(cm.last_read_at, '-infinity'::timestamptz))`;

/** Milliseconds, like created_at, so that the ISO form round-trips. */
const NOW_MS = `date_trunc('milliseconds', clock_timestamp())`;

/** The seed's shape; `editedAt` / `deletedAt` appear only once set (fields are only ever added). */
function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: row.id,
    text: row.text,
    sender: row.sender_id,
    chatId: row.chat_id,
    createdAt: new Date(row.created_at).toISOString(),
    user: { id: row.sender_id, email: row.email, username: row.username },
  };
  if (row.edited_at) message.editedAt = new Date(row.edited_at).toISOString();
  if (row.deleted_at) message.deletedAt = new Date(row.deleted_at).toISOString();
  return message;
}

/** Where a message lives and who wrote it: what edit/delete need to decide access. */
export interface MessageRef {
  chatId: string;
  senderId: string;
  deleted: boolean;
}

export type MarkReadResult =
  /** `moved` is false when the position already was at or after the message (it never moves back). */
  | { outcome: 'marked'; moved: boolean; unreadCount: number }
  | { outcome: 'unknown_message' }
  | { outcome: 'not_member' };

export class Store {
  constructor(private readonly db: Database) {}

  // ---- users -------------------------------------------------------------------------------

  async createUser(user: { email: string; username: string; passwordHash: string | null }): Promise<PublicUser> {
    const id = randomUUID();
    try {
      await this.db.query('INSERT INTO users (id, email, username, password_hash) VALUES ($1, $2, $3, $4)', [
        id,
        user.email,
        user.username,
        user.passwordHash,
      ]);
    } catch (error) {
      throw asUniqueViolation(error);
    }
    return { id, email: user.email, username: user.username };
  }

  async findUserById(id: string): Promise<PublicUser | undefined> {
    if (!isStoreId(id)) return undefined;
    const rows = await this.db.query<PublicUser>('SELECT id, email, username FROM users WHERE id = $1', [id]);
    return rows[0];
  }

  /** Case-insensitive lookup by email or username, with the password hash (login only). */
  async findUserForLogin(by: { email: string } | { username: string }): Promise<UserRecord | undefined> {
    const [column, value] = 'email' in by ? ['email', by.email] : ['username', by.username];
    const rows = await this.db.query<UserRecord>(
      `SELECT id, email, username, password_hash AS "passwordHash" FROM users WHERE lower(${column}) = lower($1)`,
      [value],
    );
    return rows[0];
  }

  /** Users whose username or email starts with `prefix` (case-insensitive), except one. */
  async searchUsers(prefix: string, exceptUserId: string, limit: number): Promise<PublicUser[]> {
    const pattern = `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.db.query<PublicUser>(
      `SELECT id, email, username FROM users
        WHERE (lower(username) LIKE $1 OR lower(email) LIKE $1) AND id <> $2
        ORDER BY lower(username), id
        LIMIT $3`,
      [pattern, exceptUserId, limit],
    );
  }

  /** The subset of `ids` that are existing users. */
  async existingUserIds(ids: readonly string[]): Promise<string[]> {
    const valid = ids.filter(isStoreId);
    if (valid.length === 0) return [];
    const rows = await this.db.query<{ id: string }>('SELECT id FROM users WHERE id = ANY($1::uuid[])', [valid]);
    return rows.map((row) => row.id);
  }

  /**
   * Deletes a user; their memberships and messages go with them (foreign keys), so the unread
   * counters of the chats they wrote in are counted again. The chats they wrote in or belong to
   * are locked first, as sends and membership changes do.
   */
  async deleteUser(id: string): Promise<void> {
    if (!isStoreId(id)) return;
    await this.db.transaction(async (tx) => {
      const locked = await tx.query<{ id: string; wrote: boolean }>(
        `SELECT id, id IN (SELECT chat_id FROM messages WHERE sender_id = $1) AS wrote FROM chats
          WHERE id IN (SELECT chat_id FROM messages WHERE sender_id = $1
                       UNION SELECT chat_id FROM chat_members WHERE user_id = $1)
          ORDER BY id FOR UPDATE`,
        [id],
      );
      await tx.query('DELETE FROM users WHERE id = $1', [id]);
      const recount = locked.filter((chat) => chat.wrote).map((chat) => chat.id);
      if (recount.length === 0) return;
      await tx.query(`UPDATE chat_members cm SET unread_count = ${UNREAD_COUNT} WHERE cm.chat_id = ANY($1::uuid[])`, [
        recount,
      ]);
    });
  }

  /**
   * The user an external identity provider's subject maps to, created on first sight from the
   * token's claims. The user's id is a fresh uuid; `externalId` is kept in `users.external_id`.
   * No check-then-insert: the insert itself arbitrates on the unique external_id, so concurrent
   * first connects of one subject all get the one row that won. A username that is missing,
   * invalid or taken is derived (suffixed until free); an email that is missing, invalid or taken
   * by another account becomes a placeholder `<hash>@external.invalid` — accounts are never
   * linked by email, which the provider may not have verified.
   */
  async findOrCreateExternalUser(claims: ExternalUserClaims): Promise<PublicUser> {
    const base = externalUsername(claims);
    let email = externalEmail(claims.email) ?? placeholderEmail(claims.externalId);
    let username = base;
    for (let attempt = 0; attempt < 8; attempt++) {
      const found = await this.db.query<PublicUser>('SELECT id, email, username FROM users WHERE external_id = $1', [
        claims.externalId,
      ]);
      if (found[0]) return found[0];
      try {
        const inserted = await this.db.query<PublicUser>(
          `INSERT INTO users (id, email, username, password_hash, external_id) VALUES ($1, $2, $3, NULL, $4)
           ON CONFLICT (external_id) DO NOTHING RETURNING id, email, username`,
          [randomUUID(), email, username, claims.externalId],
        );
        if (inserted[0]) return inserted[0];
        // Another connect of the same subject won: the next round finds its row.
      } catch (error) {
        const taken = asUniqueViolation(error);
        if (!(taken instanceof UniqueViolation)) throw error;
        // Taken by someone else — or by a concurrent insert of this very subject, which the next
        // round finds before trying another name.
        if (taken.field === 'email') email = placeholderEmail(claims.externalId);
        else username = `${base.slice(0, 32 - 7)}_${randomUUID().slice(0, 6)}`;
      }
    }
    throw new Error('could not create a user for an external subject');
  }

  // ---- chats -------------------------------------------------------------------------------

  /**
   * Creates a chat with its members. A direct chat is keyed by its pair of users: when that pair
   * already has one, nothing is written and the existing chat's id comes back with created=false.
   */
  async createChat(chat: {
    name: string | null;
    memberIds: readonly string[];
    direct: boolean;
  }): Promise<{ chatId: string; created: boolean }> {
    const directKey = chat.direct ? [...chat.memberIds].sort().join(':') : null;
    return this.db.transaction(async (tx) => {
      const id = randomUUID();
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO chats (id, name, direct_key) VALUES ($1, $2, $3)
         ON CONFLICT (direct_key) DO NOTHING RETURNING id`,
        [id, chat.name, directKey],
      );
      if (inserted.length === 0) {
        const existing = await tx.query<{ id: string }>('SELECT id FROM chats WHERE direct_key = $1', [directKey]);
        return { chatId: existing[0]!.id, created: false };
      }
      await tx.query('INSERT INTO chat_members (chat_id, user_id) SELECT $1, unnest($2::uuid[])', [
        id,
        chat.memberIds,
      ]);
      return { chatId: id, created: true };
    });
  }

  async isMember(chatId: string, userId: string): Promise<boolean> {
    if (!isStoreId(chatId)) return false;
    const rows = await this.db.query('SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2', [
      chatId,
      userId,
    ]);
    return rows.length > 0;
  }

  /**
   * Every chat `userId` belongs to, most recent activity first, each with its members, last
   * message and unread count — in two queries whatever the number of chats: the chats (the unread
   * count is the member's counter, the members the chat's id list kept by migration 5's trigger),
   * then each user named in them once.
   *
   * The chats come back as one JSON array built by PostgreSQL rather than as rows: PGlite decodes
   * every field of a row in JavaScript (a copy and a text decode each), which made 1,000 chats of
   * ten fields cost about twice as much as building and parsing the JSON; PostgreSQL pays ~2 ms
   * more for it (docs/performance.md).
   */
  async listChats(userId: string, onlyChatId?: string): Promise<ChatSummary[]> {
    type ChatTuple = [
      id: string,
      name: string | null,
      unreadCount: number,
      memberIds: string,
      messageId: string | null,
      text: string | null,
      senderId: string | null,
      createdAt: string | null,
      editedAt: string | null,
      deletedAt: string | null,
    ];
    const [list] = await this.db.query<{ chats: string | null }>(
      `SELECT json_agg(json_build_array(c.id, c.name, cm.unread_count, c.member_ids,
                                        m.id, m.text, m.sender_id, m.created_at, m.edited_at, m.deleted_at)
                       ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC)::text AS chats
         FROM chat_members cm
         JOIN chats c ON c.id = cm.chat_id
         LEFT JOIN messages m ON m.id = c.last_message_id
        WHERE cm.user_id = $1 AND ($2::uuid IS NULL OR cm.chat_id = $2::uuid)`,
      [userId, onlyChatId ?? null],
    );
    if (!list?.chats) return [];
    const chats = JSON.parse(list.chats) as ChatTuple[];
    const memberIds = chats.map((chat) => chat[3].split(','));
    const named = new Set<string>(memberIds.flat());
    for (const chat of chats) if (chat[6]) named.add(chat[6]);
    const users = new Map(
      (await this.db.query<PublicUser>('SELECT id, email, username FROM users WHERE id = ANY($1::uuid[])', [[...named]])).map(
        (user) => [user.id, user],
      ),
    );
    return chats.map(([id, name, unreadCount, , messageId, text, senderId, createdAt, editedAt, deletedAt], i) => {
      // A user deleted between the two queries took their memberships and messages along.
      const sender = senderId ? users.get(senderId) : undefined;
      return {
        id,
        name,
        users: memberIds[i]!.flatMap((memberId) => users.get(memberId) ?? []),
        messages:
          messageId && sender
            ? [
                toMessage({
                  id: messageId,
                  text: text!,
                  sender_id: sender.id,
                  chat_id: id,
                  created_at: createdAt!,
                  edited_at: editedAt,
                  deleted_at: deletedAt,
                  email: sender.email,
                  username: sender.username,
                }),
              ]
            : [],
        unreadCount,
      };
    });
  }

  // ---- messages ----------------------------------------------------------------------------

  /** Stores one message if the sender is a member of the chat (a batch of one, see insertMessages). */
  async insertMessage(message: NewMessage): Promise<InsertMessageResult> {
    try {
      return (await this.writeBatch([message]))[0]!;
    } catch (error) {
      // The whole transaction failed, so the chat's last message was not moved either.
      if (!isDuplicateClientId(error)) throw error;
      return { outcome: 'duplicate', message: await this.findByClientId(message) };
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
   * One transaction of two statements: lock the batch's chats in id order (two batches sharing
   * chats cannot deadlock), then one multi-row statement that checks membership, stamps
   * `created_at`, moves each chat's last message, inserts the messages and adds them to the other
   * members' unread counters. Runs in an explicit transaction: if the connection dies while
   * waiting for a lock, the server rolls it back rather than committing a message whose sender was
   * told UNAVAILABLE.
   *
   * Ordering invariant: the chat row stays locked until commit and each message is stamped
   * strictly after the chat's previous one, so within a chat (created_at, id) increases in commit
   * order, even within one millisecond. The second statement starts after the locks are held, so
   * it sees every member added before (addMembers takes the same lock) and bumps their counters.
   */
  private async writeBatch(messages: readonly NewMessage[]): Promise<InsertMessageResult[]> {
    const valid = messages.filter((m) => isStoreId(m.chatId));
    if (valid.length === 0) return messages.map(() => ({ outcome: 'not_member' }));
    const ids = valid.map(() => randomUUID());
    const rows = await this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM chats WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [
        [...new Set(valid.map((m) => m.chatId))],
      ]);
      return tx.query<MessageRow>(
        `WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[])
                    WITH ORDINALITY AS t(id, chat_id, sender_id, text, client_message_id, ord)
         ), allowed AS (
           SELECT t.*, row_number() OVER (PARTITION BY t.chat_id ORDER BY t.ord) AS rn,
                  count(*) OVER (PARTITION BY t.chat_id) AS n
             FROM input t
            WHERE EXISTS (SELECT 1 FROM chat_members m WHERE m.chat_id = t.chat_id AND m.user_id = t.sender_id)
         ), stamp AS (
           -- One row per chat: its last message of the batch, stamped n-1 ms after the first.
           UPDATE chats c
              SET last_message_at = GREATEST(date_trunc('milliseconds', clock_timestamp()),
                                             c.last_message_at + interval '1 millisecond')
                                    + interval '1 millisecond' * (a.n - 1),
                  last_message_id = a.id
             FROM allowed a
            WHERE c.id = a.chat_id AND a.rn = a.n
        RETURNING c.id AS chat_id, c.last_message_at
         ), ins AS (
           INSERT INTO messages (id, chat_id, sender_id, text, client_message_id, created_at)
           SELECT a.id, a.chat_id, a.sender_id, a.text, a.client_message_id,
                  s.last_message_at - interval '1 millisecond' * (a.n - a.rn)
             FROM allowed a JOIN stamp s ON s.chat_id = a.chat_id
           RETURNING id, text, sender_id, chat_id, created_at
         ), unread AS (
           -- New messages come after every read position: each counts for every other member.
           UPDATE chat_members cm SET unread_count = cm.unread_count + b.n
             FROM (SELECT a.chat_id, o.user_id, count(*)::int AS n
                     FROM allowed a JOIN chat_members o ON o.chat_id = a.chat_id AND o.user_id <> a.sender_id
                    GROUP BY a.chat_id, o.user_id) b
            WHERE cm.chat_id = b.chat_id AND cm.user_id = b.user_id
         )
         SELECT ins.*, u.email, u.username FROM ins JOIN users u ON u.id = ins.sender_id`,
        [
          ids,
          valid.map((m) => m.chatId),
          valid.map((m) => m.senderId),
          valid.map((m) => m.text),
          valid.map((m) => m.clientMessageId ?? null),
        ],
      );
    });
    const stored = new Map(rows.map((row) => [row.id, toMessage(row)]));
    const byInput = new Map(valid.map((message, i) => [message, stored.get(ids[i]!)]));
    return messages.map((message) => {
      const created = byInput.get(message);
      return created ? { outcome: 'created', message: created } : { outcome: 'not_member' };
    });
  }

  private async findByClientId(message: NewMessage): Promise<Message> {
    const rows = await this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.chat_id = $1 AND m.sender_id = $2 AND m.client_message_id = $3`,
      [message.chatId, message.senderId, message.clientMessageId],
    );
    return toMessage(rows[0]!);
  }

  /**
   * One page of a chat's history, oldest first. Without `after` it is the newest `limit` messages
   * (older than `before` if given) and hasMore says whether older ones exist; with `after` it is
   * the oldest `limit` messages after it (and before `before`) and hasMore says whether newer ones
   * exist. Returns `badCursor` when a cursor is not a message of this chat.
   *
   * The page is empty unless `memberId` is a member of the chat: the caller, which must answer
   * FORBIDDEN before anything else, checks membership when the page is empty or a cursor is bad.
   *
   * One query: membership and each cursor's position are read by subqueries that PostgreSQL runs
   * once, before the keyset scan (InitPlans, so the row comparison stays an index condition). A
   * cursor that is not in the chat compares as NULL and empties the page, so only an empty page
   * pays for telling "nothing there" from "no such cursor".
   */
  async listMessages(
    chatId: string,
    memberId: string,
    range: HistoryRange,
  ): Promise<HistoryPage | { badCursor: 'before' | 'after' }> {
    if (!isStoreId(chatId) || !isStoreId(memberId)) return { messages: [], hasMore: false };
    const cursorFields = (['before', 'after'] as const).filter((field) => range[field] !== undefined);
    for (const field of cursorFields) if (!isStoreId(range[field]!)) return { badCursor: field };
    const params: unknown[] = [chatId, memberId];
    const cursors = cursorFields.map((field) => {
      params.push(range[field]);
      return `(m.created_at, m.id) ${field === 'before' ? '<' : '>'}
        (SELECT c.created_at, c.id FROM messages c WHERE c.id = $${params.length} AND c.chat_id = $1)`;
    });
    const ascending = range.after !== undefined;
    params.push(range.limit + 1);
    const rows = await this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.chat_id = $1 AND EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = $1 AND cm.user_id = $2)
          ${cursors.map((c) => `AND ${c}`).join(' ')}
        ORDER BY m.created_at ${ascending ? 'ASC' : 'DESC'}, m.id ${ascending ? 'ASC' : 'DESC'}
        LIMIT $${params.length}`,
      params,
    );
    if (rows.length === 0) {
      for (const field of cursorFields) {
        const found = await this.db.query('SELECT 1 FROM messages WHERE id = $1 AND chat_id = $2', [range[field], chatId]);
        if (found.length === 0) return { badCursor: field };
      }
    }
    const hasMore = rows.length > range.limit;
    const page = rows.slice(0, range.limit).map(toMessage);
    return { messages: ascending ? page : page.reverse(), hasMore };
  }

  // ---- membership changes ------------------------------------------------------------------

  /** Whether the chat is direct (a pair) or a group; undefined when there is no such chat. */
  async chatKind(chatId: string): Promise<'direct' | 'group' | undefined> {
    if (!isStoreId(chatId)) return undefined;
    const rows = await this.db.query<{ direct: boolean }>('SELECT direct_key IS NOT NULL AS direct FROM chats WHERE id = $1', [
      chatId,
    ]);
    return rows[0] && (rows[0].direct ? 'direct' : 'group');
  }

  /** The chat's members in the order they joined (as in the chat list's `users`). */
  async chatMembers(chatId: string): Promise<PublicUser[]> {
    if (!isStoreId(chatId)) return [];
    return this.db.query<PublicUser>(
      `SELECT u.id, u.email, u.username FROM chat_members cm JOIN users u ON u.id = cm.user_id
        WHERE cm.chat_id = $1 ORDER BY cm.joined_at, u.id`,
      [chatId],
    );
  }

  /** Every chat `userId` belongs to, by id. */
  async chatIdsOf(userId: string): Promise<string[]> {
    if (!isStoreId(userId)) return [];
    const rows = await this.db.query<{ chat_id: string }>('SELECT chat_id FROM chat_members WHERE user_id = $1', [userId]);
    return rows.map((row) => row.chat_id);
  }

  /** Everyone who shares at least one chat with `userId` (not the user themselves). */
  async chatPartnerIds(userId: string): Promise<string[]> {
    if (!isStoreId(userId)) return [];
    const rows = await this.db.query<{ user_id: string }>(
      `SELECT DISTINCT other.user_id FROM chat_members mine
         JOIN chat_members other ON other.chat_id = mine.chat_id
        WHERE mine.user_id = $1 AND other.user_id <> $1`,
      [userId],
    );
    return rows.map((row) => row.user_id);
  }

  /**
   * Adds users to a chat; returns those that were not members yet (and now are). A new member has
   * read nothing: their unread counter starts at the others' messages of the whole history. The
   * chat row is locked first, as sends do: a send either committed before (and is counted here) or
   * starts after this commit (and sees the new member).
   */
  async addMembers(chatId: string, userIds: readonly string[]): Promise<string[]> {
    const valid = userIds.filter(isStoreId);
    if (!isStoreId(chatId) || valid.length === 0) return [];
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM chats WHERE id = $1 FOR UPDATE', [chatId]);
      const rows = await tx.query<{ user_id: string }>(
        `WITH sent AS (
           SELECT sender_id, count(*)::int AS n FROM messages
            WHERE chat_id = $1 AND deleted_at IS NULL GROUP BY sender_id
         )
         INSERT INTO chat_members (chat_id, user_id, unread_count)
         SELECT $1, new.user_id,
                COALESCE((SELECT sum(n) FROM sent WHERE sender_id <> new.user_id), 0)
           FROM unnest($2::uuid[]) AS new(user_id)
         ON CONFLICT (chat_id, user_id) DO NOTHING RETURNING user_id`,
        [chatId, valid],
      );
      return rows.map((row) => row.user_id);
    });
  }

  /**
   * Removes a member (and with it their read position); false when they were not one. The chat
   * row is locked first, as every change of a chat's members does (migration 5).
   */
  async removeMember(chatId: string, userId: string): Promise<boolean> {
    if (!isStoreId(chatId)) return false;
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM chats WHERE id = $1 FOR UPDATE', [chatId]);
      const rows = await tx.query('DELETE FROM chat_members WHERE chat_id = $1 AND user_id = $2 RETURNING 1', [
        chatId,
        userId,
      ]);
      return rows.length > 0;
    });
  }

  // ---- read state, edits and tombstones ----------------------------------------------------

  /**
   * Moves `userId`'s read position in `chatId` up to `messageId` — never back: a message at or
   * before the current position leaves it where it is (moved=false). The unread count comes
   * from the same transaction, after the move.
   *
   * The member's row is locked first and changed by one later statement, which therefore sees
   * every send that bumped the counter before (a later send bumps it after this commit). One
   * UPDATE, not two: a second update of a row this transaction already changed would recheck its
   * foreign key, taking a lock on the chat row that a send holding the chat and waiting for this
   * row would never release (a deadlock).
   */
  async markRead(chatId: string, userId: string, messageId: string): Promise<MarkReadResult> {
    if (!isStoreId(chatId)) return { outcome: 'not_member' };
    if (!isStoreId(messageId)) return { outcome: 'unknown_message' };
    return this.db.transaction(async (tx) => {
      const [member] = await tx.query<{ unread_count: number; found: boolean; moved: boolean }>(
        `SELECT cm.unread_count, t.created_at IS NOT NULL AS found,
                t.created_at > COALESCE(cm.last_read_at, '-infinity'::timestamptz) AS moved
           FROM chat_members cm
           LEFT JOIN LATERAL (SELECT created_at FROM messages WHERE id = $3 AND chat_id = $1) t ON true
          WHERE cm.chat_id = $1 AND cm.user_id = $2
            FOR UPDATE OF cm`,
        [chatId, userId, messageId],
      );
      if (!member) {
        const found = await tx.query('SELECT 1 FROM messages WHERE id = $1 AND chat_id = $2', [messageId, chatId]);
        return found.length === 0 ? { outcome: 'unknown_message' } : { outcome: 'not_member' };
      }
      if (!member.found) return { outcome: 'unknown_message' };
      if (!member.moved) return { outcome: 'marked', moved: false, unreadCount: member.unread_count };
      const [moved] = await tx.query<{ unread_count: number }>(
        `UPDATE chat_members cm
            SET last_read_at = t.created_at,
                unread_count = (SELECT count(*)::int FROM messages um
                                 WHERE um.chat_id = cm.chat_id AND um.sender_id <> cm.user_id
                                   AND um.deleted_at IS NULL AND um.created_at > t.created_at)
           FROM messages t
          WHERE t.id = $3 AND cm.chat_id = $1 AND cm.user_id = $2
      RETURNING cm.unread_count`,
        [chatId, userId, messageId],
      );
      return { outcome: 'marked', moved: true, unreadCount: moved!.unread_count };
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

  async findMessage(messageId: string): Promise<Message | undefined> {
    if (!isStoreId(messageId)) return undefined;
    const rows = await this.db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = $1`, [
      messageId,
    ]);
    return rows[0] && toMessage(rows[0]);
  }

  /**
   * Replaces the text of `senderId`'s own message and stamps `edited_at`. Undefined when there is
   * no such message of that sender or it is deleted. created_at, and so the order, is unchanged.
   */
  editMessage(messageId: string, senderId: string, text: string): Promise<Message | undefined> {
    return this.updateOwnMessage(messageId, senderId, `text = $3, edited_at = ${NOW_MS}`, [text]);
  }

  /**
   * Turns `senderId`'s own message into a tombstone: text erased, `deleted_at` stamped, and the
   * message taken off the unread counters of the members who had not read it. The chat row is
   * locked first, as sends do, so that the counters of the chat's members change in one order.
   */
  async deleteMessage(messageId: string, senderId: string): Promise<Message | undefined> {
    if (!isStoreId(messageId)) return undefined;
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM chats WHERE id = (SELECT chat_id FROM messages WHERE id = $1) FOR UPDATE', [messageId]);
      const rows = await tx.query<MessageRow>(
        `WITH changed AS (
           UPDATE messages SET text = '', deleted_at = ${NOW_MS}
            WHERE id = $1 AND sender_id = $2 AND deleted_at IS NULL
           RETURNING id, text, sender_id, chat_id, created_at, edited_at, deleted_at
         ), unread AS (
           UPDATE chat_members cm SET unread_count = cm.unread_count - 1
             FROM changed c
            WHERE cm.chat_id = c.chat_id AND cm.user_id <> c.sender_id
              AND c.created_at > COALESCE(cm.last_read_at, '-infinity'::timestamptz)
         )
         SELECT changed.*, u.email, u.username FROM changed JOIN users u ON u.id = changed.sender_id`,
        [messageId, senderId],
      );
      return rows[0] && toMessage(rows[0]);
    });
  }

  private async updateOwnMessage(
    messageId: string,
    senderId: string,
    assignments: string,
    params: unknown[],
  ): Promise<Message | undefined> {
    if (!isStoreId(messageId)) return undefined;
    const rows = await this.db.query<MessageRow>(
      `WITH changed AS (
         UPDATE messages SET ${assignments}
          WHERE id = $1 AND sender_id = $2 AND deleted_at IS NULL
         RETURNING id, text, sender_id, chat_id, created_at, edited_at, deleted_at
       )
       SELECT changed.*, u.email, u.username FROM changed JOIN users u ON u.id = changed.sender_id`,
      [messageId, senderId, ...params],
    );
    return rows[0] && toMessage(rows[0]);
  }
}

function isDuplicateClientId(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; message?: string };
  return e?.code === '23505' && `${e.constraint ?? ''} ${e.message ?? ''}`.includes('messages_client_id');
}

function asUniqueViolation(error: unknown): unknown {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e?.code !== '23505') return error;
  const where = `${e.constraint ?? ''} ${e.message ?? ''}`;
  if (where.includes('users_email_key')) return new UniqueViolation('email');
  if (where.includes('users_username_key')) return new UniqueViolation('username');
  return error;
}
