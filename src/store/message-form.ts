import {
  REPLY_QUOTE_LENGTH,
  type Attachment,
  type Message,
  type Reaction,
  type ReplyQuote,
} from '../protocol/types.js';
import { idList } from './sql.js';

/**
 * A message as the store hands it over, defined once: PostgreSQL builds its fields as one array
 * of texts (times already in the wire's form), and toMessage turns that array into the wire's
 * Message. Every read of messages goes through here: history pages, changes, sends, edits,
 * tombstones, and the chat's copy of its last message (message_summary, routines.ts), which
 * holds the same fields.
 *
 * A reply's quote (`replyTo`) is the replied-to message as it is when read, never a copy made at
 * sending: its edits show their new text, and its deletion the tombstone. A message's fields hold
 * only the target's id; the quote is appended where messages are read (replyQuote), and the chat
 * list, whose copy of the last message is written once, reads its quotes on its own
 * (LAST_MESSAGE_EXTRAS).
 *
 * Mentions (`mentions`, migration 14) are a field like the others: the ids the send or the edit
 * resolved (mentionIds, sql.ts), kept on the message, so its copies carry them too.
 *
 * Attachments and reactions are read with the message as they are now (messageExtras), as the
 * quote is. A message's reactions say `me` from one reader's point of view: a read names its
 * reader, or reads them as they are broadcast, without `me` (Reader).
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
  ['reply_to_id', 'uuid'],
  ['pinned_at', 'timestamptz'],
  ['pinned_by', 'uuid'],
  ['mention_ids', 'uuid[]'],
] as const;

/**
 * The fields a message had before replies (migration 12): migration 8 wrote the chats' copies of
 * their last messages with these, and such a copy, ending at `version`, is a message without a reply.
 */
export const FIELDS_BEFORE_REPLIES = 8;

/** The fields as texts, read from the columns named `${prefix}${column}` ('m.' for a row, 'p_' for parameters). */
const fieldTexts = (prefix: string, count: number = FIELD_COLUMNS.length) =>
  FIELD_COLUMNS.slice(0, count)
    .map(([column, type]) => {
      const name = prefix + column;
      if (type === 'timestamptz') return isoUtc(name);
      if (type === 'uuid[]') return `array_to_string(${name}, ',')`;
      return type === 'text' ? name : `${name}::text`;
    })
    .join(', ');

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
  /** Absent from the copies written before replies (FIELDS_BEFORE_REPLIES). */
  replyToId?: string | null,
  /** Absent from the copies written before pins (migration 13), as is pinnedBy. */
  pinnedAt?: string | null,
  pinnedBy?: string | null,
  /** The mentioned users' ids as 'id,id,…' (null: none); absent from copies written before mentions (migration 14). */
  mentionIds?: string | null,
];

/**
 * The fields as JSON text (`${prefix}${column}` as in fieldTexts): the chat's copy of its last
 * message. `count` limits them to the first ones, for a migration written before the others existed.
 */
export const messageFieldsJson = (prefix: string, count?: number) =>
  `array_to_json(ARRAY[${fieldTexts(prefix, count)}])::text`;

/**
 * The quote of the reply `m` (a row with MESSAGE_COLUMNS): its target as it is now, as a text
 * array of ReplyTuple, or NULL — for no reply, for a tombstone (a deleted message shows nothing of
 * what it was, its quote included), and for a target outside the reply's chat (which sending
 * refuses). A deleted target's text is already '' and its deletedAt set. The CASE spares the
 * lookup for the messages that are no reply; the aliases are ones no caller names its rows.
 */
const replyQuote = (m: string) =>
  `CASE WHEN ${m}.reply_to_id IS NOT NULL AND ${m}.deleted_at IS NULL THEN
     (SELECT ARRAY[left(quoted.text, ${REPLY_QUOTE_LENGTH}), quoted.sender_id::text, ${isoUtc('quoted.deleted_at')}, quoter.email, quoter.username]
        FROM messages quoted JOIN users quoter ON quoter.id = quoted.sender_id
       WHERE quoted.id = ${m}.reply_to_id AND quoted.chat_id = ${m}.chat_id) END`;

