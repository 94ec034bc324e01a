import { createHash, randomUUID } from 'node:crypto';
import type { ChatEvent, Message, PublicUser } from '../protocol/types.js';
import { removeMembership } from './chat-events.js';
import { isUniqueViolation, type Database, type SqlExecutor } from './database.js';
import { messageSummary, messageTuple, parseMessageTuples, SENDER_COLUMNS } from './message-form.js';
import { isStoreId, NOW_MS, unreadCounts } from './sql.js';

export interface UserRecord extends PublicUser {
  /** Null for users created from an external identity provider's token, and for bots. */
  passwordHash: string | null;
  /** Banned by a moderator: refused sign-in until unbanned. */
  banned: boolean;
}

/** Raised when a unique column is taken; `field` is the column a client would fix. */
export class UniqueViolation extends Error {
  constructor(readonly field: 'email' | 'username') {
    super(`${field} already taken`);
    this.name = 'UniqueViolation';
  }
}

/**
 * What a deleted account shows as, wherever its messages are: the same for every deleted account.
 * No registration can take these names (brackets are not allowed in usernames), and deleted
 * accounts are outside the unique indexes (migration 10).
 */
export const DELETED_USER = { email: 'deleted@deleted.invalid', username: '[deleted]' } as const;

/** A live account as authentication reads it: the user, and whether a moderator has banned it. */
export interface Account {
  user: PublicUser;
  banned: boolean;
}

/** What deleting an account changed, for the chat service to publish. */
export interface DeletedAccount {
  /** The account's messages, now tombstones, each with a new version of its chat; in version order within a chat. */
  tombstones: Message[];
  /**
   * The chats the account was a member of, each with its members after it left, in join order,
   * and the chat events of its leaving (member_left, and owner_changed when it owned the group).
   */
  left: { chatId: string; remaining: PublicUser[]; events: ChatEvent[] }[];
}

/** The account joined a chat that deleteAccount had not locked: the deletion starts over. */
class JoinedMeanwhile extends Error {}
const DELETE_ACCOUNT_ATTEMPTS = 3;

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
  // `.invalid` addresses are the server's own placeholders (bots', deleted and external accounts').
  return trimmed && trimmed.length <= 254 && EMAIL.test(trimmed) && !trimmed.endsWith('.invalid') ? trimmed : undefined;
}

/** A unique, undeliverable address (RFC 2606 `.invalid`) for a subject without a usable email. */
function placeholderEmail(externalId: string): string {
  return `${createHash('sha256').update(externalId).digest('hex').slice(0, 24)}@external.invalid`;
}

/** A live account by id ($1) with its ban, run as the routine live_account (routines.ts), whose plan is kept. */
export const LIVE_ACCOUNT =
  'SELECT id, email, username, banned_at IS NOT NULL AS banned FROM users WHERE id = $1 AND deleted_at IS NULL';

/** Users: accounts, login lookups, search, and users created from an external provider's token. */
export class UserStore {
  constructor(private readonly db: Database) {}

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

  /** A live account (not deleted) by id. */
  async findUserById(id: string): Promise<PublicUser | undefined> {
    if (!isStoreId(id)) return undefined;
    const rows = await this.db.query<PublicUser>(
      'SELECT id, email, username FROM users WHERE id = $1 AND deleted_at IS NULL',
      [id],
    );
    return rows[0];
  }

  /**
   * A live account (not deleted) by id, with its ban: who a token of this server names, read on
   * every handshake and request (LIVE_ACCOUNT).
   */
  async findAccount(id: string): Promise<Account | undefined> {
    if (!isStoreId(id)) return undefined;
    const [row] = await this.db.query<PublicUser & { banned: boolean }>(
      'SELECT id, email, username, banned FROM live_account($1)',
      [id],
    );
    return row && { user: { id: row.id, email: row.email, username: row.username }, banned: row.banned };
  }

  /**
   * A live account with its password hash, for checking a password: by id, or case-insensitively
   * by email or username.
   */
  async findUserForLogin(
    by: { id: string } | { email: string } | { username: string },
  ): Promise<UserRecord | undefined> {
    if ('id' in by && !isStoreId(by.id)) return undefined;
    const [condition, value] =
      'id' in by
        ? ['id = $1', by.id]
        : 'email' in by
          ? ['lower(email) = lower($1)', by.email]
          : ['lower(username) = lower($1)', by.username];
    const rows = await this.db.query<UserRecord>(
      `SELECT id, email, username, password_hash AS "passwordHash", banned_at IS NOT NULL AS banned
         FROM users WHERE ${condition} AND deleted_at IS NULL`,
      [value],
    );
    return rows[0];
  }

