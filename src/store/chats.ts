import { PAIR_BLOCKED } from './blocks.js';
import { randomUUID } from 'node:crypto';
import { ChatSummaryText } from '../protocol/chat-summary-text.js';
import type { ChatMember, ChatSummary, MemberRole, PublicUser } from '../protocol/types.js';
import type { Database } from './database.js';
import { parseLastMessageExtras, toMessage, type MessageExtras, type MessageFields } from './message-form.js';
import { idList, isStoreId, joinIds } from './sql.js';

/** Chats per row of the chat list's query: 20–40 KB of text for chats of a few members. */
const CHATS_PER_PART = 64;

/**
 * A chat of the chat list as CHAT_LIST reads it: the unread count is the member's counter, the
 * members the chat's id list and the read positions aligned with it (kept by the member trigger
 * and markRead), the last message the chat's copy of its fields (kept by the send path). What is
 * read with a message besides them — a reply's quote, the attachments, the reactions — is read as
 * it is now (ChatStore.lastMessageExtras), so that a change to any of them need not find every
 * chat whose last message it touches; the chat row says only whether its last message may have
 * files or reactions at all (last_message_plain, migration 24).
 */
type ListedChat = [
  unreadCount: number,
  chat: [
    id: string,
    name: string | null,
    memberIds: string,
    version: number,
    readSeqs: number[],
    /** Null for a direct chat. */
    membersCanAdd: boolean | null,
    /** The owner and admins, 'userId:o,userId:a' (member_roles, sql.ts memberRoles). */
    roles: string,
  ],
  lastMessage: MessageFields | null,
  unreadMentionCount: number,
  muted: boolean,
  /** The last message has no file and no reaction (false: it may have). */
  lastMessagePlain: boolean,
];

/**
 * The chat list of user $1, as JSON text that PostgreSQL concatenates from the stored texts, a
 * row per CHATS_PER_PART chats: not a row per chat, as PGlite decodes every field of a row in
 * JavaScript (and the last message is already JSON), and not one text for all, as a string over
 * 128 KiB is a fresh allocation whose pages fault anew each time, and the pg driver gathers one
 * long row by copying its network chunks together again and again (both measured in
 * docs/perf-runs/history.md). Reading no message at all matters most on a large messages table,
 * where one index lookup per chat would be most of the query. Each chat's text is concatenated
 * rather than built by a JSON function, which costs PGlite more: only the name needs escaping, the
 * rest being a uuid, numbers, and the id and position lists (uuids, numbers and commas).
 *
 * The order is the chat's activity (its last message's time, or its creation's), newest first,
 * then its id: a total order, so that a page starting after a chat ($3, which must be one of the
 * user's: any other lists nothing) neither repeats nor skips one that did not move meanwhile.
 * $2 keeps only that chat; $4 is the most chats to list (null: all, and then the plan is the
 * plain list's: the ORDER BY is the window's, and no Limit). The executor pulls rows through the
 * window one at a time, so a page builds the text of its own chats only. Run as the routine
 * chat_list (routines.ts), whose plan is kept.
 */
export const CHAT_LIST = `
  SELECT string_agg(chat, ',' ORDER BY position) AS chats
    FROM (SELECT '[' || cm.unread_count || ',["' || c.id || '",' || COALESCE(to_json(c.name)::text, 'null')
                 || ',"' || c.member_ids || '",' || c.version || ',[' || c.read_seqs || '],'
                 || CASE WHEN c.direct_key IS NULL THEN c.members_can_add::text ELSE 'null' END
                 || ',"' || c.member_roles || '"],'
                 || COALESCE(c.last_message, 'null') || ',' || cm.unread_mention_count || ',' || cm.muted
                 || ',' || c.last_message_plain || ']' AS chat,
                 row_number() OVER (ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC) - 1 AS position
            FROM chat_members cm
            JOIN chats c ON c.id = cm.chat_id
           WHERE cm.user_id = $1 AND ($2::uuid IS NULL OR cm.chat_id = $2::uuid)
             AND ($3::uuid IS NULL OR (COALESCE(c.last_message_at, c.created_at), c.id) <
                  (SELECT COALESCE(cursor_chat.last_message_at, cursor_chat.created_at), cursor_chat.id
                     FROM chat_members mine JOIN chats cursor_chat ON cursor_chat.id = mine.chat_id
                    WHERE mine.user_id = $1 AND mine.chat_id = $3::uuid))
           ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC
           LIMIT $4::int) listed
   GROUP BY position / ${CHATS_PER_PART}
   ORDER BY position / ${CHATS_PER_PART}`;

