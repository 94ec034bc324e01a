import type { PublicUser } from '../protocol/types.js';
import type { Database, SqlExecutor } from './database.js';
import { isoUtc } from './message-form.js';
import { isStoreId } from './sql.js';

/**
 * Whether either user of the pair has blocked the other: a direct chat between them cannot be
 * made (ChatStore.createChat). `$1` and `$2` are the pair.
 */
export const PAIR_BLOCKED = `SELECT 1 FROM user_blocks
  WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)`;

/**
 * Whether the sender `sender` is blocked by the other member of the chat `chat` when it is a
 * direct chat: a condition on a chat row `chat` and a sender id. A direct chat's key is its
 * pair's ids, sorted, joined by ':' (ChatStore.createChat). insert_message_batch (routines.ts)
 * stores no such send.
 */
export const senderBlockedIn = (chat: string, sender: string) => `(${chat}.direct_key IS NOT NULL
  AND EXISTS (SELECT 1 FROM user_blocks b
               WHERE b.blocked_id = ${sender}
                 AND ${chat}.direct_key IN (b.blocker_id::text || ':' || b.blocked_id::text,
                                            b.blocked_id::text || ':' || b.blocker_id::text)))`;

/** Which of a send batch's messages (`$1` chat ids, `$2` sender ids) senderBlockedIn refuses: their 1-based positions `i`. */
const BLOCKED_SENDS = `SELECT s.i::int AS i
  FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS s(chat_id, sender_id, i)
  JOIN chats c ON c.id = s.chat_id
 WHERE ${senderBlockedIn('c', 's.sender_id')}`;

/** The 0-based positions of the sends (chat, sender) that BLOCKED_SENDS refuses, read in the send's transaction. */
export async function blockedSends(
  tx: SqlExecutor,
  chatIds: readonly string[],
  senderIds: readonly string[],
): Promise<Set<number>> {
  const rows = await tx.query<{ i: number }>(BLOCKED_SENDS, [chatIds, senderIds]);
  return new Set(rows.map((row) => row.i - 1));
}

/** Users' blocks of other users (README "Blocking and reporting"). */
export class BlockStore {
  constructor(private readonly db: Database) {}

  /**
   * `blockerId` blocks `blockedId`, a live account (else 'unknown_user'); at most `max` blocks
   * each ('too_many' past it). Blocking again changes nothing. The blocker's row is locked, so
   * that concurrent blocks of one user count one after the other.
   */
  block(blockerId: string, blockedId: string, max: number): Promise<'done' | 'unknown_user' | 'too_many'> {
    if (!isStoreId(blockedId)) return Promise.resolve('unknown_user');
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [blockerId]);
      const [state] = await tx.query<{ live: boolean; blocked: boolean; count: number }>(
        `SELECT EXISTS (SELECT 1 FROM users WHERE id = $2 AND deleted_at IS NULL) AS live,
                EXISTS (SELECT 1 FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2) AS blocked,
                (SELECT count(*)::int FROM user_blocks WHERE blocker_id = $1) AS count`,
        [blockerId, blockedId],
      );
      if (!state!.live) return 'unknown_user';
      if (state!.blocked) return 'done';
      if (state!.count >= max) return 'too_many';
      await tx.query('INSERT INTO user_blocks (blocker_id, blocked_id) VALUES ($1, $2)', [blockerId, blockedId]);
      return 'done';
    });
  }

  /** Ends a block; nothing happens when there is none. */
  async unblock(blockerId: string, blockedId: string): Promise<void> {
    if (!isStoreId(blockedId)) return;
    await this.db.query('DELETE FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2', [blockerId, blockedId]);
  }

  /** The users `blockerId` has blocked, most recent first (as many as the cap allows). */
  listBlocked(blockerId: string): Promise<(PublicUser & { blockedAt: string })[]> {
    return this.db.query(
      `SELECT u.id, u.email, u.username,
              ${isoUtc('b.created_at')} AS "blockedAt"
         FROM user_blocks b JOIN users u ON u.id = b.blocked_id
        WHERE b.blocker_id = $1 ORDER BY b.created_at DESC, u.id`,
      [blockerId],
    );
  }
}
