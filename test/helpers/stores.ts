import { randomUUID } from 'node:crypto';
import { openPgliteDatabase } from '../../src/store/pglite-database.js';
import { openPostgresDatabase } from '../../src/store/postgres-database.js';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Message, PublicUser } from '../../src/protocol/types.js';
import type { Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { isUnreadMention, unreadCount } from '../../src/store/sql.js';
import { Store } from '../../src/store/store.js';
import { pgliteTemplate } from './pglite-template.js';

/**
 * The stores every store test runs against: embedded PGlite always, and the PostgreSQL server
 * named by DATABASE_URL whenever it is set. In CI it must be set: a missing server fails the run
 * instead of silently testing less.
 */
export interface StoreTarget {
  name: 'pglite' | 'postgres';
  open(): Promise<Database>;
}

const postgresUrl = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;

if (!postgresUrl) {
  if (process.env.CI) throw new Error('CI must set DATABASE_URL to a PostgreSQL server: store tests would skip it');
  console.warn(
    '\n*** DATABASE_URL is not set: store tests run on PGlite only and SKIP real PostgreSQL. ***\n' +
      '*** Run .ci/run (or set DATABASE_URL=postgres://…) to test against PostgreSQL too. ***\n',
  );
}

export const storeTargets: StoreTarget[] = [
  { name: 'pglite', open: async () => openPgliteDatabase(undefined, await pgliteTemplate()) },
  ...(postgresUrl ? [{ name: 'postgres' as const, open: () => openPostgresDatabase(postgresUrl) }] : []),
];

/**
 * An empty database of `target`'s kind for one test (a database of its own on the PostgreSQL
 * server, whose shared database already has every migration), dropped by the returned close().
 */
export async function emptyDatabase(target: StoreTarget): Promise<{ db: Database; close: () => Promise<void> }> {
  if (target.name === 'pglite') {
    const db = await openPgliteDatabase(undefined, await pgliteTemplate());
    return { db, close: () => db.close() };
  }
  const admin = await target.open();
  const name = `parley_empty_${randomUUID().replaceAll('-', '')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  const db = await openPostgresDatabase(url.toString(), 2);
  return {
    db,
    async close() {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

/**
 * Every member's unread counter in `chatIds`, kept by the writes, equals the unread rule's count
 * from the messages themselves (unreadCount). The tests that call it also state the expected
 * numbers, which pin down what the rule means.
 */
export async function expectCountersRight(db: Database, chatIds: string[]): Promise<void> {
  const rows = await db.query<{
    user_id: string;
    kept: number;
    counted: number;
    kept_mentions: number;
    counted_mentions: number;
  }>(
    `SELECT cm.user_id, cm.unread_count AS kept, ${unreadCount('cm')} AS counted,
            cm.unread_mention_count AS kept_mentions,
            (SELECT count(*)::int FROM messages um WHERE um.chat_id = cm.chat_id AND ${isUnreadMention('um', 'cm')}) AS counted_mentions
       FROM chat_members cm WHERE cm.chat_id = ANY($1::uuid[]) ORDER BY cm.user_id`,
    [chatIds],
  );
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    expect({ user: row.user_id, unread: row.kept, mentions: row.kept_mentions }).toStrictEqual({
      user: row.user_id,
      unread: row.counted,
      mentions: row.counted_mentions,
    });
  }
}

/** Environment for startServer() that puts the server on `target`'s store. */
export function serverEnvFor(target: StoreTarget['name']): Record<string, string> {
  return target === 'postgres' && postgresUrl ? { DATABASE_URL: postgresUrl } : { DATABASE_URL: 'memory://' };
}

export interface OpenedStore {
  readonly db: Database;
  readonly store: Store;
  /** A user with a unique email and username starting with `prefix`. */
  newUser: (prefix?: string) => Promise<PublicUser>;
  /** A group chat of `memberIds`; its id. */
  newChat: (memberIds: string[], name?: string | null) => Promise<string>;
  /** A message sent by `senderId`, which must be stored (anything else throws). */
  send: (chatId: string, senderId: string, text?: string) => Promise<Message>;
  /** The chat's current version; undefined when there is no such chat. */
  chatVersion: (chatId: string) => Promise<number | undefined>;
}

/**
 * A migrated database on `target` for the enclosing `describe`, with the Store over it; opened
 * before its tests and closed after the last. The returned object reads through to them.
 */
export function useStore(target: StoreTarget): OpenedStore {
  let db: Database | undefined;
  let store: Store | undefined;
  beforeAll(async () => {
    db = await target.open();
    await migrate(db);
    store = new Store(db);
  });
  afterAll(async () => {
    await db?.close();
  });
  const opened: OpenedStore = {
    get db() {
      if (!db) throw new Error('useStore: the database is not open yet (use it inside a test)');
      return db;
    },
    get store() {
      if (!store) throw new Error('useStore: the database is not open yet (use it inside a test)');
      return store;
    },
    newUser(prefix = 'u') {
      const tag = randomUUID().slice(0, 8);
      return opened.store.users.createUser({
        email: `${prefix}-${tag}@example.com`,
        username: `${prefix}_${tag}`,
        passwordHash: 'x',
      });
    },
    async newChat(memberIds, name = 'g') {
      return (await opened.store.chats.createChat({ name, memberIds, direct: false })).chatId;
    },
    async send(chatId, senderId, text = 'm') {
      const result = await opened.store.messages.insertMessage({ chatId, senderId, text });
      if (result.outcome !== 'created') throw new Error(`send refused: ${result.outcome}`);
      return result.message;
    },
    async chatVersion(chatId) {
      return (await opened.store.messages.chatVersions([chatId])).get(chatId);
    },
  };
  return opened;
}

/**
 * Environment for a server on a database of its own: a fresh PostgreSQL database created before
 * the file's tests and dropped after them when DATABASE_URL names a server, else in-memory PGlite.
 * For suites whose nodes work in the background on what is in the database (the outbox), which
 * the servers of other files sharing the database would otherwise take part in. Call it before
 * useServer, so that the database exists when the server starts.
 */
export function ownDatabaseEnv(): Record<string, string> {
  const env: Record<string, string> = { DATABASE_URL: 'memory://' };
  if (!postgresUrl) return env;
  const name = `parley_own_${randomUUID().replaceAll('-', '')}`;
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  let admin: Database | undefined;
  beforeAll(async () => {
    admin = await openPostgresDatabase(postgresUrl, 1);
    await admin.query(`CREATE DATABASE ${name}`);
    env.DATABASE_URL = url.toString();
  });
  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin?.close();
  });
  return env;
}
