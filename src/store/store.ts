import { randomUUID } from 'node:crypto';
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
  created_at: Date;
  email: string;
  username: string;
}

const MESSAGE_COLUMNS = `m.id, m.text, m.sender_id, m.chat_id, m.created_at, u.email, u.username`;
const MESSAGE_FROM = `messages m JOIN users u ON u.id = m.sender_id`;

function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    text: row.text,
    sender: row.sender_id,
    chatId: row.chat_id,
    createdAt: new Date(row.created_at).toISOString(),
    user: { id: row.sender_id, email: row.email, username: row.username },
  };
}

/** Thrown inside a transaction to roll it back on purpose. */
class Rollback extends Error {}

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

  async deleteUser(id: string): Promise<void> {
    if (!isStoreId(id)) return;
    await this.db.query('DELETE FROM users WHERE id = $1', [id]);
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
   * message and unread count — in two queries whatever the number of chats.
   */
  async listChats(userId: string, onlyChatId?: string): Promise<ChatSummary[]> {
    const chats = await this.db.query<
      { id: string; name: string | null; unread_count: number } & Partial<Omit<MessageRow, 'chat_id'>>
    >(
      `SELECT c.id, c.name,
              m.id AS message_id, m.text, m.sender_id, m.created_at, u.email, u.username,
              (SELECT count(*)::int FROM messages um
                WHERE um.chat_id = c.id AND um.sender_id <> cm.user_id
                  AND um.created_at > COALESCE(cm.last_read_at, '-infinity'::timestamptz)) AS unread_count
         FROM chat_members cm
         JOIN chats c ON c.id = cm.chat_id
         LEFT JOIN messages m ON m.id = c.last_message_id
         LEFT JOIN users u ON u.id = m.sender_id
        WHERE cm.user_id = $1 AND ($2::uuid IS NULL OR cm.chat_id = $2::uuid)
        ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC`,
      [userId, onlyChatId ?? null],
    );
    if (chats.length === 0) return [];
    const members = await this.db.query<PublicUser & { chat_id: string }>(
      `SELECT cm.chat_id, u.id, u.email, u.username
         FROM chat_members cm JOIN users u ON u.id = cm.user_id
        WHERE cm.chat_id = ANY($1::uuid[])
        ORDER BY cm.joined_at, u.id`,
      [chats.map((chat) => chat.id)],
    );
    const usersByChat = new Map<string, PublicUser[]>();
    for (const { chat_id, ...user } of members) {
      const list = usersByChat.get(chat_id) ?? [];
      list.push(user);
      usersByChat.set(chat_id, list);
    }
    return chats.map((row) => {
      const lastMessage = (row as { message_id?: string | null }).message_id;
      return {
        id: row.id,
        name: row.name,
        users: usersByChat.get(row.id) ?? [],
        messages: lastMessage
          ? [
              toMessage({
                id: lastMessage,
                text: row.text!,
                sender_id: row.sender_id!,
                chat_id: row.id,
                created_at: row.created_at!,
                email: row.email!,
                username: row.username!,
              }),
            ]
          : [],
        unreadCount: row.unread_count,
      };
    });
  }

  // ---- messages ----------------------------------------------------------------------------

  /**
   * Stores a message if the sender is a member of the chat. Ordering invariant: the UPDATE takes
   * the chat row's lock until commit and stamps `created_at` strictly after the chat's previous
   * message, so within a chat (created_at, id) increases in commit order, even within one ms.
   */
  async insertMessage(message: NewMessage): Promise<InsertMessageResult> {
    if (!isStoreId(message.chatId)) return { outcome: 'not_member' };
    const id = randomUUID();
    try {
      return await this.db.transaction(async (tx) => {
        const stamped = await tx.query<{ created_at: Date }>(
          `UPDATE chats
              SET last_message_at = GREATEST(date_trunc('milliseconds', clock_timestamp()),
                                             last_message_at + interval '1 millisecond'),
                  last_message_id = $3
            WHERE id = $1
              AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2)
        RETURNING last_message_at AS created_at`,
          [message.chatId, message.senderId, id],
        );
        if (stamped.length === 0) return { outcome: 'not_member' } as const;
        const inserted = await tx.query<{ id: string }>(
          `INSERT INTO messages (id, chat_id, sender_id, text, client_message_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (chat_id, sender_id, client_message_id) WHERE client_message_id IS NOT NULL DO NOTHING
           RETURNING id`,
          [id, message.chatId, message.senderId, message.text, message.clientMessageId ?? null, stamped[0]!.created_at],
        );
        if (inserted.length === 0) throw new Rollback();
        const rows = await tx.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = $1`, [id]);
        return { outcome: 'created', message: toMessage(rows[0]!) } as const;
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
      const rows = await this.db.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
          WHERE m.chat_id = $1 AND m.sender_id = $2 AND m.client_message_id = $3`,
        [message.chatId, message.senderId, message.clientMessageId],
      );
      return { outcome: 'duplicate', message: toMessage(rows[0]!) };
    }
  }

  /**
   * One page of a chat's history, oldest first. Without `after` it is the newest `limit` messages
   * (older than `before` if given) and hasMore says whether older ones exist; with `after` it is
   * the oldest `limit` messages after it (and before `before`) and hasMore says whether newer ones
   * exist. Returns undefined when a cursor is not a message of this chat.
   */
  async listMessages(chatId: string, range: HistoryRange): Promise<HistoryPage | { badCursor: 'before' | 'after' }> {
    const cursors: string[] = [];
    const params: unknown[] = [chatId];
    for (const [field, op] of [
      ['before', '<'],
      ['after', '>'],
    ] as const) {
      const cursorId = range[field];
      if (cursorId === undefined) continue;
      if (!isStoreId(cursorId)) return { badCursor: field };
      const found = await this.db.query<{ created_at: Date; id: string }>(
        'SELECT created_at, id FROM messages WHERE id = $1 AND chat_id = $2',
        [cursorId, chatId],
      );
      if (found.length === 0) return { badCursor: field };
      params.push(found[0]!.created_at, found[0]!.id);
      cursors.push(`(m.created_at, m.id) ${op} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    const ascending = range.after !== undefined;
    params.push(range.limit + 1);
    const rows = await this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.chat_id = $1 ${cursors.map((c) => `AND ${c}`).join(' ')}
        ORDER BY m.created_at ${ascending ? 'ASC' : 'DESC'}, m.id ${ascending ? 'ASC' : 'DESC'}
        LIMIT $${params.length}`,
      params,
    );
    const hasMore = rows.length > range.limit;
    const page = rows.slice(0, range.limit).map(toMessage);
    return { messages: ascending ? page : page.reverse(), hasMore };
  }
}

function asUniqueViolation(error: unknown): unknown {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e?.code !== '23505') return error;
  const where = `${e.constraint ?? ''} ${e.message ?? ''}`;
  if (where.includes('users_email_key')) return new UniqueViolation('email');
  if (where.includes('users_username_key')) return new UniqueViolation('username');
  return error;
}