  /**
   * Replaces a user's password hash, only if it is still `previous`: a login that upgrades an old
   * hash never overwrites a change made meanwhile.
   */
  async replacePasswordHash(id: string, previous: string, next: string): Promise<void> {
    await this.db.query('UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2', [
      id,
      previous,
      next,
    ]);
  }

  /**
   * Users whose username starts with `term` or whose email is exactly `term` (both
   * case-insensitive), except one. An email is never matched by a part of it.
   */
  async searchUsers(term: string, exceptUserId: string, limit: number): Promise<PublicUser[]> {
    const usernamePrefix = `${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.db.read<PublicUser>(
      `SELECT id, email, username FROM users
        WHERE (lower(username) LIKE $1 OR lower(email) = lower($2)) AND id <> $3 AND deleted_at IS NULL
        ORDER BY lower(username), id
        LIMIT $4`,
      [usernamePrefix, term, exceptUserId, limit],
    );
  }

  /** The subset of `ids` that are live accounts. */
  async existingUserIds(ids: readonly string[]): Promise<string[]> {
    const valid = ids.filter(isStoreId);
    if (valid.length === 0) return [];
    const rows = await this.db.query<{ id: string }>(
      'SELECT id FROM users WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL',
      [valid],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Deletes an account (undefined when there is no live account `id`). The row stays, so that the
   * account's messages stay attributed to it, but it is shown as DELETED_USER, its password hash
   * is erased, and no lookup of a live account finds it again. Its messages become tombstones
   * (text erased, as deleteMessage does), each taking the next version of its chat, so that sync
   * finds them; its memberships end, and the unread counters of the chats it wrote in are counted
   * again.
   *
   * Locks first the chats it is in or wrote in, in id order as every writer of several chats
   * does, then the account's row. Adding a user to a chat takes their row FOR SHARE (ChatStore),
   * so once the account is marked deleted nobody can add it anywhere; an addition that got in
   * before, to a chat not locked here, is found under the locks and the deletion starts over.
   */
  async deleteAccount(id: string): Promise<DeletedAccount | undefined> {
    if (!isStoreId(id)) return undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction((tx) => closeAccount(tx, id));
      } catch (error) {
        if (!(error instanceof JoinedMeanwhile) || attempt === DELETE_ACCOUNT_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * The user an external identity provider's subject maps to, created on first sight from the
   * token's claims. The user's id is a fresh uuid; `externalId` is kept in `users.external_id`.
   * No check-then-insert: the insert itself arbitrates on the unique external_id, so concurrent
   * first connects of one subject all get the one row that won. A username that is missing,
   * invalid or taken is derived (suffixed until free); an email that is missing, invalid or taken
   * by another account becomes a placeholder `<hash>@external.invalid` — accounts are never
   * linked by email, which the provider may not have verified. Undefined when the subject's
   * account was deleted: a deleted account's subject stays retired.
   */
  async findOrCreateExternalUser(claims: ExternalUserClaims): Promise<Account | undefined> {
    const base = externalUsername(claims);
    let email = externalEmail(claims.email) ?? placeholderEmail(claims.externalId);
    let username = base;
    for (let attempt = 0; attempt < 8; attempt++) {
      const [found] = await this.db.query<PublicUser & { deleted: boolean; banned: boolean }>(
        `SELECT id, email, username, deleted_at IS NOT NULL AS deleted, banned_at IS NOT NULL AS banned
           FROM users WHERE external_id = $1`,
        [claims.externalId],
      );
      if (found)
        return found.deleted
          ? undefined
          : { user: { id: found.id, email: found.email, username: found.username }, banned: found.banned };
      try {
        const inserted = await this.db.query<PublicUser>(
          `INSERT INTO users (id, email, username, password_hash, external_id) VALUES ($1, $2, $3, NULL, $4)
           ON CONFLICT (external_id) DO NOTHING RETURNING id, email, username`,
          [randomUUID(), email, username, claims.externalId],
        );
        if (inserted[0]) return { user: inserted[0], banned: false };
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
}

export function asUniqueViolation(error: unknown): unknown {
  if (isUniqueViolation(error, 'users_email_key')) return new UniqueViolation('email');
  if (isUniqueViolation(error, 'users_username_key')) return new UniqueViolation('username');
  return error;
}

/** deleteAccount's transaction. */
async function closeAccount(tx: SqlExecutor, id: string): Promise<DeletedAccount | undefined> {
  const locked = await tx.query<{ id: string }>(
    `SELECT id FROM chats
      WHERE id IN (SELECT chat_id FROM chat_members WHERE user_id = $1
                   UNION SELECT chat_id FROM messages WHERE sender_id = $1 AND deleted_at IS NULL)
      ORDER BY id FOR UPDATE`,
    [id],
  );
  const closed = await tx.query(
    `UPDATE users SET deleted_at = ${NOW_MS}, email = $2, username = $3, password_hash = NULL
      WHERE id = $1 AND deleted_at IS NULL RETURNING 1`,
    [id, DELETED_USER.email, DELETED_USER.username],
  );
  if (closed.length === 0) return undefined;
  const lockedIds = new Set(locked.map((chat) => chat.id));
  const memberOf = await tx.query<{ chat_id: string }>('SELECT chat_id FROM chat_members WHERE user_id = $1', [id]);
  if (memberOf.some((row) => !lockedIds.has(row.chat_id))) throw new JoinedMeanwhile();

  // Each chat's tombstones take its next versions, oldest message first.
  const [made] = await tx.query<{ tombstones: string | null }>(
    `WITH doomed AS (
       SELECT m.id, m.chat_id, row_number() OVER (PARTITION BY m.chat_id ORDER BY m.seq) AS k,
              count(*) OVER (PARTITION BY m.chat_id) AS n
         FROM messages m WHERE m.sender_id = $1 AND m.deleted_at IS NULL
     ), versioned AS (
       UPDATE chats c SET version = c.version + d.n
         FROM (SELECT DISTINCT chat_id, n FROM doomed) d WHERE c.id = d.chat_id
       RETURNING c.id, c.version
     ), changed AS (
       UPDATE messages m SET text = '', mention_ids = NULL, deleted_at = ${NOW_MS}, pinned_at = NULL, pinned_by = NULL,
                             version = v.version - d.n + d.k
         FROM doomed d JOIN versioned v ON v.id = d.chat_id
        WHERE m.id = d.id
       RETURNING m.id, m.text, m.sender_id, m.chat_id, m.created_at, m.edited_at, m.deleted_at, m.seq, m.version,
                 m.reply_to_id, m.pinned_at, m.pinned_by, m.mention_ids
     )
     SELECT json_agg(${messageTuple('t')} ORDER BY t.chat_id, t.version)::text AS tombstones
       FROM (SELECT changed.*, ${SENDER_COLUMNS} FROM changed JOIN users u ON u.id = changed.sender_id) t`,
    [id],
  );
  const tombstones = parseMessageTuples(made?.tombstones);
  // Its files go with it: the unsent ones, and those of its messages, now tombstones.
  await tx.query('DELETE FROM files WHERE owner_id = $1', [id]);
  const rewritten = [...new Set(tombstones.map((message) => message.chatId))];
  if (rewritten.length > 0) {
    await tx.query(
      `UPDATE chats c SET last_message = ${messageSummary('m')}
         FROM messages m WHERE c.id = ANY($1::uuid[]) AND m.id = c.last_message_id AND m.sender_id = $2`,
      [rewritten, id],
    );
    await tx.query(
      `UPDATE chat_members cm SET (unread_count, unread_mention_count) = ${unreadCounts('cm')}
        WHERE cm.chat_id = ANY($1::uuid[])`,
      [rewritten],
    );
  }

  // It leaves each chat after its tombstones there, as a versioned event, handing over what it owned.
  const events = new Map<string, ChatEvent[]>();
  for (const { chat_id } of memberOf) events.set(chat_id, (await removeMembership(tx, chat_id, id)) ?? []);

  const leftIds = memberOf.map((row) => row.chat_id);
  const chats = await tx.query<{ id: string; member_ids: string }>(
    'SELECT id, member_ids FROM chats WHERE id = ANY($1::uuid[])',
    [leftIds],
  );
  const memberIds = chats.map((chat) => (chat.member_ids === '' ? [] : chat.member_ids.split(',')));
  const users = new Map(
    (
      await tx.query<PublicUser>('SELECT id, email, username FROM users WHERE id = ANY($1::uuid[])', [memberIds.flat()])
    ).map((user) => [user.id, user]),
  );
  const left = chats.map((chat, i) => ({
    chatId: chat.id,
    remaining: memberIds[i]!.flatMap((memberId) => users.get(memberId) ?? []),
    events: events.get(chat.id) ?? [],
  }));
  return { tombstones, left };
}
