import { FIELDS_BEFORE_REPLIES, messageFieldsJson } from './message-form.js';
import { memberCount, memberList, unreadCount } from './sql.js';

/**
 * The schema's history, oldest first: tables, columns, indexes and the data they are filled
 * with. Change the schema by appending a migration. A released one may be rewritten only so that
 * every database `migrate` brings up to date ends exactly as before (test/store/upgrade.test.ts
 * migrates databases that earlier code made and compares them with a fresh one). Functions and
 * triggers are not here but in routines.ts, created after the migrations. A migration may build
 * its SQL from the store's definitions (the unread rule, the message's form, the member lists)
 * as long as they hold at its schema version: every test starts from an empty database, so one
 * that no longer does fails at once. Written for PostgreSQL 15 (the servers) — PGlite runs 18.
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
        -- lock it takes orders the chat's messages (see insert_message_batch, routines.ts).
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
      -- Kept by the member trigger (chats_recount_member_ids, routines.ts, which creates it with
      -- its function), because memberships also end by cascade (a deleted user or chat).
      ALTER TABLE chats ADD COLUMN member_ids text NOT NULL DEFAULT '';
      UPDATE chats c SET member_ids = ${memberList('user_id', 'c.id')};
    `,
  },
  {
    version: 6,
    name: 'message batches written by one function',
    sql: `-- It created insert_message_batch, now a routine (routines.ts).`,
  },
  {
    version: 7,
    name: 'the last message kept on its chat',
    sql: `
      -- Each chat's last message as the JSON text the chat list sends of it (ChatStore.listChats),
      -- so that listing a user's chats reads no message: on a table of a million messages, one
      -- index lookup per listed chat was most of the chat list's database time. Written with
      -- last_message_id (insert_message_batch) and when that message is edited or deleted
      -- (MessageStore, which locks the chat row first, as sends do); filled by migration 8, in
      -- the form of message_summary (routines.ts).
      ALTER TABLE chats ADD COLUMN last_message text;
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

      -- The functions are routines (routines.ts) from here on. Databases made before that have
      -- their older forms from migrations 6 and 7; each chat's copy of its last message is
      -- rewritten in the current form, with seq and version.
      DROP FUNCTION IF EXISTS insert_message_batch(uuid[], uuid[], uuid[], text[], text[]);
      DROP FUNCTION IF EXISTS message_summary(uuid, text, uuid, timestamptz, timestamptz, timestamptz);
      UPDATE chats c SET last_message = ${messageFieldsJson('m.', FIELDS_BEFORE_REPLIES)}
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
      UPDATE chats c SET read_seqs = ${memberList('last_read_seq', 'c.id')};
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
  {
    version: 11,
    name: 'member counts on chats',
    sql: `
      -- The chat's number of members, so that presence (ChatStore.chatPartnerIds) can pass over a
      -- chat too big to announce presence in by reading its row, without reading its members.
      -- Kept by the member trigger (chats_recount_member_ids, routines.ts) with member_ids.
      ALTER TABLE chats ADD COLUMN member_count integer NOT NULL DEFAULT 0;
      UPDATE chats c SET member_count = ${memberCount('c.id')};
    `,
  },
  {
    version: 12,
    name: 'replies',
    sql: `
      -- The message a reply quotes: one of the same chat (sending checks it). No foreign key: a
      -- message goes only with its chat, and with it every reply to it, so the key would only
      -- cost every send of a reply a check and every chat deletion a lookup per message.
      ALTER TABLE messages ADD COLUMN reply_to_id uuid;

      -- The send path and the chat's copy of its last message carry the reply's id from here on
      -- (routines.ts): their older forms go. Copies written before end at version: no reply.
      DROP FUNCTION IF EXISTS insert_message_batch(uuid[], uuid[], uuid[], text[], text[]);
      DROP FUNCTION IF EXISTS message_summary(uuid, text, uuid, timestamptz, timestamptz, timestamptz, bigint, bigint);
      DELETE FROM schema_routines
       WHERE signature IN ('insert_message_batch(uuid[], uuid[], uuid[], text[], text[])',
                           'message_summary(uuid, text, uuid, timestamptz, timestamptz, timestamptz, bigint, bigint)');
    `,
  },
  {
    version: 13,
    name: 'reactions and pins',
    sql: `
      -- A member's reaction to a message: one row per (message, user, emoji), so that adding twice
      -- counts once. \`version\` is the chat version the reaction was added at: a message's
      -- reactions are listed in the order of their first one. The rows go with their message (and
      -- so with its chat); a tombstone's rows are left but never read (message-form.ts).
      CREATE TABLE message_reactions (
        message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        emoji      text NOT NULL,
        version    bigint NOT NULL,
        PRIMARY KEY (message_id, user_id, emoji)
      );

      -- A pinned message: when and by whom. A deletion unpins.
      ALTER TABLE messages ADD COLUMN pinned_at timestamptz, ADD COLUMN pinned_by uuid;
      -- A chat's pins, newest first (get_pinned_messages) and counted against the cap.
      CREATE INDEX messages_pinned ON messages (chat_id, pinned_at DESC, id DESC) WHERE pinned_at IS NOT NULL;

      -- The chat's copy of its last message carries the pin from here on (routines.ts): the older
      -- message_summary goes. Copies written before end at reply_to_id: not pinned.
      DROP FUNCTION IF EXISTS message_summary(uuid, text, uuid, timestamptz, timestamptz, timestamptz, bigint, bigint, uuid);
      DELETE FROM schema_routines
       WHERE signature = 'message_summary(uuid, text, uuid, timestamptz, timestamptz, timestamptz, bigint, bigint, uuid)';
    `,
  },
  {
    version: 14,
    name: 'mentions',
    sql: `
      -- The members a message mentions ('@username', sql.ts's mentionIds), in the order of their
      -- first mention, resolved when it is sent or edited (NULL: none; a tombstone has none). An
      -- array on the message rather than a table: it is read with every message and written only
      -- with its text, by the statement that writes the text. Messages sent before mention none.
      ALTER TABLE messages ADD COLUMN mention_ids uuid[];
      -- The member's unread messages that mention them (sql.ts's isUnreadMention), kept by the
      -- writes that keep unread_count (migration 4), in the same statements. Zero at first: no
      -- message mentions anyone yet.
      ALTER TABLE chat_members ADD COLUMN unread_mention_count integer NOT NULL DEFAULT 0;

      -- The chat's copy of its last message carries the mentions too from here on (routines.ts:
      -- message_summary, whose older form migration 13 dropped). Copies written before mention nobody.
    `,
  },
  {
    version: 15,
    name: 'message search',
    sql: `
      -- Full-text search of messages (MessageStore.searchMessages): the text's lexemes under
      -- Russian stemming (whose config also stems Latin words as English), English stemming and
      -- no stemming at all ('simple': made-up tokens, names, stop words), in one vector that
      -- PostgreSQL keeps with the text. A tombstone's text is '', so its vector is empty and an
      -- edit replaces the old text's lexemes: deleted messages are never found, edited ones only
      -- by their new text. The GIN index finds a rare word's messages; for a common word the
      -- search walks the newest messages by time instead (messages_created_at) and stops at a page.
      ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('russian'::regconfig, text) || to_tsvector('english'::regconfig, text)
          || to_tsvector('simple'::regconfig, text)) STORED;
      CREATE INDEX messages_search ON messages USING gin (search_vector);
      CREATE INDEX messages_created_at ON messages (created_at, id);
    `,
  },
  {
    version: 16,
    name: 'files',
    sql: `
      -- Uploaded files (FileStore, files.ts), kept in the database so that every node of a
      -- cluster serves them: a row per file and its bytes in chunks of FILE_CHUNK_BYTES.
      -- complete: the upload has ended and its type was accepted (until then nobody can read or
      -- attach it). message_id / chat_id: the one message the file is attached to, set by the
      -- send that attaches it; an unattached file is the uploader's alone and expires
      -- (FileStore.sweep). position: its place among the message's attachments.
      -- No foreign key to messages: a file is swept with its message's chat or its tombstone.
      CREATE TABLE files (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        type text NOT NULL DEFAULT '',
        size bigint NOT NULL DEFAULT 0,
        width integer,
        height integer,
        thumbnail bytea,
        complete boolean NOT NULL DEFAULT false,
        message_id uuid,
        chat_id uuid,
        position smallint,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX files_message ON files (message_id) WHERE message_id IS NOT NULL;
      CREATE INDEX files_unattached ON files (owner_id, created_at) WHERE message_id IS NULL;
      CREATE INDEX files_expiring ON files (created_at) WHERE message_id IS NULL;
      CREATE TABLE file_chunks (
        file_id uuid NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        n integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (file_id, n)
      );
      -- Most uploads are compressed already (images, zip, pdf): stored out of line uncompressed.
      ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
    `,
  },
  {
    version: 17,
    name: 'group roles and chat events',
    sql: `
      -- A group member's role (ChatStore, README "Group roles"): one 'owner', any number of
      -- 'admin's, everyone else 'member'. Direct chats keep 'member' for both: they have no roles.
      -- Existing groups: each one's earliest member (the creator) becomes its owner.
      ALTER TABLE chat_members ADD COLUMN role text NOT NULL DEFAULT 'member'
        CHECK (role IN ('owner', 'admin', 'member'));
      UPDATE chat_members cm SET role = 'owner'
        FROM (SELECT DISTINCT ON (m.chat_id) m.chat_id, m.user_id
                FROM chat_members m JOIN chats c ON c.id = m.chat_id AND c.direct_key IS NULL
               ORDER BY m.chat_id, m.joined_at, m.user_id) first
       WHERE cm.chat_id = first.chat_id AND cm.user_id = first.user_id;
      -- Whether plain members may add people to a group (true: as before roles existed).
      ALTER TABLE chats ADD COLUMN members_can_add boolean NOT NULL DEFAULT true;
      -- Changes to a chat itself (members, name, roles, settings), each at the chat version it
      -- took, under the chat's row lock, with the message changes (ChatEventStore,
      -- chat-events.ts): sync and the feed read them back by version. data names users by id
      -- only, so that an account's deletion leaves no email or username behind here.
      CREATE TABLE chat_events (
        chat_id uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
        version bigint NOT NULL,
        kind text NOT NULL,
        actor_id uuid,
        data jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (chat_id, version)
      );
    `,
  },
  {
    version: 18,
    name: 'blocks, reports, bans, moderation audit and bots',
    sql: `
      -- A user's blocks (BlockStore, blocks.ts): the blocker gets no new direct chat with the
      -- blocked user, and the blocked user's sends to their direct chat are refused. The second
      -- index serves the send's check, which knows the sender (the blocked one).
      CREATE TABLE user_blocks (
        blocker_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        blocked_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (blocker_id, blocked_id)
      );
      CREATE INDEX user_blocks_blocked ON user_blocks (blocked_id, blocker_id);
      -- Reports of messages by members of their chats, one per reporter and message, for
      -- moderators (ModerationStore, moderation.ts); listed newest first by id.
      CREATE TABLE message_reports (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_id uuid NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        reporter_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        reason text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (message_id, reporter_id)
      );
      -- Every moderation action, newest first by id: who did what to whom, and why. An account
      -- deleted since (the moderator's or the target's) leaves its entries with no id there.
      CREATE TABLE moderation_audit (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        moderator_id uuid REFERENCES users(id) ON DELETE SET NULL,
        action text NOT NULL,
        target_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
        target_message_id uuid,
        reason text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- A banned account (banned_at set) is refused every token, connection and login until unbanned.
      -- A bot account (bot) is an operator's: it has no password and signs in with API keys.
      ALTER TABLE users ADD COLUMN banned_at timestamptz, ADD COLUMN ban_reason text,
                        ADD COLUMN bot boolean NOT NULL DEFAULT false;
      -- A bot's API keys, by the SHA-256 of the key (BotStore, bots.ts); a revoked key's row is gone.
      CREATE TABLE bot_keys (
        key_hash bytea PRIMARY KEY,
        bot_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX bot_keys_bot ON bot_keys (bot_id);
    `,
  },
  {
    version: 19,
    name: 'mute, outgoing webhooks and web push',
    sql: `
      -- A member who muted the chat gets no mention alerts and no push for it; unread is still counted.
      ALTER TABLE chat_members ADD COLUMN muted boolean NOT NULL DEFAULT false;

      -- Operators' webhook endpoints (WebhookStore, webhooks.ts): the events they want by type
      -- (webhooks/webhook-events.ts) and the secret their deliveries are signed with.
      CREATE TABLE webhook_endpoints (
        id          uuid PRIMARY KEY,
        url         text NOT NULL,
        secret      text NOT NULL,
        event_types text[] NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      );

      -- A user's Web Push subscriptions (PushSubscriptionStore, push-subscriptions.ts): the push
      -- service's endpoint and the browser's keys its payloads are encrypted to.
      CREATE TABLE push_subscriptions (
        id         uuid PRIMARY KEY,
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        endpoint   text NOT NULL,
        p256dh     text NOT NULL,
        auth       text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (user_id, endpoint)
      );
      -- The VAPID key pair generated when none is configured (push/vapid-keys.ts): one row, shared
      -- by every node, since a subscription is bound to the public key it was made with.
      CREATE TABLE push_vapid_keys (
        only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        public_key  text NOT NULL,
        private_key text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      );

      -- Everything to be sent to the outside (OutboxStore, outbox.ts), written by triggers
      -- (routines.ts) in the transaction of the change it announces: a webhook delivery to one
      -- endpoint, or a push to one subscription. Rows of one endpoint and chat are sent one at a
      -- time in id order, which is the chat's version order (the triggers run under the chat's
      -- row lock). lease_until / lease_token: a node is sending it; an expired lease is anyone's.
      CREATE TABLE outbox (
        id              bigserial PRIMARY KEY,
        endpoint_id     uuid REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        subscription_id uuid REFERENCES push_subscriptions (id) ON DELETE CASCADE,
        chat_id         uuid,
        event_type      text NOT NULL,
        payload         jsonb NOT NULL,
        state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'parked', 'skipped')),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until     timestamptz,
        lease_token     uuid,
        last_attempt_at timestamptz,
        last_status     integer,
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        CHECK ((endpoint_id IS NULL) <> (subscription_id IS NULL))
      );
      CREATE INDEX outbox_due ON outbox (id) WHERE state = 'pending';
      CREATE INDEX outbox_queue ON outbox (endpoint_id, chat_id, id) WHERE state = 'pending';
      CREATE INDEX outbox_history ON outbox (endpoint_id, id DESC) WHERE endpoint_id IS NOT NULL;
    `,
  },
  {
    version: 20,
    name: 'bots marked by their account alone',
    sql: `
      -- A message's \`bot\` is read from its sender's users.bot (message-form.ts), no longer from a
      -- bot's placeholder email (bot-<id>@bots.invalid), which BotStore.createBot gives every bot
      -- it marks and registration refuses to anyone else. Every account there is a bot's, so the
      -- switch changes no message's mark: an account marked otherwise (by hand) is marked here.
      UPDATE users SET bot = true WHERE email LIKE 'bot-%@bots.invalid' AND NOT bot;
    `,
  },
  {
    version: 21,
    name: 'chat member roles kept on the chat',
    sql: `
      -- Each group's owner and admins as 'userId:o,userId:a,…' (the role's first letter), kept
      -- with the chat like member_ids (routines.ts, chats_recount_member_ids, and every change of
      -- a role), so that the chat list reads them from the chat row, not from its members.
      ALTER TABLE chats ADD COLUMN member_roles text NOT NULL DEFAULT '';
      UPDATE chats c
         SET member_roles = r.roles
        FROM (SELECT o.chat_id, string_agg(o.user_id::text || ':' || left(o.role, 1), ',' ORDER BY o.user_id) AS roles
                FROM chat_members o WHERE o.role <> 'member' GROUP BY o.chat_id) r
       WHERE c.id = r.chat_id;
    `,
  },
  {
    version: 22,
    name: 'messages without foreign keys',
    sql: `
      -- A message's chat and sender were foreign keys, which PostgreSQL checks with one query per
      -- key for every stored message: a ninth of a 200-message send batch on PGlite. They held
      -- nothing the send does not: insert_message_batch (routines.ts), the only writer of
      -- messages, stores a message only when its sender is a member of its chat, under the chat's
      -- lock, and chat_members' own keys hold that both exist; Parley deletes neither chats nor
      -- users (an account is closed, its messages kept as tombstones). What the keys did on
      -- delete, taking a deleted chat's or user's messages with it, triggers do
      -- (delete_messages_of_deleted, routines.ts), for a row deleted by hand.
      ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_chat_id_fkey,
                           DROP CONSTRAINT IF EXISTS messages_sender_id_fkey;
    `,
  },
  {
    version: 23,
    name: 'message search index without a pending list',
    sql: `
      -- With fastupdate (GIN's default) a new message's lexemes wait in a pending list, and the
      -- send that finds the list past gin_pending_list_limit (4 MB: about 45 s of sends at
      -- 1,000 msg/s) merges all of it into the index inside its own statement: 300–400 ms in
      -- which no message of any chat is stored (the bench's open-loop delivery on PostgreSQL
      -- stalled so, in some runs; docs/performance.md). PostgreSQL's documentation ("GIN Tips")
      -- advises turning fastupdate off where consistent response time matters more than update
      -- speed. The entries already pending are merged now rather than at the next vacuum.
      ALTER INDEX messages_search SET (fastupdate = off);
      SELECT gin_clean_pending_list('messages_search'::regclass);
    `,
  },
  {
    version: 24,
    name: 'chats know when their last message has no files or reactions',
    sql: `
      -- True when the chat's last message has no file and no reaction, which its copy
      -- (last_message) does not hold: the chat list then reads none for it (ChatStore.listChats),
      -- where it read them for every live last message, a thousand chats' worth per list. Set by
      -- the send that makes a message the chat's last (insert_message_batch, routines.ts), cleared
      -- when a file is attached to it or a reaction added (chats_last_message_decorated, routines.ts);
      -- false only ever means "look", which is what the chats of today say until their next message.
      ALTER TABLE chats ADD COLUMN last_message_plain boolean NOT NULL DEFAULT false;
    `,
  },
];
