-- A database at migration 7, as Parley's code at b46678b leaves it (made by make-snapshot.ts).

CREATE FUNCTION chats_recount_member_ids() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      BEGIN
        UPDATE chats c
           SET member_ids = COALESCE((SELECT string_agg(o.user_id::text, ',' ORDER BY o.joined_at, o.user_id)
                                        FROM chat_members o WHERE o.chat_id = c.id), '')
         WHERE c.id IN (SELECT DISTINCT chat_id FROM changed_members);
        RETURN NULL;
      END $$;

CREATE FUNCTION insert_message_batch(p_ids uuid[], p_chat_ids uuid[], p_sender_ids uuid[], p_texts text[], p_client_message_ids text[]) RETURNS TABLE(id uuid, text text, sender_id uuid, chat_id uuid, created_at timestamp with time zone, email text, username text)
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION message_summary(p_id uuid, p_text text, p_sender_id uuid, p_created_at timestamp with time zone, p_edited_at timestamp with time zone, p_deleted_at timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE
    AS $$
        SELECT array_to_json(ARRAY[p_id::text, p_text, p_sender_id::text,
          to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          to_char(p_edited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          to_char(p_deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')])::text
      $$;

CREATE TABLE chat_members (
    chat_id uuid NOT NULL,
    user_id uuid NOT NULL,
    joined_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    unread_count integer DEFAULT 0 NOT NULL
);

CREATE TABLE chats (
    id uuid NOT NULL,
    name text,
    direct_key text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_message_id uuid,
    last_message_at timestamp with time zone,
    member_ids text DEFAULT ''::text NOT NULL,
    last_message text
);

CREATE TABLE messages (
    id uuid NOT NULL,
    chat_id uuid NOT NULL,
    sender_id uuid NOT NULL,
    text text NOT NULL,
    client_message_id text,
    created_at timestamp with time zone NOT NULL,
    edited_at timestamp with time zone,
    deleted_at timestamp with time zone
);

CREATE TABLE schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE users (
    id uuid NOT NULL,
    email text NOT NULL,
    username text NOT NULL,
    password_hash text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    external_id text
);

INSERT INTO chat_members VALUES
	('9f829cef-61d4-4a71-b8af-9d2b5edc37aa', '79501d9b-1a6a-46a9-9153-591f2a78da77', '2026-12-03 09:32:41.750097+00', NULL, 0),
	('9f829cef-61d4-4a71-b8af-9d2b5edc37aa', '328d296e-0045-458a-a2a3-507fd6a30aca', '2026-12-03 09:32:41.750097+00', NULL, 0),
	('36fd6ac0-07d6-4992-a1dd-84fe69a6dde0', 'f5c855f2-e421-428c-8c4b-ce66876a0f7f', '2026-12-03 09:32:41.738286+00', NULL, 1),
	('36fd6ac0-07d6-4992-a1dd-84fe69a6dde0', '79501d9b-1a6a-46a9-9153-591f2a78da77', '2026-12-03 09:32:41.738286+00', '2026-12-03 09:32:41.839+00', 0),
	('73128208-4ced-4499-8adb-f90f0d05ed4e', '79501d9b-1a6a-46a9-9153-591f2a78da77', '2026-12-03 09:32:41.722679+00', NULL, 3),
	('73128208-4ced-4499-8adb-f90f0d05ed4e', '61f0acbf-f064-422d-9182-2ad7f2c30934', '2026-12-03 09:32:41.902104+00', NULL, 5),
	('73128208-4ced-4499-8adb-f90f0d05ed4e', 'eaa491cb-bc4a-4018-b051-1511892a75f6', '2026-12-03 09:32:41.722679+00', '2026-12-03 09:32:41.794+00', 4),
	('73128208-4ced-4499-8adb-f90f0d05ed4e', 'f5c855f2-e421-428c-8c4b-ce66876a0f7f', '2026-12-03 09:32:41.722679+00', NULL, 4);

INSERT INTO chats VALUES
	('9f829cef-61d4-4a71-b8af-9d2b5edc37aa', 'empty', NULL, '2026-12-03 09:32:41.750097+00', NULL, NULL, '328d296e-0045-458a-a2a3-507fd6a30aca,79501d9b-1a6a-46a9-9153-591f2a78da77', NULL),
	('36fd6ac0-07d6-4992-a1dd-84fe69a6dde0', NULL, '79501d9b-1a6a-46a9-9153-591f2a78da77:f5c855f2-e421-428c-8c4b-ce66876a0f7f', '2026-12-03 09:32:41.738286+00', '0ef71644-89a5-4431-a541-9fc5d0900d59', '2026-12-03 09:32:41.839+00', '79501d9b-1a6a-46a9-9153-591f2a78da77,f5c855f2-e421-428c-8c4b-ce66876a0f7f', '["0ef71644-89a5-4431-a541-9fc5d0900d59","hello!","f5c855f2-e421-428c-8c4b-ce66876a0f7f","2026-12-03T09:32:41.839Z","2026-12-03T09:32:41.876Z",null]'),
	('73128208-4ced-4499-8adb-f90f0d05ed4e', 'old group', NULL, '2026-12-03 09:32:41.722679+00', '834cdd26-4c77-4f32-a653-b6a7e87c0a92', '2026-12-03 09:32:41.946+00', '79501d9b-1a6a-46a9-9153-591f2a78da77,eaa491cb-bc4a-4018-b051-1511892a75f6,f5c855f2-e421-428c-8c4b-ce66876a0f7f,61f0acbf-f064-422d-9182-2ad7f2c30934', '["834cdd26-4c77-4f32-a653-b6a7e87c0a92","seven","79501d9b-1a6a-46a9-9153-591f2a78da77","2026-12-03T09:32:41.946Z",null,null]');

INSERT INTO messages VALUES
	('2f5a902e-ac37-4c78-9f95-4b4a0e76286e', '73128208-4ced-4499-8adb-f90f0d05ed4e', '79501d9b-1a6a-46a9-9153-591f2a78da77', 'one', 'c-one', '2026-12-03 09:32:41.768+00', NULL, NULL),
	('db42765b-de8a-4b10-a2b5-e91a9d951e84', '36fd6ac0-07d6-4992-a1dd-84fe69a6dde0', '79501d9b-1a6a-46a9-9153-591f2a78da77', 'hi', NULL, '2026-12-03 09:32:41.812+00', NULL, NULL),
	('f5b618ba-1011-477a-b371-3c7886eff4ae', '73128208-4ced-4499-8adb-f90f0d05ed4e', '79501d9b-1a6a-46a9-9153-591f2a78da77', 'four', NULL, '2026-12-03 09:32:41.812+00', NULL, NULL),
	('a5f938ce-8b0b-49c4-b503-a57b06fe01f0', '73128208-4ced-4499-8adb-f90f0d05ed4e', 'f5c855f2-e421-428c-8c4b-ce66876a0f7f', 'five', NULL, '2026-12-03 09:32:41.813+00', NULL, NULL),
	('475ffea8-8066-46c4-b272-f825039ba908', '73128208-4ced-4499-8adb-f90f0d05ed4e', 'f5c855f2-e421-428c-8c4b-ce66876a0f7f', 'two, edited', 'c-two', '2026-12-03 09:32:41.794+00', '2026-12-03 09:32:41.855+00', NULL),
	('3ea06791-0a84-42e6-8a0a-7c83963c31ec', '73128208-4ced-4499-8adb-f90f0d05ed4e', 'eaa491cb-bc4a-4018-b051-1511892a75f6', '', 'c-three', '2026-12-03 09:32:41.8+00', NULL, '2026-12-03 09:32:41.868+00'),
	('0ef71644-89a5-4431-a541-9fc5d0900d59', '36fd6ac0-07d6-4992-a1dd-84fe69a6dde0', 'f5c855f2-e421-428c-8c4b-ce66876a0f7f', 'hello!', 'c-hello', '2026-12-03 09:32:41.839+00', '2026-12-03 09:32:41.876+00', NULL),
	('b9454327-f18b-4593-ac25-97000c925c55', '73128208-4ced-4499-8adb-f90f0d05ed4e', '61f0acbf-f064-422d-9182-2ad7f2c30934', 'six, from dave', 'c-six, from dave', '2026-12-03 09:32:41.925+00', NULL, NULL),
	('834cdd26-4c77-4f32-a653-b6a7e87c0a92', '73128208-4ced-4499-8adb-f90f0d05ed4e', '79501d9b-1a6a-46a9-9153-591f2a78da77', 'seven', 'c-seven', '2026-12-03 09:32:41.946+00', NULL, NULL);

INSERT INTO schema_migrations VALUES
	(1, 'users, chats, members, messages', '2026-12-03 09:32:41.571889+00'),
	(2, 'message edits and tombstones', '2026-12-03 09:32:41.571889+00'),
	(3, 'users from an external identity provider', '2026-12-03 09:32:41.571889+00'),
	(4, 'unread counters on chat members', '2026-12-03 09:32:41.571889+00'),
	(5, 'member ids on chats', '2026-12-03 09:32:41.571889+00'),
	(6, 'message batches written by one function', '2026-12-03 09:32:41.571889+00'),
	(7, 'the last message kept on its chat', '2026-12-03 09:32:41.571889+00');

INSERT INTO users VALUES
	('79501d9b-1a6a-46a9-9153-591f2a78da77', 'alice@example.com', 'alice', 'x', '2026-12-03 09:32:41.708709+00', NULL),
	('eaa491cb-bc4a-4018-b051-1511892a75f6', 'carol@example.com', 'carol', 'x', '2026-12-03 09:32:41.712551+00', NULL),
	('f5c855f2-e421-428c-8c4b-ce66876a0f7f', 'bob@example.com', 'bob', 'x', '2026-12-03 09:32:41.713828+00', NULL),
	('61f0acbf-f064-422d-9182-2ad7f2c30934', 'dave@example.com', 'dave', 'x', '2026-12-03 09:32:41.71455+00', NULL),
	('328d296e-0045-458a-a2a3-507fd6a30aca', 'erin@example.com', 'erin', 'x', '2026-12-03 09:32:41.715379+00', NULL);

ALTER TABLE ONLY chat_members
    ADD CONSTRAINT chat_members_pkey PRIMARY KEY (chat_id, user_id);

ALTER TABLE ONLY chats
    ADD CONSTRAINT chats_direct_key_key UNIQUE (direct_key);

ALTER TABLE ONLY chats
    ADD CONSTRAINT chats_pkey PRIMARY KEY (id);

ALTER TABLE ONLY messages
    ADD CONSTRAINT messages_pkey PRIMARY KEY (id);

ALTER TABLE ONLY schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY users
    ADD CONSTRAINT users_external_id_key UNIQUE (external_id);

ALTER TABLE ONLY users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

CREATE INDEX chat_members_by_user ON chat_members USING btree (user_id, chat_id);

CREATE UNIQUE INDEX messages_chat_order ON messages USING btree (chat_id, created_at, id);

CREATE UNIQUE INDEX messages_client_id ON messages USING btree (chat_id, sender_id, client_message_id) WHERE (client_message_id IS NOT NULL);

CREATE UNIQUE INDEX users_email_key ON users USING btree (lower(email));

CREATE INDEX users_email_prefix ON users USING btree (lower(email) text_pattern_ops);

CREATE UNIQUE INDEX users_username_key ON users USING btree (lower(username));

CREATE INDEX users_username_prefix ON users USING btree (lower(username) text_pattern_ops);

CREATE TRIGGER chat_members_added AFTER INSERT ON chat_members REFERENCING NEW TABLE AS changed_members FOR EACH STATEMENT EXECUTE FUNCTION chats_recount_member_ids();

CREATE TRIGGER chat_members_removed AFTER DELETE ON chat_members REFERENCING OLD TABLE AS changed_members FOR EACH STATEMENT EXECUTE FUNCTION chats_recount_member_ids();

ALTER TABLE ONLY chat_members
    ADD CONSTRAINT chat_members_chat_id_fkey FOREIGN KEY (chat_id) REFERENCES chats(id) ON DELETE CASCADE;

ALTER TABLE ONLY chat_members
    ADD CONSTRAINT chat_members_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;

ALTER TABLE ONLY messages
    ADD CONSTRAINT messages_chat_id_fkey FOREIGN KEY (chat_id) REFERENCES chats(id) ON DELETE CASCADE;

ALTER TABLE ONLY messages
    ADD CONSTRAINT messages_sender_id_fkey FOREIGN KEY (sender_id) REFERENCES users(id) ON DELETE CASCADE;
