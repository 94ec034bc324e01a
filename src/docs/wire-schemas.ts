import { z } from 'zod';

/**
 * JSON Schemas shared by the OpenAPI (HTTP) and AsyncAPI (Socket.IO) documents: payload schemas
 * generated from the zod schemas of src/protocol, and the wire types' schemas.
 */

export type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema, without the `$schema` key (OpenAPI 3.1 is JSON Schema 2020-12). */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const isoTime = { type: 'string', format: 'date-time' };

/**
 * JSON Schemas of the wire types of src/protocol/types.ts (PublicUser, Message, ChatSummary and the
 * error envelope); also the components of docs/asyncapi.yaml. Closed (`additionalProperties: false`)
 * so that a field the server starts sending fails the docs tests until it is documented.
 */
export const wireSchemas = {
  PublicUser: {
    type: 'object',
    properties: { id: { type: 'string' }, email: { type: 'string', format: 'email' }, username: { type: 'string' } },
    required: ['id', 'email', 'username'],
    additionalProperties: false,
  },
  ChatMember: {
    type: 'object',
    description: 'A member as the chat list shows them',
    properties: {
      id: { type: 'string' },
      email: { type: 'string', format: 'email' },
      username: { type: 'string' },
      online: { type: 'boolean', description: 'In get_my_chats / GET /chats: whether the user has a socket connected to any node' },
    },
    required: ['id', 'email', 'username'],
    additionalProperties: false,
  },
  Message: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      text: { type: 'string', description: "'' for a deleted message (tombstone)" },
      sender: { type: 'string', description: 'The author\'s user id; always equal to `user.id`' },
      chatId: { type: 'string' },
      createdAt: { ...isoTime, description: 'ISO 8601 UTC with milliseconds; strictly increasing within a chat, in commit order' },
      user: { $ref: '#/components/schemas/PublicUser' },
      seq: { type: 'integer', minimum: 1, description: "The message's position in its chat: 1, 2, 3…, in commit order, never reused" },
      version: {
        type: 'integer',
        minimum: 1,
        description: "The chat version of the message's latest change (created, edited, deleted); sync returns changes after a version",
      },
      editedAt: { ...isoTime, description: 'Set once the author has edited the text' },
      deletedAt: { ...isoTime, description: 'Set once the author has deleted the message' },
      replyTo: { $ref: '#/components/schemas/ReplyQuote' },
      reactions: {
        type: 'array',
        minItems: 1,
        maxItems: 20,
        items: { $ref: '#/components/schemas/Reaction' },
        description:
          "The message's reactions, in the order of each emoji's first one; absent when none and on a tombstone. `me` only in " +
          'answers (from the caller\'s point of view), never in events broadcast to the chat',
      },
      pinnedAt: { ...isoTime, description: 'Set while the message is pinned: when it was pinned' },
      pinnedBy: { type: 'string', description: 'Set while the message is pinned: the user id of who pinned it' },
      mentions: {
        type: 'array',
        items: { type: 'string' },
        minItems: 1,
        description:
          'Set when the text mentions members of the chat (`@username`, case-insensitive, at a word boundary, recognised ' +
          'by the server when the message is sent or edited): their user ids in the order of first mention. Never on a tombstone',
      },
      attachments: {
        type: 'array',
        items: { $ref: '#/components/schemas/Attachment' },
        minItems: 1,
        maxItems: 10,
        description: 'The files sent with the message, in the order given; absent when none, and on a tombstone',
      },
    },
    required: ['id', 'text', 'sender', 'chatId', 'createdAt', 'user', 'seq', 'version'],
    additionalProperties: false,
  },
  ReplyQuote: {
    type: 'object',
    description:
      'Set for a live reply only: the message it replies to as it is now — an edit shows its new text, a deleted ' +
      "target its tombstone (text '', deletedAt), never its old text. A deleted reply carries none.",
    properties: {
      id: { type: 'string' },
      text: { type: 'string', maxLength: 200, description: "The first 200 characters (code points) of the target's text" },
      user: { $ref: '#/components/schemas/PublicUser' },
      deletedAt: { ...isoTime, description: 'Set once the target is deleted' },
    },
    required: ['id', 'text', 'user'],
    additionalProperties: false,
  },
  Reaction: {
    type: 'object',
    description: "One emoji's reactions to a message",
    properties: {
      emoji: { type: 'string', description: 'One emoji (a short name given to add_reaction is stored as its emoji)' },
      count: { type: 'integer', minimum: 1 },
      me: { type: 'boolean', description: 'In answers only: whether the caller reacted with it' },
    },
    required: ['emoji', 'count'],
    additionalProperties: false,
  },
  Attachment: {
    type: 'object',
    description:
      'An uploaded file (POST /files), as a message carries it. Its bytes: GET /files/{id}; an image\'s thumbnail: ' +
      'GET /files/{id}/thumbnail. Readable by the uploader and by the members of the chat it was sent in.',
    properties: {
      id: { type: 'string' },
      name: { type: 'string', maxLength: 255, description: 'The uploaded name without path or control characters' },
      type: {
        type: 'string',
        enum: ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'application/zip', 'text/plain'],
        description: 'Sniffed from the bytes, never taken from the client',
      },
      size: { type: 'integer', minimum: 1, description: 'In bytes' },
      width: { type: 'integer', minimum: 1, description: 'Images only, in pixels (EXIF orientation applied)' },
      height: { type: 'integer', minimum: 1, description: 'Images only, in pixels (EXIF orientation applied)' },
    },
    required: ['id', 'name', 'type', 'size'],
    additionalProperties: false,
  },
  ChatSummary: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      name: { type: ['string', 'null'], description: 'null for direct chats' },
      users: { type: 'array', items: { $ref: '#/components/schemas/ChatMember' } },
      messages: { type: 'array', maxItems: 1, items: { $ref: '#/components/schemas/Message' }, description: 'The last message, or empty' },
      unreadCount: { type: 'integer', minimum: 0, description: "Other members' messages after the caller's read position" },
      unreadMentionCount: { type: 'integer', minimum: 0, description: 'Of those, the messages that mention the caller' },
      version: { type: 'integer', minimum: 0, description: "The chat's version when the list was read: sync from it" },
      readPositions: {
        type: 'array',
        items: { $ref: '#/components/schemas/ReadPosition' },
        description: "Each member's read position, in the order of `users`",
      },
      muted: { type: 'boolean', description: 'The caller muted the chat (mute_chat): no mention alerts, no push' },
    },
    required: ['id', 'name', 'users', 'messages', 'unreadCount', 'unreadMentionCount', 'version', 'readPositions', 'muted'],
    additionalProperties: false,
  },
  ReadPosition: {
    type: 'object',
    description: 'userId has read the chat up to and including the message at position seq (0: nothing yet)',
    properties: { userId: { type: 'string' }, seq: { type: 'integer', minimum: 0 } },
    required: ['userId', 'seq'],
    additionalProperties: false,
  },
  SyncEntry: {
    description:
      'One chat of a sync answer: the messages changed after the version asked for, in their current state and version ' +
      'order, and the version they bring the client to (hasMore: ask again from it); or the error for a chat the caller may not read',
    oneOf: [
      {
        type: 'object',
        properties: {
          success: { const: true },
          chatId: { type: 'string' },
          version: { type: 'integer', minimum: 0 },
          messages: { type: 'array', items: { $ref: '#/components/schemas/Message' } },
          hasMore: { type: 'boolean' },
        },
        required: ['success', 'chatId', 'version', 'messages', 'hasMore'],
        additionalProperties: false,
      },
      {
        type: 'object',
        properties: {
          success: { const: false },
          chatId: { type: 'string' },
          error: { type: 'string' },
          code: { enum: ['FORBIDDEN'] },
        },
        required: ['success', 'chatId', 'error', 'code'],
        additionalProperties: false,
      },
    ],
  },
  SearchHit: {
    type: 'object',
    description: 'One message found by search_messages / GET /messages/search',
    properties: {
      message: { $ref: '#/components/schemas/Message', description: 'The message in its current state, as history answers it' },
      chat: {
        type: 'object',
        properties: { id: { type: 'string' }, name: { type: ['string', 'null'], description: 'null for direct chats' } },
        required: ['id', 'name'],
        additionalProperties: false,
      },
      snippet: { $ref: '#/components/schemas/SearchSnippet' },
    },
    required: ['message', 'chat', 'snippet'],
    additionalProperties: false,
  },
  SearchSnippet: {
    type: 'object',
    description:
      "A fragment of the message's current text around the matched words, as plain text (never markup), and the matched " +
      'words as [start, end) ranges in UTF-16 code units of `text` (JavaScript string indices), ascending and disjoint',
    properties: {
      text: { type: 'string' },
      highlights: {
        type: 'array',
        items: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 },
      },
    },
    required: ['text', 'highlights'],
    additionalProperties: false,
  },
  Error: {
    type: 'object',
    properties: {
      success: { const: false },
      error: { type: 'string', description: 'What went wrong, in Russian (as in the seed)' },
      code: {
        enum: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMITED', 'INTERNAL', 'UNAVAILABLE'],
      },
      field: { type: 'string', description: 'The invalid field, for VALIDATION_ERROR (and some NOT_FOUND)' },
    },
    required: ['success', 'error', 'code'],
  },
} satisfies Record<string, JsonSchema>;

