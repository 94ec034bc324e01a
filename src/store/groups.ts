import type { ChatEvent, ChatEventChange, MemberRole } from '../protocol/types.js';
import type { Database, SqlExecutor } from './database.js';
import { recordChatEvent, removeMembership } from './chat-events.js';
import { LIVE_ACCOUNTS } from './chats.js';
import { isStoreId, REWRITE_MEMBER_ROLES, unreadCounts } from './sql.js';

/**
 * What a change to a group is checked against, read under the chat row's lock: nothing about
 * the chat changes between the check and the change.
 */
export interface GroupState {
  direct: boolean;
  membersCanAdd: boolean;
  /** The acting user's role; null when they are not a member. */
  actorRole: MemberRole | null;
  /** The role of the member acted on, when there is one; null when they are not a member. */
  targetRole?: MemberRole | null;
}

/**
 * The caller's rule for a change (the chat service's, chat/group-rules.ts), run under the lock:
 * it throws to refuse, and nothing is written.
 */
export type GroupCheck = (state: GroupState) => void;

/** A change to a group by `actorId`, allowed by `check` (none: the store's own callers, such as tests). */
export interface GroupActor {
  id: string | null;
  check?: GroupCheck | undefined;
}

export type AddMembersResult =
  | { outcome: 'added'; addedIds: string[]; events: ChatEvent[] }
  | { outcome: 'too_many' }
  | { outcome: 'unknown_user'; userId: string };

/** A chat that is not there, as a change's check sees it. */
const NO_CHAT: GroupState = { direct: false, membersCanAdd: false, actorRole: null, targetRole: null };

/**
 * Changes to a chat's membership, name, roles and settings. Each locks the chat row first (as
 * sends and member changes do), checks the caller's rule against the state read under that lock,
 * then changes and records each change as a versioned chat event (chat-events.ts), returned in
 * version order for the caller to publish.
 */
export class GroupStore {
  constructor(private readonly db: Database) {}

  /**
   * Adds users to a chat unless the chat would then have more than `maxMembers` ('too_many') or
   * one of them is not a live account ('unknown_user': malformed, unknown or deleted); nobody is
   * added then. `addedIds` are those that were not members yet (and now are), with the
   * `members_added` event (none when nobody was added). A new member has read nothing: their
   * unread counter starts at what the unread rule counts with no read position (the others' live
   * messages of the whole history), and their mention counter at those that mention them (a
   * member who left and comes back). The cap is counted under the chat's lock, so that concurrent
   * additions cannot each pass it on a count the other is about to change.
   */
  async addMembers(
    chatId: string,
    userIds: readonly string[],
    maxMembers: number,
    actor: GroupActor = { id: null },
  ): Promise<AddMembersResult> {
    const none: AddMembersResult = { outcome: 'added', addedIds: [], events: [] };
    return this.change(chatId, actor, undefined, none, async (tx) => {
      const unique = [...new Set(userIds)];
      const live = new Set(
        (await tx.query<{ id: string }>(LIVE_ACCOUNTS, [unique.filter(isStoreId)])).map((user) => user.id),
      );
      const unknown = unique.find((id) => !live.has(id));
      if (unknown !== undefined) return { outcome: 'unknown_user', userId: unknown };
      const [after] = await tx.query<{ members: number }>(
        `SELECT count(*)::int AS members
           FROM (SELECT user_id FROM chat_members WHERE chat_id = $1 UNION SELECT unnest($2::uuid[])) everyone`,
        [chatId, unique],
      );
      if (after!.members > maxMembers) return { outcome: 'too_many' };
      const rows = await tx.query<{ user_id: string }>(
        `INSERT INTO chat_members (chat_id, user_id, unread_count, unread_mention_count)
         SELECT new.chat_id, new.user_id, counts.unread, counts.mentions
           FROM (SELECT $1::uuid AS chat_id, id AS user_id, NULL::timestamptz AS last_read_at FROM unnest($2::uuid[]) AS id) new,
                LATERAL ${unreadCounts('new')} counts
         ON CONFLICT (chat_id, user_id) DO NOTHING RETURNING user_id`,
        [chatId, unique],
      );
      const addedIds = rows.map((row) => row.user_id);
      if (addedIds.length === 0) return none;
      const event = await recordChatEvent(tx, chatId, actor.id, { kind: 'members_added', userIds: addedIds });
      return { outcome: 'added', addedIds, events: [event] };
    });
  }

