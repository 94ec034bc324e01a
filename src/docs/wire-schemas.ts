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
      role: {
        enum: ['owner', 'admin', 'member'],
        description: "In groups only (a direct chat's pair has no roles): the member's role, README \"Group roles\"",
      },
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
      bot: { const: true, description: 'Set when a bot sent the message (README "Bots"); absent otherwise' },
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
      membersCanAdd: {
        type: 'boolean',
        description: 'In groups only: whether plain members may add people (admins and the owner always may); default true',
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
      'order, the chat events over the same versions, and the version they bring the client to (hasMore: ask again from it); or the error for a chat the caller may not read',
    oneOf: [
      {
        type: 'object',
        properties: {
          success: { const: true },
          chatId: { type: 'string' },
          version: { type: 'integer', minimum: 0 },
          messages: { type: 'array', items: { $ref: '#/components/schemas/Message' } },
          events: {
            type: 'array',
            items: { $ref: '#/components/schemas/ChatEvent' },
            description: 'The chat events over the same versions as the messages, in version order',
          },
          hasMore: { type: 'boolean' },
        },
        required: ['success', 'chatId', 'version', 'messages', 'events', 'hasMore'],
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
  ChatEvent: {
    type: 'object',
    description:
      'A change to a chat itself, at the chat version it took (README "Chat events"). By kind: members_added {userIds}; ' +
      'member_left {userId}; member_removed {userId}; chat_renamed {name}; role_changed {userId, role: admin|member}; ' +
      'owner_changed {userId, previousOwnerId} (the previous owner is an admin since, or left just before); ' +
      'settings_changed {membersCanAdd}',
    properties: {
      chatId: { type: 'string' },
      version: { type: 'integer', minimum: 1 },
      kind: {
        enum: ['members_added', 'member_left', 'member_removed', 'chat_renamed', 'role_changed', 'owner_changed', 'settings_changed'],
      },
      actorId: { type: ['string', 'null'], description: 'Who made the change' },
      createdAt: isoTime,
      userIds: { type: 'array', items: { type: 'string' } },
      userId: { type: 'string' },
      name: { type: 'string' },
      role: { enum: ['admin', 'member'] },
      previousOwnerId: { type: 'string' },
      membersCanAdd: { type: 'boolean' },
    },
    required: ['chatId', 'version', 'kind', 'actorId', 'createdAt'],
    additionalProperties: false,
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
  BlockedUser: {
    type: 'object',
    description: 'A user the caller has blocked',
    properties: {
      id: { type: 'string' },
      email: { type: 'string' },
      username: { type: 'string' },
      blockedAt: isoTime,
    },
    required: ['id', 'email', 'username', 'blockedAt'],
    additionalProperties: false,
  },
  MessageReport: {
    type: 'object',
    description: 'A report of a message by a member of its chat',
    properties: {
      id: { type: 'string', description: 'Also the cursor of the next page (`before`)' },
      message: { $ref: '#/components/schemas/Message', description: 'The message as it is now (a tombstone once deleted)' },
      reporter: { $ref: '#/components/schemas/PublicUser' },
      reason: { type: 'string' },
      createdAt: isoTime,
    },
    required: ['id', 'message', 'reporter', 'reason', 'createdAt'],
    additionalProperties: false,
  },
  ModerationAuditEntry: {
    type: 'object',
    description: 'One moderation action',
    properties: {
      id: { type: 'string', description: 'Also the cursor of the next page (`before`)' },
      moderator: {
        oneOf: [{ $ref: '#/components/schemas/PublicUser' }, { type: 'null' }],
        description: 'Null once the moderator\'s account is deleted',
      },
      action: { enum: ['ban', 'unban', 'delete_message'] },
      targetUserId: {
        type: ['string', 'null'],
        description: 'The user banned or unbanned, or the deleted message\'s author; null once their account is deleted',
      },
      targetMessageId: { type: ['string', 'null'], description: 'The deleted message' },
      reason: { type: ['string', 'null'], description: "A ban's reason" },
      createdAt: isoTime,
    },
    required: ['id', 'moderator', 'action', 'targetUserId', 'targetMessageId', 'reason', 'createdAt'],
    additionalProperties: false,
  },
  Bot: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      email: { type: 'string', description: '`bot-<id>@bots.invalid`: every bot\'s, and only bots\'' },
      username: { type: 'string' },
      createdAt: isoTime,
      keys: { type: 'integer', minimum: 0, description: 'API keys that work now' },
    },
    required: ['id', 'email', 'username', 'createdAt', 'keys'],
    additionalProperties: false,
  },
  Error: {
    type: 'object',
    properties: {
      success: { const: false },
      error: { type: 'string', description: 'What went wrong, in Russian (as in the seed)' },
      code: {
        enum: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN', 'BANNED', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMITED', 'INTERNAL', 'UNAVAILABLE'],
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

/** The answer fields of a page of reports or audit entries (`GET /moderation/reports`, `/moderation/audit`) under `key`. */
export const moderationPageFields = (key: string, item: JsonSchema): Record<string, JsonSchema> => ({
  [key]: arrayOf(item),
  hasMore: { type: 'boolean', description: 'Whether older entries follow this page' },
  nextBefore: {
    type: ['string', 'null'],
    description: "The next page's `before` (the last entry's id) while hasMore; null at the end",
  },
});