/** `{ success: true, ...fields }` */
export function success(fields: Record<string, JsonSchema>): JsonSchema {
  return {
    type: 'object',
    properties: { success: { const: true }, ...fields },
    required: ['success', ...Object.keys(fields)],
    additionalProperties: false,
  };
}

/** A reference to one of wireSchemas (same path in OpenAPI and AsyncAPI documents). */
export const ref = (name: keyof typeof wireSchemas) => ({ $ref: `#/components/schemas/${name}` });

export const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });

/** The answer fields of the chat list without a page asked for (`get_my_chats`, `GET /chats`): every chat. */
export const chatListFields: Record<string, JsonSchema> = { chats: arrayOf(ref('ChatSummary')) };

/** … and of one page of it (`get_my_chats` with a payload, `GET /chats?limit=&before=`). */
export const chatPageFields: Record<string, JsonSchema> = {
  ...chatListFields,
  hasMore: { type: 'boolean', description: 'Whether chats follow this page' },
  nextBefore: {
    type: ['string', 'null'],
    description: "The next page's `before` (the last chat's id) while hasMore; null at the end of the list",
  },
};

/** The answer fields of a page of search hits (`search_messages`, `GET /messages/search`). */
export const searchPageFields: Record<string, JsonSchema> = {
  hits: arrayOf(ref('SearchHit')),
  hasMore: { type: 'boolean', description: 'Whether older hits follow this page' },
  nextBefore: {
    type: ['string', 'null'],
    description: "The next page's `before` (the last hit's message id) while hasMore; null at the end",
  },
};
