import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { ROUTINES } from '../../src/store/routines.js';
import { Store } from '../../src/store/store.js';
import { emptyDatabase, expectCountersRight, storeTargets, type StoreTarget } from '../helpers/stores.js';

/**
 * Databases that earlier code made and wrote, migrated by this code: snapshots (snapshots/*.sql,
 * made by make-snapshot.ts) of a database at migration 7, before the functions became routines,
 * and at migration 10, with the routines of then. Once migrated, each has exactly the schema a
 * fresh database gets, and its chats read as they did.
 */
const snapshot = (name: string) => readFileSync(new URL(`snapshots/${name}`, import.meta.url), 'utf8');

/**
 * The schema as the catalog has it: tables and columns, constraints, indexes, functions with
 * their bodies, triggers, and the migrations and routines recorded as applied.
 */
async function schemaOf(db: Database) {
  const list = async (sql: string) => (await db.query<{ item: string }>(sql)).map((row) => row.item);
  return {
    columns: await list(
      `SELECT concat_ws(' ', table_name, ordinal_position, column_name, data_type, is_nullable, column_default) AS item
         FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1`,
    ),
    constraints: await list(
      `SELECT concat_ws(' ', conrelid::regclass, conname, pg_get_constraintdef(oid)) AS item
         FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1`,
    ),
    indexes: await list(
      `SELECT replace(indexdef, schemaname || '.', '') AS item FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1`,
    ),
    functions: await list(
      `SELECT concat_ws(' ', proname, pg_get_function_identity_arguments(oid), pg_get_function_result(oid), provolatile, prosrc) AS item
         FROM pg_proc WHERE pronamespace = current_schema()::regnamespace ORDER BY 1`,
    ),
    triggers: await list(
      `SELECT replace(pg_get_triggerdef(t.oid), current_schema() || '.', '') AS item
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal ORDER BY 1`,
    ),
    migrations: await list(`SELECT version || ' ' || name AS item FROM schema_migrations ORDER BY version`),
    routines: await list(`SELECT signature || ' ' || sha256 AS item FROM schema_routines ORDER BY signature`),
  };
}

type Schema = Awaited<ReturnType<typeof schemaOf>>;

/** `name` (a snapshot) loaded into an empty database of `target`'s kind and migrated, beside the schema a fresh database gets. */
async function upgrade(
  target: StoreTarget,
  name: string,
  work: (db: Database, fresh: Schema, applied: number[]) => Promise<void>,
) {
  const fresh = await emptyDatabase(target);
  const old = await emptyDatabase(target);
  try {
    await migrate(fresh.db);
    await old.db.script(snapshot(name));
    await work(old.db, await schemaOf(fresh.db), await migrate(old.db));
  } finally {
    await Promise.all([fresh.close(), old.close()]);
  }
}

/** The chats whose member_count is not the number of their members. */
const membersMiscounted = async (db: Database) =>
  db.query(
    'SELECT c.id FROM chats c WHERE c.member_count <> (SELECT count(*) FROM chat_members o WHERE o.chat_id = c.id)',
  );

/** The rows of `sql` (key, id) as an object from key to id. */
const idsByKey = async (db: Database, sql: string) =>
  Object.fromEntries((await db.query<{ key: string; id: string }>(sql)).map((row) => [row.key, row.id]));

