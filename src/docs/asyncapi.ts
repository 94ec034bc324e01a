import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol/events.js';
import {
  chatPageSchema,
  chatRefSchema,
  editMessageSchema,
  getChatMessagesSchema,
  markReadSchema,
  messageRefSchema,
  muteChatSchema,
  reactionSchema,
  reportMessageSchema,
  searchMessagesSchema,
  sendMessageSchema,
  syncSchema,
} from '../protocol/schemas.js';
import {
  arrayOf,
  chatListFields,
  chatPageFields,
  jsonSchemaOf,
  ref,
  searchPageFields,
  success,
  wireSchemas,
  type JsonSchema,
} from './wire-schemas.js';

/**
 * The AsyncAPI 3 document of the Socket.IO API, written to docs/asyncapi.yaml by `npm run docs`.
 * Client events' payloads are generated from the zod schemas the server validates them with.
 *
 * Both tables below must name every event of src/protocol/events.ts (`satisfies` makes a missing
 * or unknown event a compile error), and test/docs/api-docs.test.ts fails when docs/asyncapi.yaml
 * differs from this document or a real answer or event does not match it.
 */

/** Where the document lives in the repository (also served at /docs/asyncapi.yaml). */
export const ASYNCAPI_FILE = fileURLToPath(new URL('../../docs/asyncapi.yaml', import.meta.url));

interface ClientEventDoc {
  summary: string;
  /** The zod schema of the payload. */
  payload: z.ZodType;
  /** The fields of the success answer besides `success: true`. */
  answer: Record<string, JsonSchema>;
  /** Those of the answer to the event's other form, for an event that has two (get_my_chats with a payload). */
  pageAnswer?: Record<string, JsonSchema>;
}

const messageAnswer = { message: ref('Message') };