export type ReplyTuple = [text: string, senderId: string, deletedAt: string | null, email: string, username: string];

/** A quote from a ReplyTuple (null or undefined: no reply). */
function toReplyQuote(replyToId: string, reply: ReplyTuple | null | undefined): ReplyQuote | undefined {
  if (!reply) return undefined;
  const [text, senderId, deletedAt, email, username] = reply;
  const quote: ReplyQuote = { id: replyToId, text, user: { id: senderId, email, username } };
  if (deletedAt) quote.deletedAt = deletedAt;
  return quote;
}

/** message_summary's signature and parameter list (routines.ts): one parameter per field column, p_-prefixed. */
export const MESSAGE_SUMMARY = {
  signature: `message_summary(${FIELD_COLUMNS.map(([, type]) => type).join(', ')})`,
  parameters: FIELD_COLUMNS.map(([column, type]) => `p_${column} ${type}`).join(', '),
};

/** message_summary of the message row `m` (or anything with its columns), as ChatStore.listChats reads it. */
export const messageSummary = (m: string) =>
  `message_summary(${FIELD_COLUMNS.map(([column]) => `${m}.${column}`).join(', ')})`;

/** The sender's columns a message is read with (users `u`): the name it shows and whether it is a bot's. */
export const SENDER_COLUMNS = 'u.email, u.username, u.bot';

/** A message's columns and its sender's (SENDER_COLUMNS), for a row that messageTuple reads. */
export const MESSAGE_COLUMNS = `m.id, m.text, m.sender_id, m.chat_id, m.created_at, m.edited_at, m.deleted_at, m.seq, m.version, m.reply_to_id, m.pinned_at, m.pinned_by, m.mention_ids, ${SENDER_COLUMNS}`;
export const MESSAGE_FROM = `messages m JOIN users u ON u.id = m.sender_id`;

/**
 * Who reads the messages, as SQL of a uuid: the reader's id (a parameter, such as '$2::uuid'),
 * whose own reactions say `me: true`; or NO_READER — a broadcast to a chat, or an operator's
 * view — for reactions without `me`.
 */
export type Reader = string;
export const NO_READER = 'NULL::uuid';

/**
 * Whether any message has a file, and any a reaction: uncorrelated, so PostgreSQL evaluates each
 * once per statement (an InitPlan), and while either table has none, no message of the statement
 * looks into it. A look per message starts a scan per message, and the planner scans a table it
 * knows to be empty whole, which on PGlite asks the file system for the table's size each time:
 * two such scans per message were a quarter of a 50-message history page's CPU on PGlite.
 */
const ANY_ATTACHMENT = '(SELECT EXISTS (SELECT 1 FROM files WHERE message_id IS NOT NULL))';
const ANY_REACTION = '(SELECT EXISTS (SELECT 1 FROM message_reactions))';

/**
 * The attachments of the message `m` (files.ts), as JSON text of AttachmentTuple[] in their order,
 * or NULL — for none, and for a tombstone (a deleted message shows nothing of what it was).
 */
const attachmentList = (m: string) =>
  `CASE WHEN ${m}.deleted_at IS NULL AND ${ANY_ATTACHMENT} THEN
     (SELECT json_agg(json_build_array(f.id, f.name, f.type, f.size, f.width, f.height) ORDER BY f.position)::text
        FROM files f WHERE f.message_id = ${m}.id) END`;

type AttachmentTuple = [
  id: string,
  name: string,
  type: string,
  size: number,
  width: number | null,
  height: number | null,
];

/**
 * The reactions to the message `m`, one per emoji in the order of its first reaction, as JSON text
 * of ReactionTuple[] with `me` from `reader`'s point of view (null for NO_READER), or NULL — for
 * none, and for a tombstone, whose rows are left but never read. One aggregate per message over
 * the reactions' primary key (message_id first): no read of other messages' reactions.
 */
