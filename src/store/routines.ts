import {
  isoUtc,
  LAST_MESSAGE_EXTRAS,
  MESSAGE_SUMMARY,
  messageFieldsJson,
  messageSummary,
  SENDER_COLUMNS,
} from './message-form.js';
import { senderBlockedIn } from './blocks.js';
import { ANY_WEBHOOK_ENDPOINT, enqueueWebhookEvents, messageData, PUSH_TEXT_LENGTH } from './outbox-sql.js';
import { CHAT_LIST, CHAT_LIST_USERS, CHAT_PARTNERS } from './chats.js';
import { LIVE_ACCOUNT } from './users.js';
import {
  CHAT_CHANGES,
  HISTORY_CURSORS,
  STORE_MESSAGE_BATCH,
  historyPageRoutine,
  historyPageStatement,
} from './messages.js';
import { memberCount, memberList, memberRoles, mentionIds } from './sql.js';

/**
 * The database's functions and triggers, each defined only here, in its current form. Unlike
 * migrations, which are history, a routine is edited in place: `migrate` recreates every routine
 * whose text differs from the one the database last applied (schema_routines), after the
 * migrations, so that a routine always runs against the schema it was written for (`since`) —
 * and so no migration may call one. A migration that drops a routine's function must also delete
 * its schema_routines row. Written for PostgreSQL 15 (the servers) — PGlite runs 18.
 */
export interface Routine {
  /** The function's name and argument types, as DROP FUNCTION takes them. */
  signature: string;
  /** The schema version (migration) it is written for: it is created once the schema has reached it. */
  since: number;
  /**
   * The CREATE FUNCTION statement; for a trigger function CREATE OR REPLACE FUNCTION followed by
   * its triggers' CREATE OR REPLACE TRIGGER: it is replaced in place, never dropped, as its
   * triggers depend on it (its result type is always trigger, which CREATE OR REPLACE can keep).
   */
  sql: string;
  /** A trigger function with its triggers (see sql). */
  trigger?: true;
}

/**
 * A read statement (with `$1…$n` parameters of `parameterTypes`) as a PL/pgSQL function that
 * returns its rows (`returns`: the result columns with their types): PL/pgSQL keeps a statement's
 * plan for the connection's life, where a statement sent as such is planned on every call — and
 * planning asks PGlite's file system for the size of every table and index the statement names.
 * For statements that are run often. PostgreSQL plans the first five calls for their values and
 * then keeps the generic plan unless it guesses that one dearer, in which case it goes on planning
 * every call; `generic` makes it keep the generic plan from the first call (plan_cache_mode), for
 * a statement whose best plan is the same whatever the values — as for a history page on a
 * million messages, whose LIMIT the generic plan cannot see (it was planned on every call). A
 * statement whose plan does depend on them must not be `generic`: with a sync page's generic plan
 * on PostgreSQL 15, the bench's 10,000-change catch-up took 13 times as long. VOLATILE for one that
 * writes.
 */
function keptPlan(
  name: string,
  parameterTypes: readonly string[],
  returns: string,
  statement: string,
  {
    volatility = 'STABLE',
    generic = false,
    since = 22,
  }: { volatility?: 'STABLE' | 'VOLATILE'; generic?: boolean; since?: number } = {},
): Routine {
  return {
    signature: `${name}(${parameterTypes.join(', ')})`,
    since,
    sql: `
      CREATE FUNCTION ${name}(${parameterTypes.join(', ')}) RETURNS TABLE (${returns})
      ${volatility} LANGUAGE plpgsql${generic ? ' SET plan_cache_mode = force_generic_plan' : ''} AS $$
      #variable_conflict use_column
      BEGIN
        RETURN QUERY ${statement};
      END $$`,
  };
}

