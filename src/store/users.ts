import { createHash, randomUUID } from 'node:crypto';
import type { PublicUser } from '../protocol/types.js';
import type { Database } from './database.js';
import { isStoreId, UNREAD_COUNT } from './sql.js';

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

  /**
   * Replaces a user's password hash, only if it is still `previous`: a login that upgrades an old
   * hash never overwrites a change made meanwhile.
   */
  async replacePasswordHash(id: string, previous: string, next: string): Promise<void> {
    await this.db.query('UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2', [id, previous, next]);
  }

  /**
   * Users whose username starts with `term` or whose email is exactly `term` (both
   * case-insensitive), except one. An email is never matched by a part of it.
   */
  async searchUsers(term: string, exceptUserId: string, limit: number): Promise<PublicUser[]> {
    const usernamePrefix = `${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.db.query<PublicUser>(
      `SELECT id, email, username FROM users
        WHERE (lower(username) LIKE $1 OR lower(email) = lower($2)) AND id <> $3
        ORDER BY lower(username), id
        LIMIT $4`,
      [usernamePrefix, term, exceptUserId, limit],
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
}

function asUniqueViolation(error: unknown): unknown {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e?.code !== '23505') return error;
  const where = `${e.constraint ?? ''} ${e.message ?? ''}`;
  if (where.includes('users_email_key')) return new UniqueViolation('email');
  if (where.includes('users_username_key')) return new UniqueViolation('username');
  return error;
}