/**
 * The users a chat list names ($1, idList), as one JSON text of ChatListUser, which PGlite hands
 * over far more cheaply than a row per user it decodes field by field. Run as the routine
 * chat_list_users (routines.ts).
 */
export const CHAT_LIST_USERS = `SELECT json_agg(json_build_array(u.id, u.email, u.username, u.bot))::text AS users
  FROM users u WHERE u.id = ANY(${idList('$1')})`;

type ChatListUser = [id: string, email: string, username: string, bot: boolean];

/**
 * Who shares with user $1 a chat of at most $2 members (ChatStore.chatPartnerIds), run as the
 * routine chat_partners (routines.ts), whose plan is kept. The members read are those of such
 * chats only: a bigger chat costs its row (member_count), whatever its size.
 */
export const CHAT_PARTNERS = `SELECT DISTINCT other.user_id FROM chat_members mine
  JOIN chats c ON c.id = mine.chat_id AND c.member_count <= $2
  JOIN chat_members other ON other.chat_id = c.id
 WHERE mine.user_id = $1 AND other.user_id <> $1`;

/** A chat's creation named a user that is no longer a live account (deleted meanwhile). */
export class UnknownMembers extends Error {
  constructor() {
    super('a member is not a live account');
    this.name = 'UnknownMembers';
  }
}

/** A direct chat's pair has a block between them (BlockStore): it cannot be made. */
export class BlockedPair extends Error {
  constructor() {
    super('one of the pair has blocked the other');
    this.name = 'BlockedPair';
  }
}

/**
 * The live accounts among `ids`, their rows locked FOR SHARE until commit: an account being
 * deleted (UserStore.deleteAccount) is waited for and then left out, and one not being deleted
 * cannot be until this commit, when the deletion finds its new memberships.
 */
export const LIVE_ACCOUNTS =
  'SELECT id FROM users WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL ORDER BY id FOR SHARE';

/** Chats and their members: creating and listing (changes to a group's members: GroupStore, groups.ts). */
export class ChatStore {
  constructor(private readonly db: Database) {}

  /**
   * Creates a chat with its members, the first of them its creator (a group's owner). A direct chat is keyed by its pair of users: when that pair
   * already has one, nothing is written and the existing chat's id comes back with created=false.
   * Throws UnknownMembers when a member is not a live account, and BlockedPair for a new direct
   * chat of a pair one of whom has blocked the other (an existing one is still returned).
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
      const memberIds = [...new Set(chat.memberIds)];
      if ((await tx.query(LIVE_ACCOUNTS, [memberIds])).length < memberIds.length) throw new UnknownMembers();
      if (chat.direct && (await tx.query(PAIR_BLOCKED, memberIds)).length > 0) throw new BlockedPair();
      // A group's creator (the first member) owns it; a direct chat's pair has no roles.
      await tx.query(
        `INSERT INTO chat_members (chat_id, user_id, role)
         SELECT $1, member_id, CASE WHEN member_id = $3 THEN 'owner' ELSE 'member' END FROM unnest($2::uuid[]) member_id`,
        [id, memberIds, chat.direct ? null : memberIds[0]],
      );
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
   * Every chat `userId` belongs to (or only `onlyChatId`, when they belong to it), most recent
   * activity first, each with its members, last message (its reactions as `userId` sees them),
   * unread count, version, members' read positions and a group's roles (member_roles) — in two
   * queries whatever the number of chats (CHAT_LIST), and a third when some live last messages are
   * replies or may have files or reactions (lastMessageExtras).
   */
  async listChats(userId: string, onlyChatId?: string): Promise<ChatSummary[]> {
    return (await this.listChatTexts(userId, onlyChatId)).map((chat) => chat.toJSON());
  }

  /** listChats as the chat list answers it: each chat as JSON text but for its members (ChatSummaryText). */
  async listChatTexts(userId: string, onlyChatId?: string): Promise<ChatSummaryText[]> {
    return this.summaries(
      userId,
      await this.listedChats(userId, { onlyChatId: onlyChatId ?? null, before: null, limit: null }),
    );
  }

  /**
   * At most `limit` of the chats `userId` belongs to, in the chat list's order, starting right
   * after the chat `before` (none: from the top) as the list stands at this query; `hasMore`
   * when more follow. A page costs its own chats, not the list's: only the page is built and
   * its users read. `before` must be one of the user's chats: any other id lists nothing (an
   * empty page, which the caller tells from the end of the list with isMember).
   */
  async listChatPage(
    userId: string,
    page: { before: string | undefined; limit: number },
  ): Promise<{ chats: ChatSummaryText[]; hasMore: boolean }> {
    if (page.before !== undefined && !isStoreId(page.before)) return { chats: [], hasMore: false };
    // One chat beyond the page says whether more follow; it is dropped before its users are read.
    const listed = await this.listedChats(userId, {
      onlyChatId: null,
      before: page.before ?? null,
      limit: page.limit + 1,
    });
    const hasMore = listed.length > page.limit;
    return { chats: await this.summaries(userId, hasMore ? listed.slice(0, page.limit) : listed), hasMore };
  }