describe.each(storeTargets)('Upgrading an older database on $name', (target) => {
  it('from migration 10 (routines of then): the fresh schema, the same answers, and every write still works', async () => {
    const expected = JSON.parse(snapshot('v10.expected.json')) as {
      users: Record<string, string>;
      chats: Record<'group' | 'direct' | 'empty', string>;
      listChats: Record<string, unknown>;
      history: Record<string, unknown>;
      changes: Record<string, unknown>;
    };
    await upgrade(target, 'v10.sql', async (db, fresh, applied) => {
      // A fresh database has every routine, and the member, outbox, deletion and last-message triggers with theirs.
      expect(fresh.functions.map((f) => f.split(' ')[0]).sort()).toEqual(
        ROUTINES.map((r) => r.signature.split('(')[0]).sort(),
      );
      expect(fresh.triggers).toEqual([
        expect.stringMatching(/^CREATE TRIGGER chat_members_added AFTER INSERT ON .*chats_recount_member_ids/),
        expect.stringMatching(
          /^CREATE TRIGGER chat_members_outbox_added AFTER INSERT ON .*FOR EACH STATEMENT .*outbox_members_changed/,
        ),
        expect.stringMatching(
          /^CREATE TRIGGER chat_members_outbox_removed AFTER DELETE ON .*FOR EACH STATEMENT .*outbox_members_changed/,
        ),
        expect.stringMatching(/^CREATE TRIGGER chat_members_removed AFTER DELETE ON .*chats_recount_member_ids/),
        expect.stringMatching(
          /^CREATE TRIGGER chats_deleted_messages AFTER DELETE ON chats .*FOR EACH STATEMENT .*delete_messages_of_deleted/,
        ),
        expect.stringMatching(
          /^CREATE TRIGGER files_last_message AFTER UPDATE OF message_id ON .*chats_last_message_decorated/,
        ),
        expect.stringMatching(
          /^CREATE TRIGGER message_reactions_last_message AFTER INSERT ON .*FOR EACH ROW .*chats_last_message_decorated/,
        ),
        expect.stringMatching(
          /^CREATE TRIGGER message_reactions_outbox_added AFTER INSERT ON .*FOR EACH STATEMENT .*outbox_reactions_changed/,
        ),
        expect.stringMatching(
          /^CREATE TRIGGER message_reactions_outbox_removed AFTER DELETE ON .*FOR EACH STATEMENT .*outbox_reactions_changed/,
        ),
        expect.stringMatching(
          /^CREATE TRIGGER messages_outbox_changed AFTER UPDATE ON .*FOR EACH STATEMENT .*outbox_messages_changed/,
        ),
        expect.stringMatching(
          /^CREATE TRIGGER messages_outbox_inserted AFTER INSERT ON .*FOR EACH STATEMENT .*outbox_messages_inserted/,
        ),
        expect.stringMatching(
          /^CREATE TRIGGER users_deleted_messages AFTER DELETE ON users .*FOR EACH STATEMENT .*delete_messages_of_deleted/,
        ),
      ]);
      expect(applied).toEqual(MIGRATIONS.filter((m) => m.version > 10).map((m) => m.version));
      expect(await schemaOf(db)).toEqual(fresh);
      expect(await membersMiscounted(db)).toEqual([]);
      const store = new Store(db);
      const { alice, bob, erin } = expected.users;
      const { group } = expected.chats;
      // Chat summaries gained unreadMentionCount since (migration 14): no message of then mentions
      // anyone; and roles and membersCanAdd in groups (migration 17): each group's earliest member
      // (the first of `users`, in join order) owns it; and muted (migration 19): nobody had muted a chat.
      const withMentionCounts = (chats: unknown) =>
        (chats as { name: string | null; users: object[] }[]).map((chat) => ({
          ...chat,
          unreadMentionCount: 0,
          muted: false,
          ...(chat.name !== null && {
            membersCanAdd: true,
            users: chat.users.map((user, i) => ({ ...user, role: i === 0 ? 'owner' : 'member' })),
          }),
        }));
      for (const [name, id] of Object.entries(expected.users)) {
        expect({ name, chats: await store.chats.listChats(id) }).toEqual({
          name,
          chats: withMentionCounts(expected.listChats[name]),
        });
      }
      for (const chatId of Object.values(expected.chats)) {
        // A page carries the chat's version now (it came with join_chat's only, and the snapshot's pages had 0).
        expect(await store.messages.listMessages(chatId, alice!, { limit: 50 })).toEqual({
          ...(expected.history[chatId] as object),
          version: (expected.changes[chatId] as { version: number }).version,
        });
        // Changes gained chat events (migration 17): none were recorded before it.
        expect(await store.messages.listChanges(chatId, 0, 50)).toEqual({
          ...(expected.changes[chatId] as object),
          events: [],
        });
      }

      // The routines and the member trigger work on the old rows.
      const sent = await store.messages.insertMessages([
        { chatId: group, senderId: bob!, text: 'after the upgrade' },
        { chatId: group, senderId: alice!, text: 'and another' },
      ]);
      expect(sent.map((r) => r.outcome === 'created' && [r.message.seq, r.message.version])).toEqual([
        [8, 11],
        [9, 12],
      ]);
      expect(await store.groups.addMembers(group, [erin!], 200)).toMatchObject({ addedIds: [erin] });
      const [summary] = await store.chats.listChats(erin!, group);
      // The addition is a chat event at version 13.
      expect(summary).toMatchObject({ unreadCount: 7, version: 13, messages: [{ text: 'and another', seq: 9 }] });
      expect(summary!.users.map((u) => u.id)).toContain(erin);
      await expectCountersRight(db, Object.values(expected.chats));
      expect(await membersMiscounted(db)).toEqual([]);
    });
  });

  it('from migration 7 (before routines): the fresh schema; messages numbered, read positions and counters carried over', async () => {
    await upgrade(target, 'v7.sql', async (db, fresh, applied) => {
      expect(applied).toEqual(MIGRATIONS.filter((m) => m.version > 7).map((m) => m.version));
      expect(await schemaOf(db)).toEqual(fresh);
      const store = new Store(db);
      const user = await idsByKey(db, 'SELECT username AS key, id FROM users');
      const chat = await idsByKey(db, `SELECT COALESCE(name, 'direct') AS key, id FROM chats`);
      const { alice, bob, carol } = user as Record<string, string>;
      const group = chat['old group']!;

      // In history order: one, two (edited), three (deleted), four, five, six, seven.
      const changes = await store.messages.listChanges(group, 0, 50);
      expect(changes!.messages.map((m) => [m.text, m.seq, m.version])).toEqual(
        ['one', 'two, edited', '', 'four', 'five', 'six, from dave', 'seven'].map((text, i) => [text, i + 1, i + 1]),
      );
      const [carols] = await store.chats.listChats(carol!, group);
      expect(carols).toMatchObject({ version: 7, unreadCount: 4, messages: [{ text: 'seven', seq: 7, version: 7 }] });
      expect(Object.fromEntries(carols!.readPositions.map((p) => [p.userId, p.seq]))).toMatchObject({
        [carol!]: 2,
        [alice!]: 0,
      });
      const [direct] = await store.chats.listChats(alice!, chat.direct);
      expect(direct).toMatchObject({
        unreadCount: 0,
        messages: [{ text: 'hello!', seq: 2, editedAt: expect.any(String) }],
      });

      // New sends continue the numbering; the member trigger keeps the lists.
      const next = await store.messages.insertMessage({ chatId: group, senderId: bob!, text: 'new' });
      expect(next).toMatchObject({ outcome: 'created', message: { seq: 8, version: 8 } });
      expect(await store.groups.removeMember(group, bob!)).toBeDefined();
      expect((await store.chats.listChats(carol!, group))[0]!.users.map((u) => u.id)).not.toContain(bob);
      await expectCountersRight(db, Object.values(chat));
      expect(await membersMiscounted(db)).toEqual([]);
    });
  });
});

