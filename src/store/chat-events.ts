import type { ChatEvent, ChatEventChange, MemberRole } from '../protocol/types.js';
import type { SqlExecutor } from './database.js';
import { isoUtc } from './message-form.js';
import { REWRITE_MEMBER_ROLES } from './sql.js';

/**
 * Changes to a chat itself (members, name, roles, settings) as versioned chat events
 * (migration 17): each takes the chat's next version, as a message change does, and is kept in
 * chat_events at that version, so that sync and the feed read it back in version order with the
 * messages. Every writer holds the chat row's lock (FOR UPDATE) before it records.
 */

/** A column of a read of changes (SQL expressions): the chat's events after `after`, at most `limit`, as JSON text. */
export const eventsAfter = (chatId: string, after: string, limit: string) => `
  (SELECT json_agg(json_build_array(e.version, e.kind, e.actor_id, e.data, ${isoUtc('e.created_at')}) ORDER BY e.version)::text
     FROM (SELECT * FROM chat_events WHERE chat_id = ${chatId} AND version > ${after}
            ORDER BY version LIMIT ${limit}) e)`;

type EventTuple = [version: string | number, kind: string, actorId: string | null, data: object, createdAt: string];

/** The events of one eventsAfter column. */
export function parseEvents(chatId: string, text: string | null): ChatEvent[] {
  if (!text) return [];
  return (JSON.parse(text) as EventTuple[]).map(
    ([version, kind, actorId, data, createdAt]) =>
      ({ chatId, version: Number(version), actorId, createdAt, kind, ...data }) as ChatEvent,
  );
}

/** Takes the chat's next version for `change` by `actorId` and keeps it. The chat row must be locked already. */
export async function recordChatEvent(
  tx: SqlExecutor,
  chatId: string,
  actorId: string | null,
  change: ChatEventChange,
): Promise<ChatEvent> {
  const { kind, ...data } = change;
  const [row] = await tx.query<{ version: string; created_at: string }>(
    `WITH versioned AS (UPDATE chats SET version = version + 1 WHERE id = $1 RETURNING version)
     INSERT INTO chat_events (chat_id, version, kind, actor_id, data)
     SELECT $1, version, $2, $3, $4::jsonb FROM versioned
     RETURNING version, ${isoUtc('created_at')} AS created_at`,
    [chatId, kind, actorId, JSON.stringify(data)],
  );
  return { chatId, version: Number(row!.version), actorId, createdAt: row!.created_at, ...change };
}

/**
 * `leaverId` leaves `chatId` (their row deleted here): `member_left` (or `member_removed` when
 * `removedBy` is someone else), and, when they owned the group, its ownership passes to the
 * longest-standing admin, else the longest-standing member (`owner_changed`). The chat row must
 * be locked already. Undefined when they were not a member.
 */
export async function removeMembership(
  tx: SqlExecutor,
  chatId: string,
  leaverId: string,
  removedBy: string = leaverId,
): Promise<ChatEvent[] | undefined> {
  const [gone] = await tx.query<{ role: MemberRole }>(
    'DELETE FROM chat_members WHERE chat_id = $1 AND user_id = $2 RETURNING role',
    [chatId, leaverId],
  );
  if (!gone) return undefined;
  const events = [
    await recordChatEvent(tx, chatId, removedBy, {
      kind: removedBy === leaverId ? 'member_left' : 'member_removed',
      userId: leaverId,
    }),
  ];
  if (gone.role !== 'owner') return events;
  const [heir] = await tx.query<{ user_id: string }>(
    `UPDATE chat_members SET role = 'owner'
      WHERE (chat_id, user_id) = (SELECT chat_id, user_id FROM chat_members WHERE chat_id = $1
                                   ORDER BY role = 'admin' DESC, joined_at, user_id LIMIT 1)
      RETURNING user_id`,
    [chatId],
  );
  if (heir) {
    await tx.query(REWRITE_MEMBER_ROLES, [chatId]);
    events.push(
      await recordChatEvent(tx, chatId, removedBy, {
        kind: 'owner_changed',
        userId: heir.user_id,
        previousOwnerId: leaverId,
      }),
    );
  }
  return events;
}