  /**
   * `userId` leaves the chat (`actor` themselves) or is removed by `actor`, and with them their
   * read position; an owner's leaving hands ownership over (removeMembership). Undefined when
   * they were not a member.
   */
  removeMember(chatId: string, userId: string, actor: GroupActor = { id: userId }): Promise<ChatEvent[] | undefined> {
    const target = isStoreId(userId) ? userId : null;
    return this.change<ChatEvent[] | undefined>(chatId, actor, target, undefined, async (tx) =>
      target === null ? undefined : removeMembership(tx, chatId, target, actor.id ?? target),
    );
  }

  /** Renames a group; no event when the name is the same. */
  rename(chatId: string, name: string, actor: GroupActor): Promise<ChatEvent[]> {
    return this.change(chatId, actor, undefined, [], async (tx) => {
      const renamed = await tx.query(
        'UPDATE chats SET name = $2 WHERE id = $1 AND name IS DISTINCT FROM $2 RETURNING 1',
        [chatId, name],
      );
      return renamed.length === 0 ? [] : [await recordChatEvent(tx, chatId, actor.id, { kind: 'chat_renamed', name })];
    });
  }

  /** Sets whether plain members may add people; no event when it already was so. */
  setMembersCanAdd(chatId: string, membersCanAdd: boolean, actor: GroupActor): Promise<ChatEvent[]> {
    return this.change(chatId, actor, undefined, [], async (tx) => {
      const changed = await tx.query(
        'UPDATE chats SET members_can_add = $2 WHERE id = $1 AND members_can_add <> $2 RETURNING 1',
        [chatId, membersCanAdd],
      );
      return changed.length === 0
        ? []
        : [await recordChatEvent(tx, chatId, actor.id, { kind: 'settings_changed', membersCanAdd })];
    });
  }

  /**
   * Gives member `userId` `role`: 'admin' or 'member' (`role_changed`), or 'owner', which hands
   * ownership over from the actor, who becomes an admin (`owner_changed`). No event when the role
   * already is so.
   */
  setRole(chatId: string, userId: string, role: MemberRole, actor: GroupActor & { id: string }): Promise<ChatEvent[]> {
    const target = isStoreId(userId) ? userId : null;
    return this.change(chatId, actor, target, [], async (tx) => {
      if (target === null) return [];
      const changed = await tx.query(
        "UPDATE chat_members SET role = $3 WHERE chat_id = $1 AND user_id = $2 AND role <> $3 AND role <> 'owner' RETURNING 1",
        [chatId, userId, role],
      );
      if (changed.length === 0) return [];
      const change: ChatEventChange =
        role === 'owner'
          ? { kind: 'owner_changed', userId, previousOwnerId: actor.id }
          : { kind: 'role_changed', userId, role };
      if (role === 'owner') {
        await tx.query("UPDATE chat_members SET role = 'admin' WHERE chat_id = $1 AND user_id = $2", [
          chatId,
          actor.id,
        ]);
      }
      await tx.query(REWRITE_MEMBER_ROLES, [chatId]);
      return [await recordChatEvent(tx, chatId, actor.id, change)];
    });
  }

  /**
   * One change: the chat row locked, the state read and checked under the lock, then `work`.
   * `targetId`: the member acted on (null: one that cannot be a member, such as a malformed id).
   * A chat that does not exist is checked as one the actor is not a member of, and then answers
   * `absent`.
   */
  private async change<T>(
    chatId: string,
    actor: GroupActor,
    targetId: string | null | undefined,
    absent: T,
    work: (tx: SqlExecutor) => Promise<T>,
  ): Promise<T> {
    if (!isStoreId(chatId)) {
      actor.check?.(NO_CHAT);
      return absent;
    }
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{
        direct: boolean;
        members_can_add: boolean;
        actor_role: MemberRole | null;
        target_role: MemberRole | null;
      }>(
        `SELECT c.direct_key IS NOT NULL AS direct, c.members_can_add,
                (SELECT role FROM chat_members WHERE chat_id = c.id AND user_id = $2) AS actor_role,
                (SELECT role FROM chat_members WHERE chat_id = c.id AND user_id = $3) AS target_role
           FROM chats c WHERE c.id = $1 FOR UPDATE`,
        [chatId, actor.id !== null && isStoreId(actor.id) ? actor.id : null, targetId ?? null],
      );
      actor.check?.(
        row
          ? {
              direct: row.direct,
              membersCanAdd: row.members_can_add,
              actorRole: row.actor_role,
              targetRole: row.target_role,
            }
          : NO_CHAT,
      );
      return row ? work(tx) : absent;
    });
  }
}
