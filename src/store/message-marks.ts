import type { Message } from '../protocol/types.js';
import type { Database, SqlExecutor } from './database.js';
import { MESSAGE_COLUMNS, MESSAGE_FROM, messageSummary, messageTuple, parseMessageTuples } from './message-form.js';
import { isStoreId, NOW_MS } from './sql.js';

/**
 * What members add to a message without being its author: reactions and pins. Each change locks
 * the message's chat row first, as edits and sends do, so that it takes the chat's next version in
 * commit order (and sets the message's version to it); a change that changes nothing (adding a
 * reaction twice, pinning a pinned message) takes no version.
 */

/** The outcome of a reaction or pin change. */
export type MarkResult =
  /** No such message, or the user is not a member of its chat: one outcome, so that ids cannot be probed. */
  | { outcome: 'unknown' }
  | { outcome: 'deleted' }
  /** Past MAX_DISTINCT_REACTIONS (a new emoji) or MAX_PINS_PER_CHAT. */
  | { outcome: 'too_many' }
  /** A pin in a group by a plain member: admins and the owner pin there. */
  | { outcome: 'not_admin' }
  /** `changed`: whether it took a version; `message` is its current state (reactions from the user's point of view). */
  | { outcome: 'done'; changed: boolean; message: Message };

/** A message with its reactions without `me`: as it is broadcast to a chat. */
export function asBroadcast(message: Message): Message {
  if (!message.reactions) return message;
  return { ...message, reactions: message.reactions.map(({ emoji, count }) => ({ emoji, count })) };
}

export class MessageMarkStore {
  constructor(private readonly db: Database) {}

  /**
   * `userId` adds (or removes) a reaction with `emoji` to a message of a chat they are a member
   * of. Adding a new emoji to a message that has `maxDistinct` already is refused.
   */
  react(messageId: string, userId: string, emoji: string, added: boolean, maxDistinct: number): Promise<MarkResult> {
    return this.change(messageId, userId, async (tx, chatId) => {
      const [state] = await tx.query<{ mine: boolean; present: boolean; distinct: number }>(
        `SELECT bool_or(user_id = $2 AND emoji = $3) AS mine, bool_or(emoji = $3) AS present,
                count(DISTINCT emoji)::int AS distinct
           FROM message_reactions WHERE message_id = $1`,
        [messageId, userId, emoji],
      );
      if (added === Boolean(state?.mine)) return 'unchanged';
      if (added && !state?.present && (state?.distinct ?? 0) >= maxDistinct) return 'too_many';
      const version = await takeVersion(tx, chatId, messageId, '', []);
      await tx.query(
        added
          ? 'INSERT INTO message_reactions (message_id, user_id, emoji, version) VALUES ($1, $2, $3, $4)'
          : 'DELETE FROM message_reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3',
        added ? [messageId, userId, emoji, version] : [messageId, userId, emoji],
      );
      return 'changed';
    });
  }

  /**
   * `userId` pins (or unpins) a message of a chat they are a member of: in a direct chat either
   * of the pair, in a group its admins and owner (README "Group roles"); at most `maxPins` per chat.
   */
  pin(messageId: string, userId: string, pinned: boolean, maxPins: number): Promise<MarkResult> {
    return this.change(messageId, userId, async (tx, chatId, isPinned) => {
      const [plain] = await tx.query(
        `SELECT 1 FROM chat_members cm JOIN chats c ON c.id = cm.chat_id
          WHERE cm.chat_id = $1 AND cm.user_id = $2 AND cm.role = 'member' AND c.direct_key IS NULL`,
        [chatId, userId],
      );
      if (plain) return 'not_admin';
      if (pinned === isPinned) return 'unchanged';
      if (pinned) {
        const [{ count } = { count: 0 }] = await tx.query<{ count: number }>(
          'SELECT count(*)::int AS count FROM messages WHERE chat_id = $1 AND pinned_at IS NOT NULL',
          [chatId],
        );
        if (count >= maxPins) return 'too_many';
      }
      await takeVersion(
        tx,
        chatId,
        messageId,
        pinned ? `pinned_at = ${NOW_MS}, pinned_by = $3` : 'pinned_at = NULL, pinned_by = NULL',
        pinned ? [userId] : [],
      );
      return 'changed';
    });
  }

