import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Database } from '../src/store/database.js';
import { messageSummary } from '../src/store/message-form.js';
import { unreadCount } from '../src/store/sql.js';

/**
 * Bulk data for the scenarios, written straight into the database before the server starts
 * (PGlite allows one process at a time). Users get tokens signed with the server's secret.
 */
export interface SeededUser {
  id: string;
  token: string;
}

export interface SeededChat {
  id: string;
  memberIds: string[];
}

const BATCH = 50_000;

export async function seedUsers(db: Database, count: number, secret: string): Promise<SeededUser[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  for (let i = 0; i < ids.length; i += BATCH) {
    const slice = ids.slice(i, i + BATCH);
    await db.query(
      `INSERT INTO users (id, email, username, password_hash)
       SELECT id, 'bench-' || id || '@example.com', 'bench_' || replace(id::text, '-', ''), NULL
         FROM unnest($1::uuid[]) AS id`,
      [slice],
    );
  }
  const key = new TextEncoder().encode(secret);
  return Promise.all(
    ids.map(async (id) => ({
      id,
      token: await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(id)
        .setExpirationTime('2h')
        .sign(key),
    })),
  );
}

/** Group chats of `size` members over `users`, every user in exactly one chat. */
export async function seedGroupChats(db: Database, users: SeededUser[], size: number): Promise<SeededChat[]> {
  const chats: SeededChat[] = [];
  for (let i = 0; i < users.length; i += size) {
    chats.push({ id: randomUUID(), memberIds: users.slice(i, i + size).map((u) => u.id) });
  }
  await insertChats(db, chats);
  return chats;
}

async function insertChats(db: Database, chats: SeededChat[]): Promise<void> {
  for (let i = 0; i < chats.length; i += BATCH) {
    const slice = chats.slice(i, i + BATCH);
    await db.query(`INSERT INTO chats (id, name) SELECT id, 'bench' FROM unnest($1::uuid[]) AS id`, [
      slice.map((c) => c.id),
    ]);
    const pairs = slice.flatMap((chat) => chat.memberIds.map((userId) => [chat.id, userId] as const));
    await db.query(`INSERT INTO chat_members (chat_id, user_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])`, [
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
    ]);
  }
}

/**
 * One chat of two users holding `count` messages, one millisecond apart, ending now; each text
 * is "history message number N" followed by `filler`.
 * @returns the chat and `samples` message ids at uniformly random depths, each with older messages.
 */
export async function seedHistory(
  db: Database,
  users: [SeededUser, SeededUser],
  count: number,
  samples: number,
  filler = '',
): Promise<{ chat: SeededChat; cursorIds: string[] }> {
  const chat = { id: randomUUID(), memberIds: users.map((u) => u.id) };
  await insertChats(db, [chat]);
  const start = new Date(Date.now() - count - 1_000);
  for (let first = 1; first <= count; first += BATCH) {
    await db.query(
      `INSERT INTO messages (id, chat_id, sender_id, text, created_at, seq, version)
       SELECT gen_random_uuid(), $1, CASE WHEN g % 2 = 0 THEN $2::uuid ELSE $3::uuid END,
              'history message number ' || g || $7, $4::timestamptz + g * interval '1 millisecond', g, g
         FROM generate_series($5::int, $6::int) AS g`,
      [chat.id, users[0].id, users[1].id, start, first, Math.min(first + BATCH - 1, count), filler],
    );
  }
  await markLastMessages(db, [chat.id]);
  // From the second message on: a page `before` the very first message would be empty.
  const offsets = Array.from({ length: samples }, () => 2 + Math.floor(Math.random() * (count - 1)));
  const rows = await db.query<{ id: string }>(
    `SELECT m.id FROM unnest($2::int[]) AS o
       JOIN messages m ON m.chat_id = $1 AND m.created_at = $3::timestamptz + o * interval '1 millisecond'`,
    [chat.id, offsets, start],
  );
  return { chat, cursorIds: rows.map((r) => r.id) };
}

/** `user` becomes one more member of `chat`. */
export async function addMember(db: Database, chat: SeededChat, user: SeededUser): Promise<void> {
  await db.query(`INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2)`, [chat.id, user.id]);
  chat.memberIds.push(user.id);
}

/** `user` in `count` direct-style chats with one partner each, every chat with one message. */
export async function seedChatList(
  db: Database,
  user: SeededUser,
  partners: SeededUser[],
  count: number,
): Promise<void> {
  const chats = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    memberIds: [user.id, partners[i % partners.length]!.id],
  }));
  await insertChats(db, chats);
  await db.query(
    `INSERT INTO messages (id, chat_id, sender_id, text, created_at, seq, version)
     SELECT gen_random_uuid(), c.id, c.partner, 'last message', now() - (c.n * interval '1 second'), 1, 1
       FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS c(id, partner, n)`,
    [chats.map((c) => c.id), chats.map((c) => c.memberIds[1])],
  );
  await markLastMessages(
    db,
    chats.map((c) => c.id),
  );
}

/**
 * What the send path maintains: each chat's newest message (its copy, and that it has no file or
 * reaction: last_message_plain), position and version, and its members' unread counters. The
 * seeded messages are numbered 1, 2, 3… in seq and version.
 */
export async function markLastMessages(db: Database, chatIds: string[]): Promise<void> {
  await db.query(
    `UPDATE chats c SET last_message_id = m.id, last_message_at = m.created_at, last_seq = m.seq, version = m.version,
                        last_message = ${messageSummary('m')}, last_message_plain = true
       FROM (SELECT DISTINCT ON (chat_id) * FROM messages
              WHERE chat_id = ANY($1::uuid[]) ORDER BY chat_id, created_at DESC, id DESC) m
      WHERE c.id = m.chat_id`,
    [chatIds],
  );
  await db.query(`UPDATE chat_members cm SET unread_count = ${unreadCount('cm')} WHERE cm.chat_id = ANY($1::uuid[])`, [
    chatIds,
  ]);
}
