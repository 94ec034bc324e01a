/** SQL pieces shared by the store's parts (users, chats, messages). */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else names no row (and must not reach a uuid cast). */
export function isStoreId(value: string): boolean {
  return UUID.test(value);
}

/**
 * A list of ids sent as one comma-separated text (joinIds) and read back as a uuid[]: PGlite
 * serialises an array parameter element by element in JavaScript, which for the thousand ids of
 * a chat list cost more than PostgreSQL's parsing of them. `param` is the text parameter's SQL.
 */
export const idList = (param: string) => `string_to_array(${param}, ',')::uuid[]`;

/** Ids as idList reads them (no ids: an empty list). */
export const joinIds = (ids: readonly string[]) => ids.join(',');

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
 * The mention rule (migration 14): the message row `m` counts as an unread mention for the member
 * `cm` when it is unread for them (isUnread) and mentions them (its mention_ids, NULL for none,
 * hold their id). Kept on the members' unread_mention_count by the same writes as unread_count.
 */
export const isUnreadMention = (m: string, cm: string, readAt?: string) =>
  `(${isUnread(m, cm, readAt)} AND COALESCE(${cm}.user_id = ANY(${m}.mention_ids), false))`;

/**
 * The member `cm`'s unread count and unread mention count as one row (unread, mentions), counted
 * from the chat's messages in one scan (isUnread, isUnreadMention; `readAt` as there): for
 * `SET (unread_count, unread_mention_count) = …` or a LATERAL join.
 */
export const unreadCounts = (cm: string, readAt = `${cm}.last_read_at`) =>
  `(SELECT count(*)::int AS unread,
           count(*) FILTER (WHERE COALESCE(${cm}.user_id = ANY(um.mention_ids), false))::int AS mentions
      FROM messages um WHERE um.chat_id = ${cm}.chat_id AND ${isUnread('um', cm, readAt)})`;

/**
 * The users that the text `text` of a message of the chat `chatId` mentions (SQL expressions),
 * as a uuid[] in the order of their first mention, or NULL for none (migration 14). A mention is
 * '@' and a username, matched as the register schema spells one (usernameSchema: letters, digits,
 * '_', '.', '-') and case-insensitively as logins and the unique index compare them (lower), at a
 * word boundary: the '@' follows no username character or '@' (so not an email's), and the name
 * runs to the first character that is not one — or, for a sentence's "@bob.", without its
 * trailing dots and dashes. Only live accounts that are members of the chat count; others'
 * names are text. A text without '@' costs one strpos. The aliases are ones no caller uses.
 */
export const mentionIds = (text: string, chatId: string) =>
  `CASE WHEN strpos(${text}, '@') > 0 THEN
     (SELECT array_agg(mentioned.id ORDER BY named.first)
        FROM (SELECT lower(name) AS name, min(mention.ord) AS first
                FROM regexp_matches(${text}, '(?<![[:alnum:]_.@-])@([[:alnum:]_.-]{3,})', 'g') WITH ORDINALITY AS mention(found, ord),
                     unnest(ARRAY[mention.found[1], rtrim(mention.found[1], '.-')]) AS name
               WHERE length(name) BETWEEN 3 AND 32
               GROUP BY 1) named
        JOIN users mentioned ON lower(mentioned.username) = named.name AND mentioned.deleted_at IS NULL
        JOIN chat_members mentioned_member ON mentioned_member.chat_id = ${chatId} AND mentioned_member.user_id = mentioned.id)
   END`;

/**
 * The members of the chat `chat` as 'value,value,…' of their `column`, in join order: the chat's
 * member_ids (user_id) and read_seqs (last_read_seq), aligned with each other; '' for none.
 */
export const memberList = (column: 'user_id' | 'last_read_seq', chat: string) =>
  `COALESCE((SELECT string_agg(o.${column}::text, ',' ORDER BY o.joined_at, o.user_id) FROM chat_members o WHERE o.chat_id = ${chat}), '')`;

/**
 * The chat `chat`'s owner and admins as 'userId:o,userId:a,…' (the role's first letter): the
 * chat's member_roles, which the chat list reads; everyone not named is a plain member. Rewritten
 * by the member-count trigger when members come and go, and by every change of a role
 * (REWRITE_MEMBER_ROLES).
 */
export const memberRoles = (chat: string) =>
  `COALESCE((SELECT string_agg(o.user_id::text || ':' || left(o.role, 1), ',' ORDER BY o.user_id)
               FROM chat_members o WHERE o.chat_id = ${chat} AND o.role <> 'member'), '')`;

/** After a change of roles in the chat $1, in the same transaction. */
export const REWRITE_MEMBER_ROLES = `UPDATE chats c SET member_roles = ${memberRoles('c.id')} WHERE c.id = $1`;

/** The number of members of the chat `chat`: the chat's member_count. */
export const memberCount = (chat: string) => `(SELECT count(*)::int FROM chat_members o WHERE o.chat_id = ${chat})`;

/** Milliseconds, like created_at, so that the ISO form round-trips. */
export const NOW_MS = `date_trunc('milliseconds', clock_timestamp())`;