describe.each(storeTargets)('Routines on $name', (target) => {
  it('are recreated when their text changes: a function dropped and created, a trigger function replaced under its triggers', async () => {
    const { db, close } = await emptyDatabase(target);
    try {
      await migrate(db);
      const before = await schemaOf(db);
      const edited = ROUTINES.map((routine) => ({
        ...routine,
        sql: `${routine.sql}; COMMENT ON FUNCTION ${routine.signature} IS 'edited'`,
      }));
      expect(await migrate(db, MIGRATIONS, edited)).toEqual([]);
      const comments = await db.query<{ comment: string | null }>(
        `SELECT obj_description(p.oid, 'pg_proc') AS comment FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace`,
      );
      expect(comments.map((c) => c.comment)).toEqual(ROUTINES.map(() => 'edited'));
      expect((await schemaOf(db)).routines).not.toEqual(before.routines);

      // Back to the routines as they are: the same schema as before, and the trigger still fires.
      await migrate(db);
      expect(await schemaOf(db)).toEqual(before);
      const store = new Store(db);
      const [a, b] = await Promise.all(
        ['a', 'b'].map((name) => store.users.createUser({ email: `${name}@x.y`, username: name, passwordHash: null })),
      );
      const { chatId } = await store.chats.createChat({ name: 'g', memberIds: [a!.id, b!.id], direct: false });
      expect((await store.chats.listChats(a!.id, chatId))[0]!.users.map((u) => u.id).sort()).toEqual(
        [a!.id, b!.id].sort(),
      );
    } finally {
      await close();
    }
  });
});
