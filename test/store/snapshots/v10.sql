-- A database at migration 10, as Parley's code at 5ebb5df leaves it (made by make-snapshot.ts).

CREATE FUNCTION chats_recount_member_ids() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      BEGIN
        UPDATE chats c
           SET member_ids = COALESCE(o.ids, ''), read_seqs = COALESCE(o.seqs, '')
          FROM (SELECT ch.id,
                       string_agg(m.user_id::text, ',' ORDER BY m.joined_at, m.user_id) AS ids,
                       string_agg(m.last_read_seq::text, ',' ORDER BY m.joined_at, m.user_id) AS seqs
                  FROM (SELECT DISTINCT chat_id AS id FROM changed_members) ch
                  LEFT JOIN chat_members m ON m.chat_id = ch.id
                 GROUP BY ch.id) o
         WHERE c.id = o.id;
        RETURN NULL;
      END $$;

CREATE FUNCTION insert_message_batch(p_ids uuid[], p_chat_ids uuid[], p_sender_ids uuid[], p_texts text[], p_client_message_ids text[]) RETURNS TABLE(id uuid, text text, sender_id uuid, chat_id uuid, created_at timestamp with time zone, seq bigint, version bigint, email text, username text)
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
          -- One row per chat: its last message of the batch, stamped n-1 ms after the first, with
          -- the chat's position and version before the batch. Materialized, so that
          -- clock_timestamp() is read once per chat for both copies below.
          SELECT a.chat_id, a.id, a.text, a.sender_id, a.n, l.last_seq AS seq0, l.version AS version0,
                 GREATEST(date_trunc('milliseconds', clock_timestamp()), l.last_message_at + interval '1 millisecond')
                   + interval '1 millisecond' * (a.n - 1) AS at
            FROM allowed a JOIN chats l ON l.id = a.chat_id
           WHERE a.rn = a.n
        ), stamp AS (
          UPDATE chats c
             SET last_message_at = t.at, last_message_id = t.id,
                 last_seq = t.seq0 + t.n, version = t.version0 + t.n,
                 last_message = message_summary(t.id, t.text, t.sender_id, t.at, NULL, NULL, t.seq0 + t.n, t.version0 + t.n)
            FROM stamped t
           WHERE c.id = t.chat_id
          RETURNING c.id AS chat_id, c.last_message_at, c.last_seq, c.version
        ), ins AS (
          -- The chat's last message of the batch has the last stamp, seq and version; the others
          -- count back from it.
          INSERT INTO messages (id, chat_id, sender_id, text, client_message_id, created_at, seq, version)
          SELECT a.id, a.chat_id, a.sender_id, a.text, a.client_message_id,
                 s.last_message_at - interval '1 millisecond' * (a.n - a.rn),
                 s.last_seq - (a.n - a.rn), s.version - (a.n - a.rn)
            FROM allowed a JOIN stamp s ON s.chat_id = a.chat_id
          RETURNING id, text, sender_id, chat_id, created_at, seq, version
        ), unread AS (
          -- New messages come after every read position: each counts for every other member.
          UPDATE chat_members cm SET unread_count = cm.unread_count + b.n
            FROM (SELECT a.chat_id, o.user_id, count(*)::int AS n
                    FROM allowed a JOIN chat_members o ON o.chat_id = a.chat_id AND o.user_id <> a.sender_id
                   GROUP BY a.chat_id, o.user_id) b
           WHERE cm.chat_id = b.chat_id AND cm.user_id = b.user_id
        )
        SELECT ins.id, ins.text, ins.sender_id, ins.chat_id, ins.created_at, ins.seq, ins.version, u.email, u.username
          FROM ins JOIN users u ON u.id = ins.sender_id;
      END $$;

CREATE FUNCTION message_summary(p_id uuid, p_text text, p_sender_id uuid, p_created_at timestamp with time zone, p_edited_at timestamp with time zone, p_deleted_at timestamp with time zone, p_seq bigint, p_version bigint) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
        SELECT array_to_json(ARRAY[p_id::text, p_text, p_sender_id::text,
          to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), to_char(p_edited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), to_char(p_deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          p_seq::text, p_version::text])::text
      $$;

