import { randomUUID } from 'node:crypto';
import type { PublicUser } from '../protocol/types.js';
import type { Database } from './database.js';
import { isoUtc } from './message-form.js';
import { isStoreId } from './sql.js';
import { asUniqueViolation, type Account } from './users.js';

/** A bot as operators list it. */
export interface BotSummary extends PublicUser {
  createdAt: string;
  /** API keys that work now. */
  keys: number;
}

/**
 * A bot's email (`bot-<id>@bots.invalid`): a placeholder no one can receive mail at, unique by the
 * bot's id. `.invalid` is reserved (RFC 2606): registration refuses it and a provider's claim of it
 * is not taken. A bot is marked by its account's `bot`, never by this address.
 */
const BOT_EMAIL_DOMAIN = '@bots.invalid';

/**
 * Bot accounts (README "Bots"): users with `bot` set, no password, and API keys kept as their
 * SHA-256 digests (auth/bot-keys.ts).
 */
export class BotStore {
  constructor(private readonly db: Database) {}

  /** Creates a bot with one key. Throws UniqueViolation('username') when the name is taken. */
  async createBot(username: string, keyHash: Buffer): Promise<PublicUser> {
    const id = randomUUID();
    const email = `bot-${id}${BOT_EMAIL_DOMAIN}`;
    try {
      await this.db.transaction(async (tx) => {
        await tx.query('INSERT INTO users (id, email, username, password_hash, bot) VALUES ($1, $2, $3, NULL, true)', [
          id,
          email,
          username,
        ]);
        await tx.query('INSERT INTO bot_keys (key_hash, bot_id) VALUES ($1, $2)', [keyHash, id]);
      });
    } catch (error) {
      throw asUniqueViolation(error);
    }
    return { id, email, username };
  }

  /** Every live bot, oldest first. */
  listBots(): Promise<BotSummary[]> {
    return this.db.query<BotSummary>(
      `SELECT u.id, u.email, u.username, ${isoUtc('u.created_at')} AS "createdAt",
              (SELECT count(*)::int FROM bot_keys k WHERE k.bot_id = u.id) AS keys
         FROM users u WHERE u.bot AND u.deleted_at IS NULL ORDER BY u.created_at, u.id`,
    );
  }

  /** Adds a key to a live bot; false when `botId` is not one. */
  async addKey(botId: string, keyHash: Buffer): Promise<boolean> {
    if (!isStoreId(botId)) return false;
    const added = await this.db.query(
      `INSERT INTO bot_keys (key_hash, bot_id)
       SELECT $1, id FROM users WHERE id = $2 AND bot AND deleted_at IS NULL RETURNING 1`,
      [keyHash, botId],
    );
    return added.length > 0;
  }

  /** Revokes every key of a live bot; false when `botId` is not one. */
  async revokeKeys(botId: string): Promise<boolean> {
    if (!isStoreId(botId)) return false;
    const [row] = await this.db.query<{ bot: boolean }>(
      `WITH revoked AS (DELETE FROM bot_keys WHERE bot_id = $1)
       SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND bot AND deleted_at IS NULL) AS bot`,
      [botId],
    );
    return row?.bot ?? false;
  }

  /** The live bot whose key has this digest. */
  async findByKey(keyHash: Buffer): Promise<Account | undefined> {
    const [row] = await this.db.query<PublicUser & { banned: boolean }>(
      `SELECT u.id, u.email, u.username, u.banned_at IS NOT NULL AS banned
         FROM bot_keys k JOIN users u ON u.id = k.bot_id
        WHERE k.key_hash = $1 AND u.deleted_at IS NULL`,
      [keyHash],
    );
    return row && { user: { id: row.id, email: row.email, username: row.username }, banned: row.banned };
  }
}