export const clientEvents = {
  send_message: {
    summary:
      'Send a message; answered once it is committed. A retry with the same clientMessageId returns the original. ' +
      'replyTo (a uuid) makes it a reply to a live message of the same chat: NOT_FOUND (field replyTo) for any other ' +
      'id, whether it exists elsewhere or not, and for a deleted message. attachments: up to 10 ids of files the sender ' +
      'uploaded (POST /files) and has not sent yet, each going with this message only; with at least one, text may be ' +
      "empty. NOT_FOUND (field attachments) alike for an unknown id, another user's file and one sent already.",
    payload: sendMessageSchema,
    answer: messageAnswer,
  },
  join_chat: {
    summary:
      "Receive the chat's events from now on; answers the latest 50 messages, oldest first, and the chat version they " +
      'reflect: every live change after it follows, in version order.',
    payload: chatRefSchema,
    answer: { messages: arrayOf(ref('Message')), version: { type: 'integer', minimum: 0 } },
  },
  leave_chat: { summary: "Stop receiving the chat's events (membership is unchanged).", payload: chatRefSchema, answer: {} },
  get_chat_messages: {
    summary: 'A page of history, oldest first (keyset pagination by message id).',
    payload: getChatMessagesSchema,
    answer: { messages: arrayOf(ref('Message')), hasMore: { type: 'boolean' } },
  },
  get_my_chats: {
    summary:
      "The caller's chats, most recent activity first. Without a payload, or without `limit` and `before` (the seed's call): every chat. With " +
      "either: at most `limit` chats (1–100, default 50) after the chat `before` (the previous page's `nextBefore`), in the list's " +
      "order as it stands at the request; a `before` that is not one of the caller's chats is NOT_FOUND.",
    payload: chatPageSchema,
    answer: chatListFields,
    pageAnswer: chatPageFields,
  },
  mark_read: {
    summary: 'Move the read position up to messageId (never back).',
    payload: markReadSchema,
    answer: {
      unreadCount: { type: 'integer', minimum: 0 },
      unreadMentionCount: { type: 'integer', minimum: 0, description: 'Of the unread messages, those that mention the caller' },
      seq: { type: 'integer', minimum: 0, description: 'The read position now' },
    },
  },
  edit_message: { summary: 'Edit your own message.', payload: editMessageSchema, answer: messageAnswer },
  delete_message: {
    summary: "Delete your own message, or (an admin or the group's owner) anyone's in a group (a tombstone remains).",
    payload: messageRefSchema,
    answer: messageAnswer,
  },
  typing: { summary: 'You are typing in the chat (send every second or two while typing).', payload: chatRefSchema, answer: {} },
  stop_typing: { summary: 'You stopped typing.', payload: chatRefSchema, answer: {} },
  sync: {
    summary:
      'Catch up from the database: for each chat, every message changed after the version you hold, in its current state ' +
      '(a deleted one as its tombstone), and every chat event after it (`events`), in version order, at most `limit` ' +
      '(default 100) changes per chat and 200 per answer; each chat at most once.',
    payload: syncSchema,
    answer: { chats: arrayOf(ref('SyncEntry')) },
  },
  add_reaction: {
    summary:
      'React to a live message of a chat you are a member of. emoji: one emoji (a single grapheme cluster: a pictograph with ' +
      'its modifiers or ZWJ sequence, a flag, a keycap) or one of the short names +1 -1 heart laugh wow sad fire tada eyes ' +
      'pray ok check (stored as their emoji); anything else is VALIDATION_ERROR (field emoji), as is a 21st distinct emoji ' +
      'on one message. Adding a reaction you have already made changes nothing. An unknown message and one of a chat you ' +
      "are not in are FORBIDDEN alike; a deleted one NOT_FOUND. Answers the message as it is now (reactions' `me` yours).",
    payload: reactionSchema,
    answer: messageAnswer,
  },
  remove_reaction: {
    summary: 'Take back your reaction; removing one you have not made changes nothing. Same rules and answer as add_reaction.',
    payload: reactionSchema,
    answer: messageAnswer,
  },
  pin_message: {
    summary:
      'Pin a live message of a chat you are a member of (in a direct chat either of the pair; in a group its admins and ' +
      'owner, FORBIDDEN for a plain member; at most 50 pins per chat, past it VALIDATION_ERROR). ' +
      'Pinning a pinned message changes nothing. Errors as for add_reaction. Answers the message with pinnedAt and pinnedBy.',
    payload: messageRefSchema,
    answer: messageAnswer,
  },
  unpin_message: {
    summary:
      'Unpin a message (who may pin may unpin); unpinning one that is not pinned changes nothing. Deleting a message unpins it.',
    payload: messageRefSchema,
    answer: messageAnswer,
  },
  get_pinned_messages: {
    summary: "The chat's pinned messages in their current state, most recently pinned first (all of them: at most 50).",
    payload: chatRefSchema,
    answer: { messages: arrayOf(ref('Message')) },
  },
  search_messages: {
    summary:
      "Full-text search of the caller's chats' messages (or of `chatId`, one of them: FORBIDDEN otherwise) by their current " +
      'text, Russian and English stemming and words as written; web-search syntax (words, "phrases", -word, or); ' +
      'query 1–200 characters after trimming. Newest first, `limit` 1–50 (default 20) after the hit `before` (the previous ' +
      "page's `nextBefore`; NOT_FOUND if it is not a message of the searched chats). Deleted messages are never found.",
    payload: searchMessagesSchema,
    answer: searchPageFields,
  },
  report_message: {
    summary:
      'Report a live message of a chat you are a member of to the moderators, with a reason of 1–500 characters after ' +
      'trimming. Reporting the same message again answers the same success and stores nothing. An unknown message and one ' +
      'of a chat you are not in are FORBIDDEN alike; a deleted one NOT_FOUND.',
    payload: reportMessageSchema,
    answer: {},
  },
  mute_chat: {
    summary:
      'Mute (muted: true) or unmute a chat you are a member of, until you change it again: its mentions of you send no `mentioned` ' +
      'alert and no push notification; unread messages are still counted. The chat list carries `muted`.',
    payload: muteChatSchema,
    answer: { chatId: { type: 'string' }, muted: { type: 'boolean' } },
  },
} satisfies Record<keyof ClientToServerEvents, ClientEventDoc>;

const object = (properties: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});
const id = { type: 'string' };