CREATE TABLE chat_members (
    chat_id uuid NOT NULL,
    user_id uuid NOT NULL,
    joined_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    unread_count integer DEFAULT 0 NOT NULL,
    last_read_seq bigint DEFAULT 0 NOT NULL
);

CREATE TABLE chats (
    id uuid NOT NULL,
    name text,
    direct_key text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_message_id uuid,
    last_message_at timestamp with time zone,
    member_ids text DEFAULT ''::text NOT NULL,
    last_message text,
    version bigint DEFAULT 0 NOT NULL,
    last_seq bigint DEFAULT 0 NOT NULL,
    read_seqs text DEFAULT ''::text NOT NULL
);

CREATE TABLE messages (
    id uuid NOT NULL,
    chat_id uuid NOT NULL,
    sender_id uuid NOT NULL,
    text text NOT NULL,
    client_message_id text,
    created_at timestamp with time zone NOT NULL,
    edited_at timestamp with time zone,
    deleted_at timestamp with time zone,
    seq bigint NOT NULL,
    version bigint NOT NULL
);

CREATE TABLE schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE schema_routines (
    signature text NOT NULL,
    sha256 text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE users (
    id uuid NOT NULL,
    email text NOT NULL,
    username text NOT NULL,
    password_hash text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    external_id text,
    deleted_at timestamp with time zone
);

INSERT INTO chat_members VALUES
	('5afc38dd-90e7-4d54-ad17-3f4a815d245c', 'a0223971-ead7-4419-92ac-698d50ea27d0', '2026-12-03 09:32:43.920473+00', NULL, 0, 0),
	('5afc38dd-90e7-4d54-ad17-3f4a815d245c', 'ce1c6211-d1fe-42d2-8467-1102b73a7f13', '2026-12-03 09:32:43.920473+00', NULL, 0, 0),
	('edcb80c4-9a85-4a3e-9329-bb122117ec3a', '8f6e7f74-9be4-4bca-a567-a887a49813be', '2026-12-03 09:32:43.903636+00', NULL, 1, 0),
	('edcb80c4-9a85-4a3e-9329-bb122117ec3a', 'a0223971-ead7-4419-92ac-698d50ea27d0', '2026-12-03 09:32:43.903636+00', '2026-12-03 09:32:43.982+00', 0, 2),
	('2f95ae92-9cb7-4d34-946e-1dfc0ee2cdf6', 'a0223971-ead7-4419-92ac-698d50ea27d0', '2026-12-03 09:32:43.894594+00', NULL, 2, 0),
	('2f95ae92-9cb7-4d34-946e-1dfc0ee2cdf6', '8f6e7f74-9be4-4bca-a567-a887a49813be', '2026-12-03 09:32:43.894594+00', NULL, 3, 0),
	('2f95ae92-9cb7-4d34-946e-1dfc0ee2cdf6', 'd4b1211b-9fbc-4b94-bc24-35580cd7e7d7', '2026-12-03 09:32:43.894594+00', '2026-12-03 09:32:43.951+00', 3, 2);

INSERT INTO chats VALUES
	('2f95ae92-9cb7-4d34-946e-1dfc0ee2cdf6', 'old group', NULL, '2026-12-03 09:32:43.894594+00', '7429548a-deab-42d0-8b01-5ec5154d621f', '2026-12-03 09:32:44.202+00', '8f6e7f74-9be4-4bca-a567-a887a49813be,a0223971-ead7-4419-92ac-698d50ea27d0,d4b1211b-9fbc-4b94-bc24-35580cd7e7d7', '["7429548a-deab-42d0-8b01-5ec5154d621f","seven","a0223971-ead7-4419-92ac-698d50ea27d0","2026-12-03T09:32:44.202Z",null,null,"7","9"]', 10, 7, '0,0,2'),
	('5afc38dd-90e7-4d54-ad17-3f4a815d245c', 'empty', NULL, '2026-12-03 09:32:43.920473+00', NULL, NULL, 'a0223971-ead7-4419-92ac-698d50ea27d0,ce1c6211-d1fe-42d2-8467-1102b73a7f13', NULL, 0, 0, '0,0'),
	('edcb80c4-9a85-4a3e-9329-bb122117ec3a', NULL, '8f6e7f74-9be4-4bca-a567-a887a49813be:a0223971-ead7-4419-92ac-698d50ea27d0', '2026-12-03 09:32:43.903636+00', 'caf1cc6e-4cbb-4dc9-a060-391dd4c6a052', '2026-12-03 09:32:43.982+00', '8f6e7f74-9be4-4bca-a567-a887a49813be,a0223971-ead7-4419-92ac-698d50ea27d0', '["caf1cc6e-4cbb-4dc9-a060-391dd4c6a052","hello!","8f6e7f74-9be4-4bca-a567-a887a49813be","2026-12-03T09:32:43.982Z","2026-12-03T09:32:44.046Z",null,"2","3"]', 3, 2, '0,2');

INSERT INTO messages VALUES
	('5808f0c6-f92e-4fa5-8964-6ec6fa3f22ff', '2f95ae92-9cb7-4d34-946e-1dfc0ee2cdf6', 'a0223971-ead7-4419-92ac-698d50ea27d0', 'one', 'c-one', '2026-12-03 09:32:43.933+00', NULL, NULL, 1, 1),
	('19f82ae3-be60-44e0-8e08-52daa5b75d75', '2f95ae92-9cb7-4d34-946e-1dfc0ee2cdf6', 'a0223971-ead7-4419-92ac-698d50ea27d0', 'four', NULL, '2026-12-03 09:32:43.975+00', NULL, NULL, 4, 4),
	('54ddfc36-a876-44ee-b078-43c72ee2ac86', '2f95ae92-9cb7-4d34-946e-1dfc0ee2cdf6', '8f6e7f74-9be4-4bca-a567-a887a49813be', 'five', NULL, '2026-12-03 09:32:43.976+00', NULL, NULL, 5, 5),
	('4363832e-4fad-45d4-aed1-e2ed85ce8771', 'edcb80c4-9a85-4a3e-9329-bb122117ec3a', 'a0223971-ead7-4419-92ac-698d50ea27d0', 'hi', NULL, '2026-12-03 09:32:43.975+00', NULL, NULL, 1, 1),
	('201fb405-94e3-4eda-a817-aea9ce8602d2', '2f95ae92-9cb7-4d34-946e-1dfc0ee2cdf6', '8f6e7f74-9be4-4bca-a567-a887a49813be', 'two, edited', 'c-two', '2026-12-03 09:32:43.951+00', '2026-12-03 09:32:44.003+00', NULL, 2, 6),
	('f6ae4211-f271-4e3a-9190-6469243bf614', '2f95ae92-9cb7-4d34-946e-1dfc0ee2cdf6', 'd4b1211b-9fbc-4b94-bc24-35580cd7e7d7', '', 'c-three', '2026-12-03 09:32:43.96+00', NULL, '2026-12-03 09:32:44.009+00', 3, 7),
	('caf1cc6e-4cbb-4dc9-a060-391dd4c6a052', 'edcb80c4-9a85-4a3e-9329-bb122117ec3a', '8f6e7f74-9be4-4bca-a567-a887a49813be', 'hello!', 'c-hello', '2026-12-03 09:32:43.982+00', '2026-12-03 09:32:44.046+00', NULL, 2, 3),
	('7429548a-deab-42d0-8b01-5ec5154d621f', '2f95ae92-9cb7-4d34-946e-1dfc0ee2cdf6', 'a0223971-ead7-4419-92ac-698d50ea27d0', 'seven', 'c-seven', '2026-12-03 09:32:44.202+00', NULL, NULL, 7, 9),
	('5534012b-65eb-46c8-9be0-1859486b275f', '2f95ae92-9cb7-4d34-946e-1dfc0ee2cdf6', '46cd8ca0-bc12-4b52-af1b-c831b563611b', '', 'c-six, from dave', '2026-12-03 09:32:44.194+00', NULL, '2026-12-03 09:32:44.216+00', 6, 10);

INSERT INTO schema_migrations VALUES
	(1, 'users, chats, members, messages', '2026-12-03 09:32:43.686184+00'),
	(2, 'message edits and tombstones', '2026-12-03 09:32:43.686184+00'),
	(3, 'users from an external identity provider', '2026-12-03 09:32:43.686184+00'),
	(4, 'unread counters on chat members', '2026-12-03 09:32:43.686184+00'),
	(5, 'member ids on chats', '2026-12-03 09:32:43.686184+00'),
	(6, 'message batches written by one function', '2026-12-03 09:32:43.686184+00'),
	(7, 'the last message kept on its chat', '2026-12-03 09:32:43.686184+00'),
	(8, 'chat versions, message positions and read positions', '2026-12-03 09:32:43.686184+00'),
	(9, 'read positions on chats', '2026-12-03 09:32:43.686184+00'),
	(10, 'deleted accounts', '2026-12-03 09:32:43.686184+00');

INSERT INTO schema_routines VALUES
	('message_summary(uuid, text, uuid, timestamptz, timestamptz, timestamptz, bigint, bigint)', 'd51e48a1d78231851aec8f1964d670efbf8c0da0fc4eaa1b351cc937d60f00f8', '2026-12-03 09:32:43.686184+00'),
	('insert_message_batch(uuid[], uuid[], uuid[], text[], text[])', '338da96f1a811855b880e745f10aef83ef16822905f70abbc0cd9588ca5cc3f2', '2026-12-03 09:32:43.686184+00'),
	('chats_recount_member_ids()', '469708d9d89afbf459c6655568ff8c59cdb052598c1c91a39f2bd460358e23e2', '2026-12-03 09:32:43.686184+00');

INSERT INTO users VALUES
	('a0223971-ead7-4419-92ac-698d50ea27d0', 'alice@example.com', 'alice', 'x', '2026-12-03 09:32:43.849706+00', NULL, NULL),
	('d4b1211b-9fbc-4b94-bc24-35580cd7e7d7', 'carol@example.com', 'carol', 'x', '2026-12-03 09:32:43.877315+00', NULL, NULL),
	('ce1c6211-d1fe-42d2-8467-1102b73a7f13', 'erin@example.com', 'erin', 'x', '2026-12-03 09:32:43.885259+00', NULL, NULL),
	('8f6e7f74-9be4-4bca-a567-a887a49813be', 'bob@example.com', 'bob', 'x', '2026-12-03 09:32:43.890285+00', NULL, NULL),
	('46cd8ca0-bc12-4b52-af1b-c831b563611b', 'deleted@deleted.invalid', '[deleted]', NULL, '2026-12-03 09:32:43.889414+00', NULL, '2026-12-03 09:32:44.215+00');

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

ALTER TABLE ONLY schema_routines
    ADD CONSTRAINT schema_routines_pkey PRIMARY KEY (signature);

ALTER TABLE ONLY users
    ADD CONSTRAINT users_external_id_key UNIQUE (external_id);

ALTER TABLE ONLY users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

CREATE INDEX chat_members_by_user ON chat_members USING btree (user_id, chat_id);

CREATE UNIQUE INDEX messages_chat_order ON messages USING btree (chat_id, created_at, id);

CREATE INDEX messages_chat_version ON messages USING btree (chat_id, version);

CREATE UNIQUE INDEX messages_client_id ON messages USING btree (chat_id, sender_id, client_message_id) WHERE (client_message_id IS NOT NULL);

CREATE UNIQUE INDEX users_email_key ON users USING btree (lower(email)) WHERE (deleted_at IS NULL);

CREATE INDEX users_email_prefix ON users USING btree (lower(email) text_pattern_ops);

CREATE UNIQUE INDEX users_username_key ON users USING btree (lower(username)) WHERE (deleted_at IS NULL);

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
