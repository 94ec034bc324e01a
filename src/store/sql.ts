/** SQL pieces shared by the store's parts (users, chats, messages). */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else names no row (and must not reach a uuid cast). */
export function isStoreId(value: string): boolean {
  return UUID.test(value);
}

/** Messages from others after the member `cm`'s read position; tombstones are not unread. */
export const UNREAD_COUNT = `(SELECT count(*)::int FROM messages um
    WHERE um.chat_id = cm.chat_id AND um.sender_id <> cm.user_id AND um.deleted_at IS NULL
      AND um.created_at > COALESCE(cm.last_read_at, '-infinity'::timestamptz))`;

/** Milliseconds, like created_at, so that the ISO form round-trips. */
export const NOW_MS = `date_trunc('milliseconds', clock_timestamp())`;