  private async listedChats(
    userId: string,
    filter: { onlyChatId: string | null; before: string | null; limit: number | null },
  ): Promise<ListedChat[]> {
    const parts = await this.db.read<{ chats: string }>('SELECT chats FROM chat_list($1, $2, $3, $4)', [
      userId,
      filter.onlyChatId,
      filter.before,
      filter.limit,
    ]);
    return parts.flatMap((part) => JSON.parse(`[${part.chats}]`) as ListedChat[]);
  }

  /**
   * The listed chats as `userId`'s chat list sends them, with every user they name read in one
   * query: written as JSON here, from the database's fields, rather than built as objects that
   * are stringified when sent (ChatSummaryText), in ChatSummary's key order.
   */
  private async summaries(userId: string, chats: ListedChat[]): Promise<ChatSummaryText[]> {
    if (chats.length === 0) return [];
    const memberIds: string[][] = [];
    const named = new Set<string>();
    for (const [, chat, last] of chats) {
      const ids = chat[2].split(',');
      memberIds.push(ids);
      for (const id of ids) named.add(id);
      if (last) named.add(last[2]);
    }
    const users = new Map<string, PublicUser>();
    // Each user as a last message's sender (toMessage's), made once rather than once per chat.
    const senders = new Map<string, PublicUser & { bot: boolean }>();
    const [namedUsers] = await this.db.query<{ users: string | null }>('SELECT users FROM chat_list_users($1)', [
      joinIds([...named]),
    ]);
    for (const [id, email, username, bot] of JSON.parse(namedUsers?.users ?? '[]') as ChatListUser[]) {
      const user = { id, email, username };
      users.set(id, user);
      senders.set(id, { ...user, bot });
    }
    const extras = await this.lastMessageExtras(userId, chats);
    // Each group member once per role, shared by every chat they have it in, as `users` shares
    // each user across direct chats: fewer objects to make, presence (withPresence) marks each
    // of them once, and the answer writes each once (ChatSummaryText).
    const withRole = new Map<string, Partial<Record<MemberRole, ChatMember>>>();
    const memberAs = (user: PublicUser, role: MemberRole): ChatMember => {
      let roles = withRole.get(user.id);
      if (!roles) withRole.set(user.id, (roles = {}));
      return (roles[role] ??= { ...user, role });
    };
    return chats.map(
      (
        [unreadCount, [id, name, , version, readSeqs, membersCanAdd, memberRoles], last, unreadMentionCount, muted],
        i,
      ) => {
        const roles = membersCanAdd === null ? undefined : rolesOf(memberRoles);
        // A user deleted between the two queries took their memberships and messages along.
        const sender = last ? senders.get(last[2]) : undefined;
        const ids = memberIds[i]!;
        const members: ChatMember[] = [];
        // ReadPosition's JSON: a uuid and a number need no escaping.
        let readPositions = '';
        for (let j = 0; j < ids.length; j++) {
          const member = users.get(ids[j]!);
          if (!member) continue;
          members.push(roles === undefined ? member : memberAs(member, roles.get(member.id) ?? 'member'));
          const position = `{"userId":"${member.id}","seq":${readSeqs[j] ?? 0}}`;
          readPositions = readPositions === '' ? position : `${readPositions},${position}`;
        }
        const message = last && sender ? JSON.stringify(toMessage(last, id, sender, extras.get(last[0]))) : '';
        return new ChatSummaryText(
          id,
          `{"id":"${id}","name":${JSON.stringify(name)},"users":`,
          members,
          `,"messages":[${message}],"unreadCount":${unreadCount},"unreadMentionCount":${unreadMentionCount}` +
            `,"version":${version},"readPositions":[${readPositions}]` +
            `${membersCanAdd === null ? '' : `,"membersCanAdd":${membersCanAdd}`},"muted":${muted}}`,
        );
      },
    );
  }