export const ROUTINES: readonly Routine[] = [
  {
    signature: MESSAGE_SUMMARY.signature,
    since: 14,
    sql: `
      -- A chat's last message as the JSON text the chat list sends of it (ChatStore.listChats):
      -- the message's fields as message-form.ts defines them.
      CREATE FUNCTION message_summary(${MESSAGE_SUMMARY.parameters}) RETURNS text
      IMMUTABLE LANGUAGE sql AS $$
        SELECT ${messageFieldsJson('p_')}
      $$`,
  },
  {
    signature: 'insert_message_batch(uuid[], uuid[], uuid[], text[], text[], uuid[])',
    since: 24,
    sql: `
      -- One batch of sends (MessageStore.insertMessages), as one call: lock the batch's chats in
      -- id order (two batches sharing chats cannot deadlock), then one statement that checks
      -- membership (that the sender is not blocked in a direct chat, and that a reply's target is
      -- a live message of the same chat), stamps each
      -- message's created_at, seq and version, moves each chat's last message, seq and version,
      -- inserts the messages with the members they mention (mentionIds, sql.ts: a text without '@'
      -- costs one strpos) and adds them to the unread counters, and unread mention counters, of
      -- the members they are unread for. A function because its two statements are then planned
      -- once per connection: planned per batch, PGlite asked its file system for the size of
      -- every table and index involved each time.
      --
      -- Ordering invariant: the chat row stays locked until commit, and each message is stamped
      -- after the chat's previous one (created_at strictly later, even within one millisecond;
      -- seq and version the chat's next), so within a chat all three increase in commit order.
      -- The second statement starts after the locks are held and, in a VOLATILE function under
      -- READ COMMITTED, takes its own snapshot, so it sees every member added before (addMembers
      -- takes the same lock) and bumps their counters.
      -- Parameters are p_-prefixed so that no column can ever shadow one; the result columns
      -- share the tables' names, and inside the queries a bare name means the column.
      CREATE FUNCTION insert_message_batch(
        p_ids uuid[], p_chat_ids uuid[], p_sender_ids uuid[], p_texts text[], p_client_message_ids text[],
        p_reply_to_ids uuid[]
      ) RETURNS TABLE (id uuid, text text, sender_id uuid, chat_id uuid, created_at timestamptz,
                       seq bigint, version bigint, reply_to_id uuid, mention_ids uuid[], email text, username text,
                       bot boolean)
      VOLATILE LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      BEGIN
        PERFORM 1 FROM chats c WHERE c.id = ANY(p_chat_ids) ORDER BY c.id FOR UPDATE;
        RETURN QUERY
        WITH input AS (
          SELECT * FROM unnest(p_ids, p_chat_ids, p_sender_ids, p_texts, p_client_message_ids, p_reply_to_ids)
                   WITH ORDINALITY AS t(id, chat_id, sender_id, text, client_message_id, reply_to_id, ord)
        ), allowed AS (
          -- Each message its chat takes, with the chat's position before the batch (its row is
          -- locked, and read once per message here: the direct chat's block check needs it too).
          SELECT t.*, ${mentionIds('t.text', 't.chat_id')} AS mention_ids,
                 row_number() OVER (PARTITION BY t.chat_id ORDER BY t.ord) AS rn,
                 count(*) OVER (PARTITION BY t.chat_id) AS n,
                 l.last_message_at AS previous_at, l.last_seq AS previous_seq, l.version AS previous_version
            FROM input t JOIN chats l ON l.id = t.chat_id
           WHERE EXISTS (SELECT 1 FROM chat_members m WHERE m.chat_id = t.chat_id AND m.user_id = t.sender_id)
             -- A direct chat whose other member blocked the sender takes nothing from them.
             AND NOT ${senderBlockedIn('l', 't.sender_id')}
             -- Under the chat's lock no deletion of the target commits before this send does.
             AND (t.reply_to_id IS NULL
                  OR EXISTS (SELECT 1 FROM messages r
                              WHERE r.id = t.reply_to_id AND r.chat_id = t.chat_id AND r.deleted_at IS NULL))
        ), stamped AS (
          -- Each message as it will be: its chat's next seq and version, and a time 1 ms after its
          -- chat's previous message, from a clock read once for the batch (an InitPlan). Read twice
          -- below, so computed once (a CTE read twice is materialized). Each message's own stamps,
          -- not a chat's stamps joined back to its messages: that join compared every message with
          -- every chat of the batch.
          SELECT a.id, a.chat_id, a.sender_id, a.text, a.client_message_id, a.reply_to_id, a.mention_ids, a.rn, a.n,
                 GREATEST((SELECT date_trunc('milliseconds', clock_timestamp())),
                          a.previous_at + interval '1 millisecond') + interval '1 millisecond' * (a.rn - 1) AS created_at,
                 a.previous_seq + a.rn AS seq, a.previous_version + a.rn AS version,
                 NULL::timestamptz AS edited_at, NULL::timestamptz AS deleted_at,
                 NULL::timestamptz AS pinned_at, NULL::uuid AS pinned_by
            FROM allowed a
        ), stamp AS (
          -- Each chat's last message of the batch becomes the chat's last message, seq and version;
          -- it has no file (attachFiles comes after) and no reaction yet (migration 24).
          UPDATE chats c
             SET last_message_at = t.created_at, last_message_id = t.id, last_seq = t.seq, version = t.version,
                 last_message = ${messageSummary('t')}, last_message_plain = true
            FROM stamped t
           WHERE c.id = t.chat_id AND t.rn = t.n
        ), ins AS (
          INSERT INTO messages (id, chat_id, sender_id, text, client_message_id, created_at, seq, version, reply_to_id,
                                mention_ids)
          SELECT id, chat_id, sender_id, text, client_message_id, created_at, seq, version, reply_to_id, mention_ids
            FROM stamped
          RETURNING id, text, sender_id, chat_id, created_at, deleted_at, seq, version, reply_to_id, mention_ids
        ), unread AS (
          -- Each new message on the counters of the members it is unread for (isUnread, sql.ts):
          -- it comes after every read position (it is stamped after the chat's last message), so
          -- every member but its sender; and on the mention counters of those it mentions
          -- (isUnreadMention), but its sender. Counted per chat, then per member: the batch's
          -- messages in the chat less the member's own, and their mentions of the member, which
          -- only the messages that mention anyone are unnested for. Joining each message with its
          -- chat's members instead (a row per message and member, sorted and grouped) was a fifth of
          -- a 200-message batch's time on PGlite.
          UPDATE chat_members cm SET unread_count = cm.unread_count + b.n,
                                     unread_mention_count = cm.unread_mention_count + b.mentions
            FROM (SELECT o.chat_id, o.user_id, p.n - cardinality(array_positions(p.senders, o.user_id)) AS n,
                         COALESCE(mentioned.n, 0) AS mentions
                    FROM (SELECT i.chat_id, count(*)::int AS n, array_agg(i.sender_id) AS senders
                            FROM ins i GROUP BY i.chat_id) p
                    JOIN chat_members o ON o.chat_id = p.chat_id
                    LEFT JOIN (SELECT i.chat_id, target.user_id, count(*)::int AS n
                                 FROM ins i CROSS JOIN LATERAL unnest(i.mention_ids) AS target(user_id)
                                WHERE i.mention_ids IS NOT NULL AND target.user_id <> i.sender_id
                                GROUP BY i.chat_id, target.user_id) mentioned
                      ON mentioned.chat_id = o.chat_id AND mentioned.user_id = o.user_id) b
           WHERE cm.chat_id = b.chat_id AND cm.user_id = b.user_id AND (b.n > 0 OR b.mentions > 0)
        )
        SELECT ins.id, ins.text, ins.sender_id, ins.chat_id, ins.created_at, ins.seq, ins.version, ins.reply_to_id,
               ins.mention_ids, ${SENDER_COLUMNS}
          FROM ins JOIN users u ON u.id = ins.sender_id;
      END $$`,
  },
  {
    signature: 'chats_recount_member_ids()',
    since: 21,
    trigger: true,
    sql: `
      -- After members are added or removed (also by cascade: a deleted user or chat), rewrites
      -- the chat's member ids and their read positions (memberList, sql.ts), which the chat list
      -- reads instead of aggregating members per chat, and its member count, which presence reads
      -- (ChatStore.chatPartnerIds), and its owner and admins (member_roles), which the chat list
      -- reads too. Writers that change a chat's members lock the chat row first
      -- (ChatStore.addMembers, removeMember, UserStore.deleteAccount), so that each recount sees
      -- the others' committed changes.
      CREATE OR REPLACE FUNCTION chats_recount_member_ids() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE chats c SET member_ids = ${memberList('user_id', 'c.id')}, read_seqs = ${memberList('last_read_seq', 'c.id')},
                           member_count = ${memberCount('c.id')}, member_roles = ${memberRoles('c.id')}
         WHERE c.id IN (SELECT DISTINCT chat_id FROM changed_members);
        RETURN NULL;
      END $$;
      CREATE OR REPLACE TRIGGER chat_members_added AFTER INSERT ON chat_members
        REFERENCING NEW TABLE AS changed_members
        FOR EACH STATEMENT EXECUTE FUNCTION chats_recount_member_ids();
      CREATE OR REPLACE TRIGGER chat_members_removed AFTER DELETE ON chat_members
        REFERENCING OLD TABLE AS changed_members
        FOR EACH STATEMENT EXECUTE FUNCTION chats_recount_member_ids();`,
  },
  {
    signature: 'chats_last_message_decorated()',
    since: 24,
    trigger: true,
    sql: `
      -- A chat's last message that gets a file or a reaction is no longer plain
      -- (last_message_plain, migration 24), which the chat list reads to skip the last messages
      -- that have neither. Kept here, beside the rows, rather than by the code that writes them:
      -- during a rolling upgrade a node of before the migration attaches files and adds
      -- reactions too. A file is attached in its message's send, after insert_message_batch
      -- made that message the chat's last (and plain).
      CREATE OR REPLACE FUNCTION chats_last_message_decorated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE chats c SET last_message_plain = false
          FROM messages m
         WHERE m.id = NEW.message_id AND c.id = m.chat_id AND c.last_message_id = m.id AND c.last_message_plain;
        RETURN NULL;
      END $$;
      CREATE OR REPLACE TRIGGER message_reactions_last_message AFTER INSERT ON message_reactions
        FOR EACH ROW EXECUTE FUNCTION chats_last_message_decorated();
      CREATE OR REPLACE TRIGGER files_last_message AFTER UPDATE OF message_id ON files
        FOR EACH ROW WHEN (NEW.message_id IS NOT NULL) EXECUTE FUNCTION chats_last_message_decorated();`,
  },
  {
    signature: 'delete_messages_of_deleted()',
    since: 22,
    trigger: true,
    sql: `
      -- What messages' foreign keys to chats and users did on delete (migration 22): a deleted
      -- chat's messages, and a deleted user's, go with it — and with them their reactions and
      -- reports, by those tables' keys. Parley deletes neither; an operator may.
      CREATE OR REPLACE FUNCTION delete_messages_of_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'chats' THEN
          DELETE FROM messages WHERE chat_id IN (SELECT id FROM deleted_rows);
        ELSE
          DELETE FROM messages WHERE sender_id IN (SELECT id FROM deleted_rows);
        END IF;
        RETURN NULL;
      END $$;
      CREATE OR REPLACE TRIGGER chats_deleted_messages AFTER DELETE ON chats
        REFERENCING OLD TABLE AS deleted_rows
        FOR EACH STATEMENT EXECUTE FUNCTION delete_messages_of_deleted();
      CREATE OR REPLACE TRIGGER users_deleted_messages AFTER DELETE ON users
        REFERENCING OLD TABLE AS deleted_rows
        FOR EACH STATEMENT EXECUTE FUNCTION delete_messages_of_deleted();`,
  },
  {
    signature: 'outbox_messages_inserted()',
    since: 19,
    trigger: true,
    sql: `
      -- New messages (one call per send batch, insert_message_batch) into the outbox: a
      -- message.created delivery per subscribed webhook endpoint, and a push per subscription of
      -- each member a message is for (the other of a direct chat, or a member it mentions) who has
      -- not muted the chat. Whether the member is connected is asked when it is sent
      -- (outbox/outbox-worker.ts). Each part costs one probe of its empty table when unused.
      CREATE OR REPLACE FUNCTION outbox_messages_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF ${ANY_WEBHOOK_ENDPOINT} THEN
          ${enqueueWebhookEvents(
            `SELECT i.chat_id, 'message.created'::text AS event_type, ${messageData('i')} AS payload, i.version AS ord
               FROM inserted_messages i`,
          )};
        END IF;
        IF EXISTS (SELECT 1 FROM push_subscriptions) THEN
          INSERT INTO outbox (subscription_id, chat_id, event_type, payload)
          SELECT s.id, i.chat_id, 'push.message',
                 jsonb_build_object('chatId', i.chat_id, 'messageId', i.id, 'direct', c.direct_key IS NOT NULL,
                                    'mention', COALESCE(r.user_id = ANY(i.mention_ids), false), 'chatName', c.name,
                                    'sender', u.username, 'text', left(i.text, ${PUSH_TEXT_LENGTH}))
            FROM inserted_messages i
            JOIN chats c ON c.id = i.chat_id
            CROSS JOIN LATERAL (SELECT cm.user_id FROM chat_members cm
                                 WHERE c.direct_key IS NOT NULL AND cm.chat_id = i.chat_id
                                UNION SELECT unnest(i.mention_ids)) r
            JOIN chat_members cm ON cm.chat_id = i.chat_id AND cm.user_id = r.user_id AND NOT cm.muted
            JOIN push_subscriptions s ON s.user_id = r.user_id
            JOIN users u ON u.id = i.sender_id
           WHERE r.user_id <> i.sender_id
           ORDER BY i.chat_id, i.version, s.id;
        END IF;
        RETURN NULL;
      END $$;
      CREATE OR REPLACE TRIGGER messages_outbox_inserted AFTER INSERT ON messages
        REFERENCING NEW TABLE AS inserted_messages
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_messages_inserted();`,
  },
  {
    signature: 'outbox_messages_changed()',
    since: 19,
    trigger: true,
    sql: `
      -- Edited and deleted messages into the outbox (message.edited / message.deleted); other
      -- updates of a message (the version a reaction or pin takes, a pin) announce nothing here.
      CREATE OR REPLACE FUNCTION outbox_messages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF ${ANY_WEBHOOK_ENDPOINT} THEN
          ${enqueueWebhookEvents(
            `SELECT n.chat_id,
                    CASE WHEN n.deleted_at IS NOT NULL THEN 'message.deleted' ELSE 'message.edited' END AS event_type,
                    ${messageData('n')} AS payload, n.version AS ord
               FROM new_messages n JOIN old_messages o ON o.id = n.id
              WHERE (o.deleted_at IS NULL AND n.deleted_at IS NOT NULL)
                 OR (n.deleted_at IS NULL AND n.edited_at IS DISTINCT FROM o.edited_at)`,
          )};
        END IF;
        RETURN NULL;
      END $$;
      CREATE OR REPLACE TRIGGER messages_outbox_changed AFTER UPDATE ON messages
        REFERENCING OLD TABLE AS old_messages NEW TABLE AS new_messages
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_messages_changed();`,
  },
  {
    signature: 'outbox_reactions_changed()',
    since: 19,
    trigger: true,
    sql: `
      -- Reactions added and removed into the outbox; the message's version is the one the change
      -- took (MessageMarkStore.react takes it first). Reactions that go with their chat go unannounced.
      CREATE OR REPLACE FUNCTION outbox_reactions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF ${ANY_WEBHOOK_ENDPOINT} THEN
          ${enqueueWebhookEvents(
            `SELECT m.chat_id,
                    CASE TG_OP WHEN 'INSERT' THEN 'reaction.added' ELSE 'reaction.removed' END AS event_type,
                    jsonb_build_object('chatId', m.chat_id, 'messageId', r.message_id, 'userId', r.user_id,
                                       'emoji', r.emoji, 'version', m.version) AS payload,
                    m.version AS ord
               FROM changed_reactions r JOIN messages m ON m.id = r.message_id`,
          )};
        END IF;
        RETURN NULL;
      END $$;
      CREATE OR REPLACE TRIGGER message_reactions_outbox_added AFTER INSERT ON message_reactions
        REFERENCING NEW TABLE AS changed_reactions
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_reactions_changed();
      CREATE OR REPLACE TRIGGER message_reactions_outbox_removed AFTER DELETE ON message_reactions
        REFERENCING OLD TABLE AS changed_reactions
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_reactions_changed();`,
  },
  {
    signature: 'outbox_members_changed()',
    since: 19,
    trigger: true,
    sql: `
      -- Members added and removed into the outbox. A chat's first members are inserted by the
      -- transaction that creates it (ChatStore.createChat), whose now() is the chat's created_at:
      -- they make one chat.created with every member instead of a member.added each. Members that
      -- go with their chat go unannounced.
      CREATE OR REPLACE FUNCTION outbox_members_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF ${ANY_WEBHOOK_ENDPOINT} THEN
          ${enqueueWebhookEvents(
            `SELECT c.id AS chat_id, 'chat.created'::text AS event_type,
                    jsonb_build_object('chatId', c.id, 'name', c.name, 'direct', c.direct_key IS NOT NULL,
                                       'createdAt', ${isoUtc('c.created_at')},
                                       'members', (SELECT jsonb_agg(m.user_id ORDER BY m.user_id) FROM changed_members m
                                                    WHERE m.chat_id = c.id)) AS payload,
                    0::bigint AS ord
               FROM chats c
              WHERE TG_OP = 'INSERT' AND c.created_at = now() AND c.id IN (SELECT chat_id FROM changed_members)
             UNION ALL
             SELECT c.id, CASE TG_OP WHEN 'INSERT' THEN 'member.added' ELSE 'member.removed' END,
                    jsonb_build_object('chatId', c.id, 'userId', m.user_id, 'version', c.version), c.version
               FROM changed_members m JOIN chats c ON c.id = m.chat_id
              WHERE TG_OP = 'DELETE' OR c.created_at <> now()`,
          )};
        END IF;
        RETURN NULL;
      END $$;
      CREATE OR REPLACE TRIGGER chat_members_outbox_added AFTER INSERT ON chat_members
        REFERENCING NEW TABLE AS changed_members
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_members_changed();
      CREATE OR REPLACE TRIGGER chat_members_outbox_removed AFTER DELETE ON chat_members
        REFERENCING OLD TABLE AS changed_members
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_members_changed();`,
  },
  // A history page, for each set of cursors (MessageStore.listMessages).
  ...HISTORY_CURSORS.map((cursors) =>
    keptPlan(
      historyPageRoutine(cursors),
      ['uuid', 'uuid', ...cursors.map(() => 'uuid'), 'integer'],
      'page text, version bigint',
      historyPageStatement(cursors),
      { generic: true },
    ),
  ),
  // The chat list's three reads (ChatStore.listChats, listChatPage).
  keptPlan('chat_list', ['uuid', 'uuid', 'uuid', 'integer'], 'chats text', CHAT_LIST, { since: 24 }),
  keptPlan('chat_list_users', ['text'], 'users text', CHAT_LIST_USERS),
  keptPlan('last_message_extras', ['text', 'text', 'uuid'], 'extras text', LAST_MESSAGE_EXTRAS),
  // A sync page, a gap's fill (MessageStore.listChangesOf).
  keptPlan(
    'chat_changes',
    ['uuid[]', 'bigint[]', 'integer[]', 'uuid'],
    'chat_id uuid, version bigint, wanted integer, after bigint, events text, page text',
    CHAT_CHANGES,
  ),
  // Who a token names, on every handshake and request (UserStore.findAccount).
  keptPlan('live_account', ['uuid'], 'id uuid, email text, username text, banned boolean', LIVE_ACCOUNT),
  // A send batch with its stored messages as one JSON text (MessageStore.insertMessages).
  keptPlan(
    'store_message_batch',
    ['uuid[]', 'uuid[]', 'uuid[]', 'text[]', 'text[]', 'uuid[]'],
    'stored text',
    STORE_MESSAGE_BATCH,
    { volatility: 'VOLATILE' },
  ),
  // Whom a connection's presence is told to (ChatStore.chatPartnerIds).
  keptPlan('chat_partners', ['uuid', 'integer'], 'user_id uuid', CHAT_PARTNERS),
];
