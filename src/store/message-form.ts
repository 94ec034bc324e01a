import type { Message } from '../protocol/types.js';

/**
 * A message as the store hands it over, defined once: PostgreSQL builds its fields as one array
 * of texts (times already in the wire's form), and toMessage turns that array into the wire's
 * Message. Every read of messages goes through here: history pages, changes, sends, edits,
 * tombstones, and the chat's copy of its last message (message_summary, routines.ts), which
 * holds the same fields.
 */

/**
 * A timestamp as the wire writes it (`Date#toISOString`: UTC, milliseconds, `Z`), formatted by
 * PostgreSQL, so that JavaScript neither parses nor formats it again.
 */
export const isoUtc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A message's own columns in the order of its fields, each with its type. */
const FIELD_COLUMNS = [
  ['id', 'uuid'],
  ['text', 'text'],
  ['sender_id', 'uuid'],
  ['created_at', 'timestamptz'],
  ['edited_at', 'timestamptz'],
  ['deleted_at', 'timestamptz'],
  ['seq', 'bigint'],
  ['version', 'bigint'],
] as const;

/** The fields as texts, read from the columns named `${prefix}${column}` ('m.' for a row, 'p_' for parameters). */
const fieldTexts = (prefix: string) =>
  FIELD_COLUMNS.map(([column, type]) => {
    const name = prefix + column;
    return type === 'timestamptz' ? isoUtc(name) : type === 'text' ? name : `${name}::text`;
  }).join(', ');

/** A message's fields as fieldTexts builds them. */
export type MessageFields = [
  id: string,
  text: string,
  senderId: string,
  createdAt: string,
  editedAt: string | null,
  deletedAt: string | null,
  seq: string,
  version: string,
];

/** The fields as JSON text (`${prefix}${column}` as in fieldTexts): the chat's copy of its last message. */
export const messageFieldsJson = (prefix: string) => `array_to_json(ARRAY[${fieldTexts(prefix)}])::text`;

/** message_summary's signature and parameter list (routines.ts): one parameter per field column, p_-prefixed. */
export const MESSAGE_SUMMARY = {
  signature: `message_summary(${FIELD_COLUMNS.map(([, type]) => type).join(', ')})`,
  parameters: FIELD_COLUMNS.map(([column, type]) => `p_${column} ${type}`).join(', '),
};

/** message_summary of the message row `m` (or anything with its columns), as ChatStore.listChats reads it. */
export const messageSummary = (m: string) =>
  `message_summary(${FIELD_COLUMNS.map(([column]) => `${m}.${column}`).join(', ')})`;

/** A message's columns and its sender's email and username, for a row that messageTuple reads. */
export const MESSAGE_COLUMNS = `m.id, m.text, m.sender_id, m.chat_id, m.created_at, m.edited_at, m.deleted_at, m.seq, m.version, u.email, u.username`;
export const MESSAGE_FROM = `messages m JOIN users u ON u.id = m.sender_id`;

/**
 * A message and its sender as one text array: its fields, then chat id, email and username. For
 * lists aggregated into one JSON value (`json_agg`), which PGlite hands over far more cheaply than
 * rows it decodes field by field. `m` names a row with MESSAGE_COLUMNS.
 */
export const messageTuple = (m: string) =>
  `ARRAY[${fieldTexts(`${m}.`)}, ${m}.chat_id::text, ${m}.email, ${m}.username]`;

type MessageTuple = [...MessageFields, chatId: string, email: string, username: string];

/** The messages of a JSON array of messageTuple (null: no rows were aggregated). */
export function parseMessageTuples(json: string | null | undefined): Message[] {
  if (!json) return [];
  return (JSON.parse(json) as MessageTuple[]).map((tuple) => {
    const [chatId, email, username] = tuple.slice(FIELD_COLUMNS.length) as [string, string, string];
    return toMessage(tuple.slice(0, FIELD_COLUMNS.length) as MessageFields, chatId, { email, username });
  });
}

/**
 * The wire's Message: the seed's shape, then the fields added to it — `seq` and `version` always,
 * `editedAt` / `deletedAt` only once set.
 */
export function toMessage(
  [id, text, senderId, createdAt, editedAt, deletedAt, seq, version]: MessageFields,
  chatId: string,
  sender: { email: string; username: string },
): Message {
  const message: Message = {
    id,
    text,
    sender: senderId,
    chatId,
    createdAt,
    user: { id: senderId, email: sender.email, username: sender.username },
    seq: Number(seq),
    version: Number(version),
  };
  if (editedAt) message.editedAt = editedAt;
  if (deletedAt) message.deletedAt = deletedAt;
  return message;
}