  /**
   * What the copies of the chats' live last messages do not hold, as it is now: their replies'
   * quotes, attachments and reactions (`me` as `userId` sees them), by message id. One more query,
   * whatever their number, only when some of them are replies or may have files or reactions.
   */
  private async lastMessageExtras(userId: string, chats: readonly ListedChat[]): Promise<Map<string, MessageExtras>> {
    const decorated: string[] = [];
    const replies: string[] = [];
    for (const [, , last, , , plain] of chats) {
      const [id, , , , , deletedAt, , , replyToId] = last ?? [];
      if (!id || deletedAt) continue;
      if (!plain) decorated.push(id);
      if (replyToId) replies.push(id);
    }
    if (decorated.length === 0 && replies.length === 0) return new Map();
    const [row] = await this.db.query<{ extras: string | null }>('SELECT extras FROM last_message_extras($1, $2, $3)', [
      joinIds(decorated),
      joinIds(replies),
      userId,
    ]);
    return parseLastMessageExtras(row?.extras);
  }

  /** Whether the chat is direct (a pair) or a group; undefined when there is no such chat. */
  async chatKind(chatId: string): Promise<'direct' | 'group' | undefined> {
    if (!isStoreId(chatId)) return undefined;
    const rows = await this.db.query<{ direct: boolean }>(
      'SELECT direct_key IS NOT NULL AS direct FROM chats WHERE id = $1',
      [chatId],
    );
    return rows[0] && (rows[0].direct ? 'direct' : 'group');
  }

  /** `userId`'s role in `chatId` and whether the chat is direct; undefined when they are not a member. */
  async memberRole(chatId: string, userId: string): Promise<{ direct: boolean; role: MemberRole } | undefined> {
    if (!isStoreId(chatId) || !isStoreId(userId)) return undefined;
    const [row] = await this.db.query<{ direct: boolean; role: MemberRole }>(
      `SELECT c.direct_key IS NOT NULL AS direct, cm.role
         FROM chat_members cm JOIN chats c ON c.id = cm.chat_id WHERE cm.chat_id = $1 AND cm.user_id = $2`,
      [chatId, userId],
    );
    return row;
  }

  /** The chat's members in the order they joined, with their roles in a group (as in the chat list's `users`). */
  async chatMembers(chatId: string): Promise<ChatMember[]> {
    if (!isStoreId(chatId)) return [];
    const rows = await this.db.query<ChatMember & { role: MemberRole | null }>(
      `SELECT u.id, u.email, u.username, CASE WHEN c.direct_key IS NULL THEN cm.role END AS role
         FROM chat_members cm JOIN users u ON u.id = cm.user_id JOIN chats c ON c.id = cm.chat_id
        WHERE cm.chat_id = $1 ORDER BY cm.joined_at, u.id`,
      [chatId],
    );
    return rows.map(({ role, ...user }) => (role === null ? user : { ...user, role }));
  }

  /**
   * Everyone who shares with `userId` at least one chat of at most `maxChatMembers` members (not
   * the user themselves), each once (CHAT_PARTNERS): read on every connection, for presence.
   */
  async chatPartnerIds(userId: string, maxChatMembers: number): Promise<string[]> {
    if (!isStoreId(userId)) return [];
    const rows = await this.db.query<{ user_id: string }>('SELECT user_id FROM chat_partners($1, $2)', [
      userId,
      maxChatMembers,
    ]);
    return rows.map((row) => row.user_id);
  }

  /** Mutes or unmutes the chat for one of its members; false when they are not one. */
  async setMuted(chatId: string, userId: string, muted: boolean): Promise<boolean> {
    if (!isStoreId(chatId)) return false;
    const rows = await this.db.query(
      'UPDATE chat_members SET muted = $3 WHERE chat_id = $1 AND user_id = $2 RETURNING 1',
      [chatId, userId, muted],
    );
    return rows.length > 0;
  }

  /** Those of `userIds` who muted the chat. */
  async mutedMembers(chatId: string, userIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.db.query<{ user_id: string }>(
      'SELECT user_id FROM chat_members WHERE chat_id = $1 AND user_id = ANY($2::uuid[]) AND muted',
      [chatId, userIds],
    );
    return new Set(rows.map((row) => row.user_id));
  }
}

const ROLE_LETTERS: Record<string, MemberRole> = { o: 'owner', a: 'admin' };

/** A group's owner and admins by user id, from its member_roles ('userId:o,userId:a'). */
function rolesOf(memberRoles: string): Map<string, MemberRole> {
  const roles = new Map<string, MemberRole>();
  if (memberRoles === '') return roles;
  for (const entry of memberRoles.split(',')) {
    const [userId, letter] = entry.split(':');
    roles.set(userId!, ROLE_LETTERS[letter!] ?? 'member');
  }
  return roles;
}
