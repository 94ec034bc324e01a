import { unreadCount } from './sql.js';

/**
 * The schema's history, oldest first. A migration is never edited once released: change the
 * schema by appending one. Written for PostgreSQL 15 (the servers) — PGlite runs 18.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, chats, members, messages',
    sql: `
      CREATE TABLE users (
        id            uuid PRIMARY KEY,
        email         text NOT NULL,
        username      text NOT NULL,
        -- NULL for users that come from an external identity provider.
        password_hash text,
        created_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX users_email_key ON users (lower(email));
      CREATE UNIQUE INDEX users_username_key ON users (lower(username));
      -- Prefix search ("LIKE 'ab%'") on either name.
      CREATE INDEX users_email_prefix ON users (lower(email) text_pattern_ops);
      CREATE INDEX users_username_prefix ON users (lower(username) text_pattern_ops);

      CREATE TABLE chats (
        id              uuid PRIMARY KEY,
        name            text,
        -- "smaller-id:larger-id" for a direct chat, so that a pair has at most one.
        direct_key      text UNIQUE,
        created_at      timestamptz NOT NULL DEFAULT now(),
        -- Kept in the sending transaction: the chat list needs no scan of messages, and the row
        -- lock it takes orders the chat's messages (see Store.insertMessage).
        last_message_id uuid,
        last_message_at timestamptz
      );

      CREATE TABLE chat_members (
        chat_id      uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
        user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        joined_at    timestamptz NOT NULL DEFAULT now(),
        -- Read position: messages created after it count as unread.
        last_read_at timestamptz,
        PRIMARY KEY (chat_id, user_id)
      );
      CREATE INDEX chat_members_by_user ON chat_members (user_id, chat_id);

      CREATE TABLE messages (
        id                uuid PRIMARY KEY,
        chat_id           uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
        sender_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        text              text NOT NULL,
        client_message_id text,
        created_at        timestamptz NOT NULL
      );
      -- Keyset pagination of a chat's history; created_at is unique within a chat.
      CREATE UNIQUE INDEX messages_chat_order ON messages (chat_id, created_at, id);
      -- One stored message per retried send.
      CREATE UNIQUE INDEX messages_client_id ON messages (chat_id, sender_id, client_message_id)
        WHERE client_message_id IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: 'message edits and tombstones',
    sql: `
      -- Both NULL for a message as sent. A deleted message keeps its row (and so its place in the
      -- chat's order) with its text erased: a tombstone.
      ALTER TABLE messages ADD COLUMN edited_at timestamptz;
      ALTER TABLE messages ADD COLUMN deleted_at timestamptz;
    `,
  },
  {
    version: 3,
    name: 'users from an external identity provider',
    sql: `
      -- The provider's subject (the token's sub) of a user created from its token; NULL for users
      -- who registered here. The unique constraint is what makes two concurrent first connects of
      -- one subject create one user (INSERT … ON CONFLICT (external_id) DO NOTHING).
      ALTER TABLE users ADD COLUMN external_id text;
      ALTER TABLE users ADD CONSTRAINT users_external_id_key UNIQUE (external_id);
    `,
  },
  {
    version: 4,
    name: 'unread counters on chat members',
    sql: `
      -- The member's unread messages (the unread rule, sql.ts's isUnread), kept by every write
      -- that changes it, in that write's transaction (insert_message_batch, MessageStore.markRead,
      -- MessageStore.deleteMessage, ChatStore.addMembers, UserStore.deleteAccount), so that the
      -- chat list reads a number instead of counting messages per chat. Writers that change it
      -- for many members lock the chat row first, as sends do, so that they serialise with the
      -- chat's sends.
      ALTER TABLE chat_members ADD COLUMN unread_count integer NOT NULL DEFAULT 0;
      UPDATE chat_members cm SET unread_count = ${unreadCount('cm')};
    `,
  },
  {
    version: 5,
    name: 'member ids on chats',
    sql: `
      -- The chat's member ids in join order ('id,id,…'), so that the chat list reads one column
      -- per chat instead of aggregating (and sorting) the members of each of a user's chats.
      -- Kept by a trigger, because memberships also end by cascade (a deleted user or chat).
      -- Writers that change a chat's members lock the chat row first (addMembers, removeMember,
      -- deleteUser), so that each recount sees the others' committed changes.
      ALTER TABLE chats ADD COLUMN member_ids text NOT NULL DEFAULT '';
      UPDATE chats c
         SET member_ids = COALESCE((SELECT string_agg(o.user_id::text, ',' ORDER BY o.joined_at, o.user_id)
                                      FROM chat_members o WHERE o.chat_id = c.id), '');
      CREATE FUNCTION chats_recount_member_ids() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE chats c
           SET member_ids = COALESCE((SELECT string_agg(o.user_id::text, ',' ORDER BY o.joined_at, o.user_id)
                                        FROM chat_members o WHERE o.chat_id = c.id), '')
         WHERE c.id IN (SELECT DISTINCT chat_id FROM changed_members);
        RETURN NULL;
      END $$;
      CREATE TRIGGER chat_members_added AFTER INSERT ON chat_members
        REFERENCING NEW TABLE AS changed_members
        FOR EACH STATEMENT EXECUTE FUNCTION chats_recount_member_ids();
      CREATE TRIGGER chat_members_removed AFTER DELETE ON chat_members
        REFERENCING OLD TABLE AS changed_members
        FOR EACH STATEMENT EXECUTE FUNCTION chats_recount_member_ids();
    `,
  },
  {
    version: 6,
    name: 'message batches written by one function',
    sql: `
      -- One batch of sends (MessageStore.insertMessages), as one call: lock the batch's chats in
      -- id order (two batches sharing chats cannot deadlock), then one statement that checks
      -- membership, stamps created_at, moves each chat's last message, inserts the messages and
      -- adds them to the other members' unread counters. A function because its two statements
      -- are then planned once per connection: planned per batch, PGlite asked its file system for
      -- the size of every table and index involved each time (12% of its time under load).
      --
      -- Ordering invariant: the chat row stays locked until commit and each message is stamped
      -- strictly after the chat's previous one, so within a chat (created_at, id) increases in
      -- commit order, even within one millisecond. The second statement starts after the locks
      -- are held and, in a VOLATILE function under READ COMMITTED, takes its own snapshot, so it
      -- sees every member added before (addMembers takes the same lock) and bumps their counters.
      -- Parameters are p_-prefixed so that no column can ever shadow one; the result columns
      -- share the tables' names, and inside the queries a bare name means the column.
      CREATE FUNCTION insert_message_batch(
        p_ids uuid[], p_chat_ids uuid[], p_sender_ids uuid[], p_texts text[], p_client_message_ids text[]
      ) RETURNS TABLE (id uuid, text text, sender_id uuid, chat_id uuid, created_at timestamptz,
                       email text, username text)
      VOLATILE LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      BEGIN
        PERFORM 1 FROM chats c WHERE c.id = ANY(p_chat_ids) ORDER BY c.id FOR UPDATE;
        RETURN QUERY
        WITH input AS (
          SELECT * FROM unnest(p_ids, p_chat_ids, p_sender_ids, p_texts, p_client_message_ids)
                   WITH ORDINALITY AS t(id, chat_id, sender_id, text, client_message_id, ord)
        ), allowed AS (
          SELECT t.*, row_number() OVER (PARTITION BY t.chat_id ORDER BY t.ord) AS rn,
                 count(*) OVER (PARTITION BY t.chat_id) AS n
            FROM input t
           WHERE EXISTS (SELECT 1 FROM chat_members m WHERE m.chat_id = t.chat_id AND m.user_id = t.sender_id)
        ), stamp AS (
          -- One row per chat: its last message of the batch, stamped n-1 ms after the first.
          UPDATE chats c
             SET last_message_at = GREATEST(date_trunc('milliseconds', clock_timestamp()),
                                            c.last_message_at + interval '1 millisecond')
                                   + interval '1 millisecond' * (a.n - 1),
                 last_message_id = a.id
            FROM allowed a
           WHERE c.id = a.chat_id AND a.rn = a.n
          RETURNING c.id AS chat_id, c.last_message_at
        ), ins AS (
          INSERT INTO messages (id, chat_id, sender_id, text, client_message_id, created_at)
          SELECT a.id, a.chat_id, a.sender_id, a.text, a.client_message_id,
                 s.last_message_at - interval '1 millisecond' * (a.n - a.rn)
            FROM allowed a JOIN stamp s ON s.chat_id = a.chat_id
          RETURNING id, text, sender_id, chat_id, created_at
        ), unread AS (
          -- New messages come after every read position: each counts for every other member.
          UPDATE chat_members cm SET unread_count = cm.unread_count + b.n
            FROM (SELECT a.chat_id, o.user_id, count(*)::int AS n
                    FROM allowed a JOIN chat_members o ON o.chat_id = a.chat_id AND o.user_id <> a.sender_id
                   GROUP BY a.chat_id, o.user_id) b
           WHERE cm.chat_id = b.chat_id AND cm.user_id = b.user_id
        )
        SELECT ins.id, ins.text, ins.sender_id, ins.chat_id, ins.created_at, u.email, u.username
          FROM ins JOIN users u ON u.id = ins.sender_id;
      END $$;
    `,
  },
  {
    version: 7,
    name: 'the last message kept on its chat',
    sql: `
      -- Each chat's last message as the JSON text the chat list sends of it (ChatStore.listChats),
      -- so that listing a user's chats reads no message: on a table of a million messages, one
      -- index lookup per listed chat was most of the chat list's database time. Written with
      -- last_message_id (insert_message_batch) and when that message is edited or deleted
      -- (MessageStore, which locks the chat row first, as sends do).
      ALTER TABLE chats ADD COLUMN last_message text;
      CREATE FUNCTION message_summary(p_id uuid, p_text text, p_sender_id uuid, p_created_at timestamptz,
                                      p_edited_at timestamptz, p_deleted_at timestamptz) RETURNS text
      STABLE LANGUAGE sql AS $$
        SELECT array_to_json(ARRAY[p_id::text, p_text, p_sender_id::text,
          to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          to_char(p_edited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          to_char(p_deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')])::text
      $$;
      UPDATE chats c SET last_message = message_summary(m.id, m.text, m.sender_id, m.created_at, m.edited_at, m.deleted_at)
        FROM messages m WHERE m.id = c.last_message_id;
      -- As migration 6's, but for the chat's copy of its last message.
      CREATE OR REPLACE FUNCTION insert_message_batch(
        p_ids uuid[], p_chat_ids uuid[], p_sender_ids uuid[], p_texts text[], p_client_message_ids text[]
      ) RETURNS TABLE (id uuid, text text, sender_id uuid, chat_id uuid, created_at timestamptz,
                       email text, username text)
      VOLATILE LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      BEGIN
        PERFORM 1 FROM chats c WHERE c.id = ANY(p_chat_ids) ORDER BY c.id FOR UPDATE;
        RETURN QUERY
        WITH input AS (
          SELECT * FROM unnest(p_ids, p_chat_ids, p_sender_ids, p_texts, p_client_message_ids)
                   WITH ORDINALITY AS t(id, chat_id, sender_id, text, client_message_id, ord)
        ), allowed AS (
          SELECT t.*, row_number() OVER (PARTITION BY t.chat_id ORDER BY t.ord) AS rn,
                 count(*) OVER (PARTITION BY t.chat_id) AS n
            FROM input t
           WHERE EXISTS (SELECT 1 FROM chat_members m WHERE m.chat_id = t.chat_id AND m.user_id = t.sender_id)
        ), stamped AS MATERIALIZED (
          -- One row per chat: its last message of the batch, stamped n-1 ms after the first.
          -- Materialized, so that clock_timestamp() is read once per chat for both copies below.
          SELECT a.chat_id, a.id, a.text, a.sender_id,
                 GREATEST(date_trunc('milliseconds', clock_timestamp()), l.last_message_at + interval '1 millisecond')
                   + interval '1 millisecond' * (a.n - 1) AS at
            FROM allowed a JOIN chats l ON l.id = a.chat_id
           WHERE a.rn = a.n
        ), stamp AS (
          UPDATE chats c
             SET last_message_at = t.at, last_message_id = t.id,
                 last_message = message_summary(t.id, t.text, t.sender_id, t.at, NULL, NULL)
            FROM stamped t
           WHERE c.id = t.chat_id
          RETURNING c.id AS chat_id, c.last_message_at
        ), ins AS (
          INSERT INTO messages (id, chat_id, sender_id, text, client_message_id, created_at)
          SELECT a.id, a.chat_id, a.sender_id, a.text, a.client_message_id,
                 s.last_message_at - interval '1 millisecond' * (a.n - a.rn)
            FROM allowed a JOIN stamp s ON s.chat_id = a.chat_id
          RETURNING id, text, sender_id, chat_id, created_at
        ), unread AS (
          -- New messages come after every read position: each counts for every other member.
          UPDATE chat_members cm SET unread_count = cm.unread_count + b.n
            FROM (SELECT a.chat_id, o.user_id, count(*)::int AS n
                    FROM allowed a JOIN chat_members o ON o.chat_id = a.chat_id AND o.user_id <> a.sender_id
                   GROUP BY a.chat_id, o.user_id) b
           WHERE cm.chat_id = b.chat_id AND cm.user_id = b.user_id
        )
        SELECT ins.id, ins.text, ins.sender_id, ins.chat_id, ins.created_at, u.email, u.username
          FROM ins JOIN users u ON u.id = ins.sender_id;
      END $$;
    `,
  },
  {
    version: 8,
    name: 'chat versions, message positions and read positions',
    sql: `
      -- Every change to a chat's messages takes the chat's next version (chats.version), under the
      -- chat row's lock that every such writer takes first: versions are gap-free and increase in
      -- commit order. A message keeps its position in the chat (seq: 1, 2, 3…, from chats.last_seq,
      -- never reused) and the version of its latest change, which sync reads by (chat_id, version).
      ALTER TABLE chats ADD COLUMN version bigint NOT NULL DEFAULT 0;
      ALTER TABLE chats ADD COLUMN last_seq bigint NOT NULL DEFAULT 0;
      ALTER TABLE messages ADD COLUMN seq bigint;
      ALTER TABLE messages ADD COLUMN version bigint;
      UPDATE messages m SET seq = o.seq, version = o.seq
        FROM (SELECT id, row_number() OVER (PARTITION BY chat_id ORDER BY created_at, id) AS seq FROM messages) o
       WHERE m.id = o.id;
      ALTER TABLE messages ALTER COLUMN seq SET NOT NULL;
      ALTER TABLE messages ALTER COLUMN version SET NOT NULL;
      -- No index on seq: no query looks a message up by it, and the chat's lock keeps it unique.
      CREATE INDEX messages_chat_version ON messages (chat_id, version);
      UPDATE chats c SET last_seq = s.n, version = s.n
        FROM (SELECT chat_id, max(seq) AS n FROM messages GROUP BY chat_id) s
       WHERE c.id = s.chat_id;

      -- A member's read position as the seq of the last message read (0: nothing read), which
      -- clients compare with message seqs to show read ticks.
      ALTER TABLE chat_members ADD COLUMN last_read_seq bigint NOT NULL DEFAULT 0;
      UPDATE chat_members cm
         SET last_read_seq = COALESCE((SELECT max(m.seq) FROM messages m
                                        WHERE m.chat_id = cm.chat_id AND m.created_at <= cm.last_read_at), 0)
       WHERE cm.last_read_at IS NOT NULL;

      -- The functions live in routines.ts from now on, recreated whenever their text changes.
      -- Their old forms go, and each chat's copy of its last message is rewritten in the new form
      -- (with seq and version, as routines.ts's message_summary writes it).
      DROP FUNCTION insert_message_batch(uuid[], uuid[], uuid[], text[], text[]);
      DROP FUNCTION message_summary(uuid, text, uuid, timestamptz, timestamptz, timestamptz);
      UPDATE chats c SET last_message = array_to_json(ARRAY[m.id::text, m.text, m.sender_id::text,
          to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          to_char(m.edited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          to_char(m.deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          m.seq::text, m.version::text])::text
        FROM messages m WHERE m.id = c.last_message_id;
    `,
  },
  {
    version: 9,
    name: 'read positions on chats',
    sql: `
      -- Each chat's members' read positions ('seq,seq,…', aligned with member_ids), so that the
      -- chat list reads one more column per chat instead of grouping every member row of a
      -- user's chats (10 ms per 1,000 chats on PGlite). markRead rewrites it under the chat's
      -- lock; the member trigger (routines.ts, chats_recount_member_ids) when members change.
      ALTER TABLE chats ADD COLUMN read_seqs text NOT NULL DEFAULT '';
      UPDATE chats c
         SET read_seqs = COALESCE((SELECT string_agg(o.last_read_seq::text, ',' ORDER BY o.joined_at, o.user_id)
                                     FROM chat_members o WHERE o.chat_id = c.id), '');
    `,
  },
  {
    version: 10,
    name: 'deleted accounts',
    sql: `
      -- A deleted account keeps its row, so that its messages stay in their chats as tombstones
      -- attributed to it, but gives up everything else (UserStore.deleteAccount): deleted_at is
      -- set, the email and username become the deleted user's placeholders, the password hash
      -- is erased. Its email and username are free again: the unique indexes cover live
      -- accounts only. Its provider subject (external_id) stays, so that the provider's tokens
      -- for it name no usable account.
      ALTER TABLE users ADD COLUMN deleted_at timestamptz;
      DROP INDEX users_email_key;
      CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE deleted_at IS NULL;
      DROP INDEX users_username_key;
      CREATE UNIQUE INDEX users_username_key ON users (lower(username)) WHERE deleted_at IS NULL;
    `,
  },
];