const reactionList = (m: string, reader: Reader) =>
  `CASE WHEN ${m}.deleted_at IS NULL AND ${ANY_REACTION} THEN
     (SELECT json_agg(json_build_array(reacted.emoji, reacted.count, reacted.me) ORDER BY reacted.first)::text
        FROM (SELECT reaction.emoji, count(*) AS count, bool_or(reaction.user_id = ${reader}) AS me,
                     min(reaction.version) AS first
                FROM message_reactions reaction WHERE reaction.message_id = ${m}.id
               GROUP BY reaction.emoji) reacted) END`;

type ReactionTuple = [emoji: string, count: number, me: boolean | null];

/**
 * What is read with the message `m` besides its row, as it is now, as a text array: its
 * attachments (attachmentList), its reactions as `reader` sees them (reactionList), then for a
 * reply its quote (ReplyTuple). The chat list reads these of its copies of last messages
 * (LAST_MESSAGE_EXTRAS); every other read, with the message (messageTuple).
 */
const messageExtras = (m: string, reader: Reader) =>
  `ARRAY[${attachmentList(m)}, ${reactionList(m, reader)}] || ${replyQuote(m)}`;

type ExtrasTuple = [attachments: string | null, reactions: string | null, ...([] | ReplyTuple)];

/** What messageExtras reads, as toMessage takes it. */
export interface MessageExtras {
  reply?: ReplyTuple | undefined;
  attachments?: Attachment[] | undefined;
  reactions?: Reaction[] | undefined;
}

function toExtras([attachments, reactions, ...reply]: ExtrasTuple): MessageExtras {
  return {
    reply: reply.length > 0 ? (reply as ReplyTuple) : undefined,
    attachments: attachments ? (JSON.parse(attachments) as AttachmentTuple[]).map(toAttachment) : undefined,
    reactions: reactions ? (JSON.parse(reactions) as ReactionTuple[]).map(toReaction) : undefined,
  };
}

/**
 * The extras (messageExtras) of chats' last messages, for the chat list, whose copies of them hold
 * none: for the live messages given as `$1` ids (those whose chats say they may have files or
 * reactions, last_message_plain) and `$2` (the replies, which the copies name), with `$3` the
 * reader, one JSON object text from message id to ExtrasTuple, holding only the messages that have
 * some (NULL: none has). Only the replies and the messages that have a file or a reaction are read
 * at all, found by one index scan each of files and of reactions over the `$1` list.
 * Set-wise, not per message: a probe per message (an EXISTS each) starts a scan per message, and
 * on PGlite a scan of a small table (one that the planner reads whole) asks the file system for the
 * table's size each time — 2,000 such scans cost 12 ms of a 1,000-chat list. The id lists come as
 * comma-separated text (idList, sql.ts) and go through ARRAY(SELECT unnest(…)) so that the planner
 * does not estimate each of a thousand elements against the tables' statistics. Run as the
 * routine last_message_extras (routines.ts), whose plan is kept. The copy says the message is live: it is read as such
 * (deleted_at NULL), as the copy was listed. OFFSET 0 keeps the extras a subquery of their own,
 * read once per message: pulled up, they would be read again for the filter.
 */
export const LAST_MESSAGE_EXTRAS = `SELECT json_object_agg(t.id, x.extras)::text AS extras
  FROM (SELECT m.id, m.chat_id, m.reply_to_id, NULL::timestamptz AS deleted_at FROM messages m
         WHERE m.id = ANY(${idList('$2')}
           || ARRAY(SELECT f.message_id FROM files f WHERE f.message_id = ANY(ARRAY(SELECT unnest(${idList('$1')}))))
           || ARRAY(SELECT r.message_id FROM message_reactions r WHERE r.message_id = ANY(ARRAY(SELECT unnest(${idList('$1')})))))) t
 CROSS JOIN LATERAL (SELECT ${messageExtras('t', '$3::uuid')} AS extras OFFSET 0) x
 WHERE cardinality(array_remove(x.extras, NULL)) > 0`;

