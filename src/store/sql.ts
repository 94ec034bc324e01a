import type { Message } from '../protocol/types.js';

/** SQL pieces and the message row shape shared by the store's parts (users, chats, messages). */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else names no row (and must not reach a uuid cast). */
export function isStoreId(value: string): boolean {
  return UUID.test(value);
}

export interface MessageRow {
  id: string;
  text: string;
  sender_id: string;
  chat_id: string;
  /** A Date read from a row, or the wire's text already (isoUtc) from a row built as JSON. */
  created_at: Date | string;
  email: string;
  username: string;
  /** Absent where a query does not select them (a message just inserted has neither). */
  edited_at?: Date | string | null;
  deleted_at?: Date | string | null;
  /** bigint columns: the pg driver gives them as text. */
  seq: number | string;
  version: number | string;
}

export const MESSAGE_COLUMNS = `m.id, m.text, m.sender_id, m.chat_id, m.created_at, m.edited_at, m.deleted_at, m.seq, m.version, u.email, u.username`;
export const MESSAGE_FROM = `messages m JOIN users u ON u.id = m.sender_id`;

/** Messages from others after the member `cm`'s read position; tombstones are not unread. */
export const UNREAD_COUNT = `(SELECT count(*)::int FROM messages um
    WHERE um.chat_id = cm.chat_id AND um.sender_id <> cm.user_id AND um.deleted_at IS NULL
      AND um.created_at > COALESCE(cm.last_read_at, '-infinity'::timestamptz))`;

/** The chat list's copy of the message row `m` (routines.ts's message_summary), as ChatStore.listChats reads it. */
export const messageSummary = (m: string) =>
  `message_summary(${m}.id, ${m}.text, ${m}.sender_id, ${m}.created_at, ${m}.edited_at, ${m}.deleted_at, ${m}.seq, ${m}.version)`;

/** Milliseconds, like created_at, so that the ISO form round-trips. */
export const NOW_MS = `date_trunc('milliseconds', clock_timestamp())`;

/**
 * A timestamp as the wire writes it (`Date#toISOString`: UTC, milliseconds, `Z`), formatted by
 * PostgreSQL for rows built as JSON, where it would otherwise come back as text with an offset
 * that JavaScript has to parse and format again. (routines.ts's message_summary writes the same
 * format for the chat list's copy of each last message.)
 */
export const isoUtc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A message and its sender as one text array, for lists aggregated into one JSON value
 * (`json_agg`), which PGlite hands over far more cheaply than rows it decodes field by field.
 * `m` names a row with the message's columns and its sender's email and username.
 */
export const messageTuple = (m: string) =>
  `ARRAY[${m}.id::text, ${m}.text, ${m}.sender_id::text, ${m}.chat_id::text, ${isoUtc(`${m}.created_at`)},
         ${isoUtc(`${m}.edited_at`)}, ${isoUtc(`${m}.deleted_at`)}, ${m}.email, ${m}.username,
         ${m}.seq::text, ${m}.version::text]`;

type MessageTuple = [
  id: string,
  text: string,
  senderId: string,
  chatId: string,
  createdAt: string,
  editedAt: string | null,
  deletedAt: string | null,
  email: string,
  username: string,
  seq: string,
  version: string,
];

/** The messages of a JSON array of messageTuple (null: no rows were aggregated). */
export function parseMessageTuples(json: string | null | undefined): Message[] {
  if (!json) return [];
  return (JSON.parse(json) as MessageTuple[]).map(
    ([id, text, senderId, chatId, createdAt, editedAt, deletedAt, email, username, seq, version]) =>
      toMessage({
        id,
        text,
        sender_id: senderId,
        chat_id: chatId,
        created_at: createdAt,
        edited_at: editedAt,
        deleted_at: deletedAt,
        email,
        username,
        seq,
        version,
      }),
  );
}

/** The wire's form of a row's time; text that is not in it yet (no isoUtc) is normalised. */
const wireTime = (value: Date | string) =>
  typeof value === 'string' && value.endsWith('Z') ? value : new Date(value).toISOString();

/**
 * The seed's shape, then the fields added to it: `seq` and `version` always, `editedAt` /
 * `deletedAt` only once set.
 */
export function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: row.id,
    text: row.text,
    sender: row.sender_id,
    chatId: row.chat_id,
    createdAt: wireTime(row.created_at),
    user: { id: row.sender_id, email: row.email, username: row.username },
    seq: Number(row.seq),
    version: Number(row.version),
  };
  if (row.edited_at) message.editedAt = wireTime(row.edited_at);
  if (row.deleted_at) message.deletedAt = wireTime(row.deleted_at);
  return message;
}