  /**
   * A chat's pinned messages, most recently pinned first, at most `limit`; undefined unless
   * `userId` is a member of the chat. With their reactions from the user's point of view.
   */
  async pinnedMessages(chatId: string, userId: string, limit: number): Promise<Message[] | undefined> {
    if (!isStoreId(chatId) || !isStoreId(userId)) return undefined;
    const [result] = await this.db.read<{ member: boolean; pins: string | null }>(
      `SELECT EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2) AS member,
              (SELECT json_agg(${messageTuple('p', { reader: '$2::uuid' })} ORDER BY p.pinned_at DESC, p.id DESC)::text
                 FROM (SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
                        WHERE m.chat_id = $1 AND m.pinned_at IS NOT NULL
                        ORDER BY m.pinned_at DESC, m.id DESC LIMIT $3) p) AS pins`,
      [chatId, userId, limit],
    );
    if (!result?.member) return undefined;
    return parseMessageTuples(result.pins);
  }

  /**
   * One change of a message by a member: the chat row locked first, then the message and the
   * membership read under the lock (nothing else changes either meanwhile), then `work`, which
   * says whether it changed something (having taken the version with takeVersion). The message
   * is read back in the same transaction, with its reactions as `userId` sees them.
   */
  private async change(
    messageId: string,
    userId: string,
    work: (
      tx: SqlExecutor,
      chatId: string,
      pinned: boolean,
    ) => Promise<'changed' | 'unchanged' | 'too_many' | 'not_admin'>,
  ): Promise<MarkResult> {
    if (!isStoreId(messageId) || !isStoreId(userId)) return { outcome: 'unknown' };
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM chats WHERE id = (SELECT chat_id FROM messages WHERE id = $1) FOR UPDATE', [
        messageId,
      ]);
      const [target] = await tx.query<{ chat_id: string; deleted: boolean; pinned: boolean }>(
        `SELECT m.chat_id, m.deleted_at IS NOT NULL AS deleted, m.pinned_at IS NOT NULL AS pinned
           FROM messages m
          WHERE m.id = $1 AND EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = m.chat_id AND cm.user_id = $2)`,
        [messageId, userId],
      );
      if (!target) return { outcome: 'unknown' };
      if (target.deleted) return { outcome: 'deleted' };
      const done = await work(tx, target.chat_id, target.pinned);
      if (done === 'too_many' || done === 'not_admin') return { outcome: done };
      const [found] = await tx.query<{ message: string | null }>(
        `SELECT json_agg(${messageTuple('p', { reader: '$2::uuid' })})::text AS message
           FROM (SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = $1) p`,
        [messageId, userId],
      );
      const [message] = parseMessageTuples(found?.message);
      return { outcome: 'done', changed: done === 'changed', message: message! };
    });
  }
}

/**
 * Takes the chat's next version for a change of one of its messages (`assignments` to the
 * message's row, with `params` from $3): sets the message's version to it and rewrites the chat's
 * copy of the message when it is the chat's last. The chat row must be locked already.
 */
async function takeVersion(
  tx: SqlExecutor,
  chatId: string,
  messageId: string,
  assignments: string,
  params: unknown[],
): Promise<number> {
  const [row] = await tx.query<{ version: string }>(
    `WITH versioned AS (
       UPDATE chats SET version = version + 1 WHERE id = $1 RETURNING version
     )
     UPDATE messages SET ${assignments ? `${assignments}, ` : ''}version = (SELECT version FROM versioned)
      WHERE id = $2 RETURNING version`,
    [chatId, messageId, ...params],
  );
  await tx.query(
    `UPDATE chats c SET last_message = ${messageSummary('m')}
       FROM messages m WHERE m.id = $1 AND c.id = m.chat_id AND c.last_message_id = m.id`,
    [messageId],
  );
  return Number(row!.version);
}