/** The extras of LAST_MESSAGE_EXTRAS' object, by message id. */
export function parseLastMessageExtras(json: string | null | undefined): Map<string, MessageExtras> {
  if (!json) return new Map();
  return new Map(
    Object.entries(JSON.parse(json) as Record<string, ExtrasTuple>).map(([id, extras]) => [id, toExtras(extras)]),
  );
}

/**
 * A message and its sender as one text array: its fields, then chat id, email, username and bot,
 * then its extras (messageExtras) as `reader` sees them. A message `justSent` has no extras but
 * its quote: nothing is attached to it yet (MessageStore attaches files after) nor reacted to.
 * For lists aggregated into one JSON value (`json_agg`), which PGlite hands over far more cheaply
 * than rows it decodes field by field. `m` names a row with MESSAGE_COLUMNS.
 */
export const messageTuple = (
  m: string,
  { reader = NO_READER, justSent = false }: { reader?: Reader; justSent?: boolean } = {},
) =>
  `ARRAY[${fieldTexts(`${m}.`)}, ${m}.chat_id::text, ${m}.email, ${m}.username, ${m}.bot::text] || ${
    justSent ? `ARRAY[NULL, NULL]::text[] || ${replyQuote(m)}` : messageExtras(m, reader)
  }`;

type MessageTuple = [
  ...Required<MessageFields>,
  chatId: string,
  email: string,
  username: string,
  bot: 'true' | 'false',
  ...ExtrasTuple,
];

/** The messages of a JSON array of messageTuple (null: no rows were aggregated). */
export function parseMessageTuples(json: string | null | undefined): Message[] {
  if (!json) return [];
  return (JSON.parse(json) as MessageTuple[]).map((tuple) => {
    const fields = tuple.slice(0, FIELD_COLUMNS.length) as MessageFields;
    const [chatId, email, username, bot, ...extras] = tuple.slice(FIELD_COLUMNS.length) as [
      string,
      string,
      string,
      'true' | 'false',
      ...ExtrasTuple,
    ];
    return toMessage(fields, chatId, { email, username, bot: bot === 'true' }, toExtras(extras));
  });
}

/**
 * The wire's Message: the seed's shape, then the fields added to it — `seq` and `version` always,
 * `editedAt` / `deletedAt` only once set, `replyTo` only for a reply (`reply`: its target now),
 * `pinnedAt` / `pinnedBy` only while pinned, `mentions` only for a live message that mentions
 * someone, `attachments` only when it has some, `bot` only for a bot's message (the sender's
 * users.bot), and last `reactions` only when it has some. A tombstone shows no quote, pin,
 * mention, attachment or reaction: nothing of what it was.
 */
export function toMessage(
  [
    id,
    text,
    senderId,
    createdAt,
    editedAt,
    deletedAt,
    seq,
    version,
    replyToId,
    pinnedAt,
    pinnedBy,
    mentionIds,
  ]: MessageFields,
  chatId: string,
  sender: { email: string; username: string; bot: boolean },
  { reply, attachments, reactions }: MessageExtras = {},
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
  const replyTo = replyToId && !deletedAt ? toReplyQuote(replyToId, reply) : undefined;
  if (replyTo) message.replyTo = replyTo;
  // A deletion unpins; a tombstone shows no pin in any case.
  if (pinnedAt && pinnedBy && !deletedAt) {
    message.pinnedAt = pinnedAt;
    message.pinnedBy = pinnedBy;
  }
  if (mentionIds && !deletedAt) message.mentions = mentionIds.split(',');
  if (attachments && attachments.length > 0 && !deletedAt) message.attachments = attachments;
  if (sender.bot) message.bot = true;
  if (reactions && reactions.length > 0 && !deletedAt) message.reactions = reactions;
  return message;
}

function toAttachment([id, name, type, size, width, height]: AttachmentTuple): Attachment {
  const attachment: Attachment = { id, name, type, size };
  if (width !== null && height !== null) {
    attachment.width = width;
    attachment.height = height;
  }
  return attachment;
}

function toReaction([emoji, count, me]: ReactionTuple): Reaction {
  return me === null ? { emoji, count } : { emoji, count, me };
}
