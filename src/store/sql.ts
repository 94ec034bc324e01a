/** SQL pieces shared by the store's parts (users, chats, messages). */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else names no row (and must not reach a uuid cast). */
export function isStoreId(value: string): boolean {
  return UUID.test(value);
}

/**
 * The unread rule, written only here: the message row `m` counts as unread for the member `cm`
 * (a chat_members row, or anything with its chat_id, user_id and last_read_at) when someone else
 * sent it, it is not deleted, and it comes after the member's read position: `readAt` when given
 * (the position a move is about to set), else the member's last_read_at (NULL: nothing read).
 * Every write that can change what it counts keeps the members' counters (unread_count) by it.
 */
export const isUnread = (m: string, cm: string, readAt = `${cm}.last_read_at`) =>
  `(${m}.sender_id <> ${cm}.user_id AND ${m}.deleted_at IS NULL AND ${m}.created_at > COALESCE(${readAt}, '-infinity'::timestamptz))`;

/** The member `cm`'s unread count, counted from the chat's messages by isUnread (`readAt` as there). */
export const unreadCount = (cm: string, readAt?: string) =>
  `(SELECT count(*)::int FROM messages um WHERE um.chat_id = ${cm}.chat_id AND ${isUnread('um', cm, readAt)})`;

/**
 * The members of the chat `chat` as 'value,value,…' of their `column`, in join order: the chat's
 * member_ids (user_id) and read_seqs (last_read_seq), aligned with each other; '' for none.
 */
export const memberList = (column: 'user_id' | 'last_read_seq', chat: string) =>
  `COALESCE((SELECT string_agg(o.${column}::text, ',' ORDER BY o.joined_at, o.user_id) FROM chat_members o WHERE o.chat_id = ${chat}), '')`;

/** The number of members of the chat `chat`: the chat's member_count. */
export const memberCount = (chat: string) => `(SELECT count(*)::int FROM chat_members o WHERE o.chat_id = ${chat})`;

/** Milliseconds, like created_at, so that the ISO form round-trips. */
export const NOW_MS = `date_trunc('milliseconds', clock_timestamp())`;