/** Payload schemas of the server's events, with who receives them. */
export const serverEvents = {
  new_message: {
    summary:
      "A new message, to every socket that joined the chat (the sender's included). Message events reach each socket in " +
      "version order without repeats; a jump in a chat's version means changes were missed: sync.",
    payload: ref('Message'),
  },
  messages_read: {
    summary: "userId has read chatId up to messageId (position seq); to every socket that joined the chat.",
    payload: object({ chatId: id, userId: id, messageId: id, seq: { type: 'integer', minimum: 1 } }),
  },
  message_updated: {
    summary: "An edited message, to every socket that joined the chat; clients show its new text in its replies' quotes.",
    payload: ref('Message'),
  },
  message_deleted: {
    summary: "A deleted message's tombstone (text '', deletedAt); clients show it in its replies' quotes too.",
    payload: ref('Message'),
  },
  user_typing: {
    summary: "Someone started (true) or stopped (false) typing; to the chat's sockets except the typist's.",
    payload: object({ chatId: id, userId: id, typing: { type: 'boolean' } }),
  },
  mentioned: {
    summary:
      "A new message mentions you: to your sockets that have not joined its chat (those that have get new_message), " +
      "never to the sender's; not for edits. Not ordered with the chat's changes, not replayed by sync (the message is).",
    payload: object({ chatId: id, message: ref('Message') }),
  },
  chat_created: { summary: "A chat you belong to was created, or you were added to one; to all your sockets.", payload: object({ chat: ref('ChatSummary') }) },
  chat_members_changed: {
    summary: 'Users were added, or someone left or was removed; `users` is the membership after the change (roles in groups).',
    payload: object({ chatId: id, users: arrayOf(ref('ChatMember')) }),
  },
  chat_left: { summary: 'You left the chat (to all your own sockets).', payload: object({ chatId: id }) },
  user_online: {
    summary: "The first socket of a user connected; to those who share with them a chat of at most PRESENCE_MAX_CHAT_MEMBERS (200 by default) members.",
    payload: object({ userId: id }),
  },
  user_offline: {
    summary: "The last socket of a user disconnected; to the same audience as user_online.",
    payload: object({ userId: id }),
  },
  message_reactions: {
    summary:
      "A reaction was added or removed, to every socket that joined the chat, in the chat's version order with the message " +
      "events (version is the message's new version). reactions: the message's summary after it, without `me`; userId, " +
      'emoji and added say what changed, so a client sets `me` from its own user\'s changes. Missed ones come back as ' +
      'message_updated (a gap filled from the database) or from sync, with the message in its current state.',
    payload: object({
      chatId: id,
      messageId: id,
      version: { type: 'integer', minimum: 1 },
      reactions: arrayOf(ref('Reaction')),
      userId: id,
      emoji: { type: 'string' },
      added: { type: 'boolean' },
    }),
  },
  chat_pins: {
    summary:
      "A message was pinned or unpinned, to every socket that joined the chat, in the chat's version order (version is the " +
      "message's new version); pinnedBy and pinnedAt when pinned. Missed ones come back as message_updated or from sync.",
    payload: {
      type: 'object',
      properties: {
        chatId: id,
        version: { type: 'integer', minimum: 1 },
        messageId: id,
        pinned: { type: 'boolean' },
        pinnedBy: id,
        pinnedAt: { type: 'string', format: 'date-time' },
      },
      required: ['chatId', 'version', 'messageId', 'pinned'],
      additionalProperties: false,
    },
  },
  chat_event: {
    summary:
      "A change to the chat itself (members added, left or removed, renamed, a role, ownership, settings), to every socket " +
      "that joined the chat, in the chat's version order with the message events; a member's own leaving or removal also " +
      'to all their sockets, just before they leave the chat. Missed ones come back from sync (`events`).',
    payload: ref('ChatEvent'),
  },
} satisfies Record<keyof ServerToClientEvents, { summary: string; payload: JsonSchema }>;

const channelMessage = (name: string) => ({ $ref: `#/channels/socket/messages/${name}` });
const answerName = (event: string) => `${event}_answer`;

export function asyncApiDocument(): JsonSchema {
  const messages: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  for (const [event, doc] of Object.entries(clientEvents) as [string, ClientEventDoc][]) {
    messages[event] = { name: event, summary: doc.summary, payload: jsonSchemaOf(doc.payload) };
    const successes = doc.pageAnswer ? [success(doc.answer), success(doc.pageAnswer)] : [success(doc.answer)];
    messages[answerName(event)] = {
      name: answerName(event),
      summary: `The acknowledgement of ${event}: success, or the error envelope.`,
      payload: { oneOf: [...successes, ref('Error')] },
    };
    operations[event] = {
      action: 'receive',
      channel: { $ref: '#/channels/socket' },
      summary: doc.summary,
      messages: [channelMessage(event)],
      reply: { channel: { $ref: '#/channels/socket' }, messages: [channelMessage(answerName(event))] },
    };
  }
  for (const [event, doc] of Object.entries(serverEvents)) {
    messages[event] = { name: event, summary: doc.summary, payload: doc.payload };
    operations[event] = { action: 'send', channel: { $ref: '#/channels/socket' }, summary: doc.summary, messages: [channelMessage(event)] };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Parley Socket.IO API',
      version: '0.1.0',
      description:
        'Operations are from the server\'s point of view: `receive` = an event the client emits (answered through the ' +
        'Socket.IO acknowledgement, the reply), `send` = an event the server emits. Connect with `auth: { token }` or the ' +
        'header `Authorization: Bearer …`; a refused handshake ends in `connect_error` with `err.data.code` UNAUTHORIZED.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:4201',
        protocol: 'ws',
        pathname: '/socket.io/',
        description: 'Socket.IO 4 on the HTTP port, default namespace',
        security: [{ $ref: '#/components/securitySchemes/bearer' }],
      },
    },
    channels: {
      socket: {
        address: '/',
        title: 'The default Socket.IO namespace',
        messages: Object.fromEntries(Object.keys(messages).map((name) => [name, { $ref: `#/components/messages/${name}` }])),
      },
    },
    operations,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: wireSchemas,
      messages,
    },
  };
}
