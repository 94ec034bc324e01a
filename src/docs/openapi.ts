import type { z } from 'zod';
import {
  addMembersSchema,
  chatIdParamsSchema,
  chatMemberParamsSchema,
  chatPageQuerySchema,
  createChatSchema,
  fileIdParamsSchema,
  deleteAccountSchema,
  historyQuerySchema,
  messageIdParamsSchema,
  muteBodySchema,
  createWebhookSchema,
  pushSubscriptionSchema,
  pushUnsubscribeSchema,
  webhookDeliveriesQuerySchema,
  webhookDeliveryParamsSchema,
  webhookIdParamsSchema,
  reactionParamsSchema,
  loginSchema,
  registerSchema,
  searchMessagesQuerySchema,
  setRoleSchema,
  updateChatSchema,
  sendMessageBodySchema,
  reportBodySchema,
  banBodySchema,
  moderationPageQuerySchema,
  createBotSchema,
  userIdParamsSchema,
  userSearchSchema,
  syncSchema,
} from '../protocol/schemas.js';
import {
  chatListFields,
  chatPageFields,
  jsonSchemaOf,
  moderationPageFields,
  ref,
  searchPageFields,
  success,
  wireSchemas,
  type JsonSchema,
} from './wire-schemas.js';

/**
 * The OpenAPI 3.1 document of the HTTP API. Request bodies, query strings and path parameters are
 * generated from the very zod schemas the routes validate with (src/protocol/schemas.ts), as the
 * client sends them (`io: 'input'`). Responses are described by the wire types' JSON Schemas below,
 * which test/docs/api-docs.test.ts checks against real answers of a running server.
 */


const json = (description: string, schema: JsonSchema) => ({ description, content: { 'application/json': { schema } } });
const failure = (description: string) => json(description, ref('Error'));
const ERROR_RESPONSES: Record<string, ReturnType<typeof failure>> = {
  400: failure('VALIDATION_ERROR: the body, query or a parameter is invalid (`field` names it)'),
  401: failure('UNAUTHORIZED: no token, or an invalid or expired one'),
  403: failure(
    "FORBIDDEN: e.g. a chat that does not exist or that you are not a member of ('У вас нет доступа к этому чату'); " +
      'BANNED: a moderator has banned the account',
  ),
  404: failure('NOT_FOUND'),
  409: failure('CONFLICT: the email or username is taken'),
  413: failure('VALIDATION_ERROR: the file is larger than FILE_MAX_BYTES (nothing is kept)'),
  415: failure('VALIDATION_ERROR: not multipart/form-data, or a file type that is not allowed (sniffed from the bytes)'),
  416: failure('VALIDATION_ERROR: the Range is wholly past the end (`Content-Range: bytes */size`)'),
  429: failure('RATE_LIMITED (with a Retry-After header): a per-user rate, or too many of the user’s requests at once'),
};
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), ERROR_RESPONSES[s]]));

/** Path parameters or query parameters, from a zod object schema. */
function parameters(where: 'path' | 'query', schema: z.ZodType): JsonSchema[] {
  const { properties = {}, required = [] } = jsonSchemaOf(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(properties).map(([name, s]) => ({ name, in: where, required: where === 'path' || required.includes(name), schema: s }));
}

const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: jsonSchemaOf(schema) } } });
const bearer = [{ bearerAuth: [] }];
const adminAuth = [{ adminToken: [] }];
const userParam = parameters('path', userIdParamsSchema);
/** The operators' routes' refusals: the token wrong or missing (401); without ADMIN_TOKEN the routes do not exist, or `what` is unknown (404). */
const adminErrors = (what: string) => ({
  401: failure('UNAUTHORIZED: no ADMIN_TOKEN given, or a wrong one'),
  404: failure(`NOT_FOUND: ADMIN_TOKEN is not set (every /admin route is then an unknown route), or ${what} is unknown`),
});
const MODERATOR_403 = failure('FORBIDDEN: the caller is not a moderator (MODERATOR_IDS, MODERATOR_ROLE_CLAIM); BANNED');
const session = success({ accessToken: { type: 'string', description: 'A JWT: `Authorization: Bearer …` or Socket.IO `auth: { token }`' }, user: ref('PublicUser') });
const chatParam = parameters('path', chatIdParamsSchema);
const memberParams = parameters('path', chatMemberParamsSchema);
const messageParam = parameters('path', messageIdParamsSchema);
const reactionParams = parameters('path', reactionParamsSchema);
const messageAnswer = (description: string) => json(description, success({ message: ref('Message') }));
/** The reaction and pin routes' refusals: 400 (emoji, cap), 403 (unknown id or not a member), 404 (deleted). */
const markErrors = () => errors(400, 401, 403, 404, 429);
const fileParam = parameters('path', fileIdParamsSchema);
const fileNotFound = json('NOT_FOUND alike for an unknown id and a file the caller may not read', ref('Error'));
const DOWNLOAD_HEADERS = {
  'Content-Disposition': {
    description: '`inline` for images, `attachment` for everything else, with the name (RFC 6266, RFC 5987 filename*)',
    schema: { type: 'string' },
  },
  'Content-Security-Policy': { description: "`default-src 'none'; sandbox`", schema: { type: 'string' } },
  'X-Content-Type-Options': { description: '`nosniff`', schema: { type: 'string' } },
};

const webhookParam = parameters('path', webhookIdParamsSchema);
const webhookFields: Record<string, JsonSchema> = {
  id: { type: 'string' },
  url: { type: 'string' },
  eventTypes: { type: 'array', items: { type: 'string' } },
  createdAt: { type: 'string', format: 'date-time' },
};
const webhook: JsonSchema = { type: 'object', properties: webhookFields, required: Object.keys(webhookFields), additionalProperties: false };
const nullable = (type: string): JsonSchema => ({ type: [type, 'null'] });
const deliveryFields: Record<string, JsonSchema> = {
  id: { type: 'string', description: 'The event id the receiver sees (body `id`, header Parley-Event-Id)' },
  eventType: { type: 'string' },
  chatId: nullable('string'),
  state: { enum: ['pending', 'delivered', 'parked'] },
  attempts: { type: 'integer', minimum: 0 },
  createdAt: { type: 'string' },
  lastAttemptAt: nullable('string'),
  lastStatus: nullable('integer'),
  lastError: nullable('string'),
  nextAttemptAt: { ...nullable('string'), description: 'When a pending delivery is tried next' },
};
const delivery: JsonSchema = { type: 'object', properties: deliveryFields, required: Object.keys(deliveryFields), additionalProperties: false };

export function openApiDocument(): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley HTTP API',
      version: '0.1.0',
      description:
        'Accounts, user search and chats. Real-time messaging is the Socket.IO API, described by /docs/asyncapi.yaml. ' +
        'Every answer is `{success: true, …}` or the error envelope `{success: false, error, code}`.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT, or a bot\'s API key (pk_bot_…)' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The operators\' ADMIN_TOKEN' },
      },
      schemas: wireSchemas,
    },
    paths: {
      '/auth/register': {
        post: {
          summary: 'Create an account',
          requestBody: body(registerSchema),
          responses: { 201: json('Registered and signed in', session), ...errors(400, 409, 429) },
        },
      },
      '/auth/login': {
        post: {
          summary: 'Sign in with email or username',
          requestBody: body(loginSchema),
          responses: { 200: json('Signed in', session), ...errors(400, 401, 429) },
        },
      },
      '/users/me': {
        get: {
          summary: 'The caller (every route with a bearer token answers a banned account 403 BANNED)',
          security: bearer,
          responses: { 200: json('The caller', success({ user: ref('PublicUser') })), ...errors(401, 403, 429) },
        },
        delete: {
          summary: 'Delete the caller’s account for good',
          description:
            'An account with a password must give it (a wrong one is 403 and counts as a failed login); an account from the ' +
            'external provider gives no body but a token issued in the last 5 minutes. The account’s sockets close on every node, ' +
            'its messages stay as tombstones of the deleted user (`[deleted]`), it leaves every chat, its email and username are ' +
            'free again, and its tokens and password no longer work.',
          security: bearer,
          requestBody: { required: false, content: { 'application/json': { schema: jsonSchemaOf(deleteAccountSchema) } } },
          responses: { 200: json('Deleted', success({})), ...errors(400, 401, 403, 429) },
        },
      },
      '/users': {
        get: {
          summary: 'Other users whose username starts with `search`, or whose email is `search` (whole, any case); at most 20. Limited per user (RATE_LIMIT_USER_SEARCHES_PER_MINUTE)',
          security: bearer,
          parameters: parameters('query', userSearchSchema),
          responses: { 200: json('Matching users', success({ users: { type: 'array', items: ref('PublicUser') } })), ...errors(400, 401, 429) },
        },
      },
      '/chats': {
        get: {
          summary: 'The caller’s chats, most recent activity first (as `get_my_chats`): all of them, or one page',
          description:
            'Without `limit` and `before`: every chat. With either: at most `limit` chats (1–100, default 50) after the chat ' +
            '`before` (the previous page’s `nextBefore`), in the list’s order as it stands at the request. A `before` that is ' +
            'not one of the caller’s chats (unknown, another user’s, or one left since) is 404.',
          security: bearer,
          parameters: parameters('query', chatPageQuerySchema),
          responses: {
            200: json('Every chat, or the page asked for', { oneOf: [success(chatListFields), success(chatPageFields)] }),
            ...errors(400, 401, 404, 429),
          },
        },
        post: {
          summary: 'Create a chat: one user and no name is a direct chat, otherwise a group',
          security: bearer,
          requestBody: body(createChatSchema),
          responses: {
            201: json('Created', success({ chat: ref('ChatSummary') })),
            200: json('The direct chat with that user existed already', success({ chat: ref('ChatSummary') })),
            ...errors(400, 401, 404, 429),
          },
        },
      },
      '/chats/{id}/members': {
        post: {
          summary: 'Add users to a group chat',
          security: bearer,
          parameters: chatParam,
          requestBody: body(addMembersSchema),
          responses: { 200: json('The chat after the change', success({ chat: ref('ChatSummary') })), ...errors(400, 401, 403, 404, 429) },
        },
      },
      '/chats/{id}': {
        patch: {
          summary: 'Rename a group and/or change its settings (admins and the owner)',
          description:
            '`name` (1–100 characters after trimming) and/or `membersCanAdd` (whether plain members may add people; true ' +
            'for a new group). Each change is a chat event (`chat_renamed`, `settings_changed`) to every member; one that ' +
            "changes nothing makes none. A plain member → 403; a direct chat → 403; a chat you are not in → 403 'У вас нет " +
            "доступа к этому чату'.",
          security: bearer,
          parameters: chatParam,
          requestBody: body(updateChatSchema),
          responses: { 200: json('The chat after the change', success({ chat: ref('ChatSummary') })), ...errors(400, 401, 403, 429) },
        },
      },
      '/chats/{id}/members/{userId}': {
        delete: {
          summary: 'Remove a member from a group (the owner: anyone; an admin: plain members); your own id leaves',
          description:
            'A `member_removed` chat event to every member, the removed one included, whose sockets then leave the chat on ' +
            'every node (`chat_left`). A user who is not a member (or a malformed id) → 404 with `field: userId`, told only ' +
            'to those who may remove.',
          security: bearer,
          parameters: memberParams,
          responses: { 200: json('Removed', success({})), ...errors(400, 401, 403, 404, 429) },
        },
      },
      '/chats/{id}/members/{userId}/role': {
        put: {
          summary: "Set a member's role (the owner only): admin, member, or owner — handing ownership over (you become an admin)",
          security: bearer,
          parameters: memberParams,
          requestBody: body(setRoleSchema),
          responses: { 200: json('The chat after the change', success({ chat: ref('ChatSummary') })), ...errors(400, 401, 403, 404, 429) },
        },
      },
      '/chats/{id}/members/me': {
        delete: {
          summary: 'Leave a group chat (an owner hands ownership to the longest-standing admin, else member)',
          security: bearer,
          parameters: chatParam,
          responses: { 200: json('Left', success({})), ...errors(401, 403, 429) },
        },
      },
      '/chats/{id}/mute': {
        put: {
          summary: 'Mute or unmute a chat for the caller (as `mute_chat`): no mention alerts, no push; unread still counted',
          security: bearer,
          parameters: chatParam,
          requestBody: body(muteBodySchema),
          responses: {
            200: json('Done', success({ chatId: { type: 'string' }, muted: { type: 'boolean' } })),
            ...errors(400, 401, 403, 429),
          },
        },
      },
      '/chats/{id}/messages': {
        post: {
          summary: 'Send a message (as `send_message`: the same rules, limits and answer), for any user and for bots',
          security: bearer,
          parameters: chatParam,
          requestBody: body(sendMessageBodySchema),
          responses: { 201: messageAnswer('The message, once committed (a retry with the same clientMessageId: the original)'), ...errors(400, 401, 403, 404, 429) },
        },
        get: {
          summary: 'A page of history, oldest first (as `get_chat_messages`)',
          security: bearer,
          parameters: [...chatParam, ...parameters('query', historyQuerySchema)],
          responses: {
            200: json('The page', success({ messages: { type: 'array', items: ref('Message') }, hasMore: { type: 'boolean' } })),
            ...errors(400, 401, 403, 404, 429),
          },
        },
      },
      '/users/{id}/block': {
        post: {
          summary: 'Block a user: no new direct chat between you (either asking), and their messages to your direct chat are refused (FORBIDDEN). Groups are unaffected. At most 1000 blocks; blocking again answers the same',
          security: bearer,
          parameters: userParam,
          responses: { 200: json('Blocked', success({})), ...errors(400, 401, 404, 429) },
        },
        delete: {
          summary: 'Unblock a user (success also when there was no block)',
          security: bearer,
          parameters: userParam,
          responses: { 200: json('Not blocked', success({})), ...errors(400, 401, 429) },
        },
      },
      '/users/me/blocks': {
        get: {
          summary: 'The users you have blocked, most recent first',
          security: bearer,
          responses: { 200: json('Your blocks', success({ users: { type: 'array', items: ref('BlockedUser') } })), ...errors(401, 429) },
        },
      },
      '/messages/{id}/report': {
        post: {
          summary: 'Report a live message of one of your chats to the moderators (as `report_message`); reporting it again answers the same',
          security: bearer,
          parameters: messageParam,
          requestBody: body(reportBodySchema),
          responses: { 200: json('Reported', success({})), ...errors(400, 401, 403, 404, 429) },
        },
      },
      '/moderation/users/{id}/ban': {
        post: {
          summary: 'Ban a user (moderators): their sockets close on every node at once; their tokens, connections and logins are refused (403 BANNED) until unbanned. Audited',
          security: bearer,
          parameters: userParam,
          requestBody: body(banBodySchema),
          responses: { 200: json('Banned', success({})), ...errors(400, 401), 403: MODERATOR_403, ...errors(404, 429) },
        },
        delete: {
          summary: 'Unban a user (moderators). Audited',
          security: bearer,
          parameters: userParam,
          responses: { 200: json('Not banned', success({})), ...errors(400, 401), 403: MODERATOR_403, ...errors(404, 429) },
        },
      },
      '/moderation/messages/{id}': {
        delete: {
          summary: 'Delete any message (moderators), as its author would: a tombstone taking the chat\'s next version, `message_deleted` to the members, returned by `sync`. Audited',
          security: bearer,
          parameters: messageParam,
          responses: { 200: messageAnswer('The tombstone'), ...errors(400, 401), 403: MODERATOR_403, ...errors(404, 429) },
        },
      },
      '/moderation/reports': {
        get: {
          summary: 'Reports of messages, newest first (moderators): `limit` 1–100 (default 50), `before` the previous page\'s `nextBefore`',
          security: bearer,
          parameters: parameters('query', moderationPageQuerySchema),
          responses: { 200: json('A page of reports', success(moderationPageFields('reports', ref('MessageReport')))), ...errors(400, 401), 403: MODERATOR_403, ...errors(429) },
        },
      },
      '/moderation/audit': {
        get: {
          summary: 'Every moderation action, newest first (moderators); paged as the reports',
          security: bearer,
          parameters: parameters('query', moderationPageQuerySchema),
          responses: { 200: json('A page of the audit log', success(moderationPageFields('entries', ref('ModerationAuditEntry')))), ...errors(400, 401), 403: MODERATOR_403, ...errors(429) },
        },
      },
      '/admin/bots': {
        post: {
          summary: 'Create a bot (operators): its user and its first API key, answered this once (only a digest is kept)',
          security: adminAuth,
          requestBody: body(createBotSchema),
          responses: {
            201: json('Created', success({ bot: ref('PublicUser'), apiKey: { type: 'string', description: 'pk_bot_…: the bearer credential of the bot on HTTP and Socket.IO' } })),
            400: ERROR_RESPONSES[400],
            ...adminErrors('the bot'),
            409: ERROR_RESPONSES[409],
          },
        },
        get: {
          summary: 'Every bot (operators)',
          security: adminAuth,
          responses: { 200: json('The bots', success({ bots: { type: 'array', items: ref('Bot') } })), ...adminErrors('the bot') },
        },
      },
      '/admin/bots/{id}/keys': {
        post: {
          summary: 'One more API key for a bot (operators), answered this once; its other keys keep working',
          security: adminAuth,
          parameters: userParam,
          responses: { 201: json('The new key', success({ apiKey: { type: 'string' } })), 400: ERROR_RESPONSES[400], ...adminErrors('the bot') },
        },
        delete: {
          summary: 'Revoke every key of a bot (operators): refused at once, its sockets closed on every node',
          security: adminAuth,
          parameters: userParam,
          responses: { 200: json('Revoked', success({})), 400: ERROR_RESPONSES[400], ...adminErrors('the bot') },
        },
      },
      '/messages/{id}/reactions/{emoji}': {
        post: {
          summary: 'React to a message (as `add_reaction`; the emoji or short name percent-encoded in the path)',
          security: bearer,
          parameters: reactionParams,
          responses: { 200: messageAnswer('The message as it is now, `me` from the caller’s view'), ...markErrors() },
        },
        delete: {
          summary: 'Take back your reaction (as `remove_reaction`)',
          security: bearer,
          parameters: reactionParams,
          responses: { 200: messageAnswer('The message as it is now'), ...markErrors() },
        },
      },
      '/messages/{id}/pin': {
        post: {
          summary: 'Pin a message (as `pin_message`)',
          security: bearer,
          parameters: messageParam,
          responses: { 200: messageAnswer('The message, pinned'), ...markErrors() },
        },
        delete: {
          summary: 'Unpin a message (as `unpin_message`)',
          security: bearer,
          parameters: messageParam,
          responses: { 200: messageAnswer('The message, unpinned'), ...markErrors() },
        },
      },
      '/chats/{id}/pins': {
        get: {
          summary: 'The chat’s pinned messages, most recently pinned first (as `get_pinned_messages`)',
          security: bearer,
          parameters: chatParam,
          responses: {
            200: json('The pinned messages', success({ messages: { type: 'array', items: ref('Message') } })),
            ...errors(400, 401, 403, 429),
          },
        },
      },
      '/messages/search': {
        get: {
          summary:
            "Full-text search of the caller's chats' messages, newest first (as `search_messages`): `query` (1–200 characters, " +
            'web-search syntax), optional `chatId` (one of your chats: 403 otherwise), `before` (the previous page\'s ' +
            '`nextBefore`: 404 if it is not a message of the searched chats), `limit` 1–50 (default 20)',
          security: bearer,
          parameters: parameters('query', searchMessagesQuerySchema),
          responses: { 200: json('A page of hits', success(searchPageFields)), ...errors(400, 401, 403, 404, 429) },
        },
      },
      '/sync': {
        post: {
          summary:
            'Catch up from the database (as the `sync` event): for each chat, every message changed after the version the ' +
            'client holds, in its current state, and every chat event after it, in version order; FORBIDDEN in its own entry for a chat the caller may not read',
          security: bearer,
          requestBody: body(syncSchema),
          responses: { 200: json('One entry per chat asked for', success({ chats: { type: 'array', items: ref('SyncEntry') } })), ...errors(400, 401, 429) },
        },
      },
      '/files': {
        post: {
          summary: 'Upload one file, to send with a message (send_message `attachments`)',
          description:
            'multipart/form-data with one file in the field `file`, streamed into the database. At most FILE_MAX_BYTES ' +
            '(default 10 MiB: 413 past it). The type is sniffed from the bytes: PNG, JPEG, GIF, WebP, PDF, ZIP, or text ' +
            '(valid UTF-8 without NUL); anything else is 415. Images get width, height and a thumbnail. A file not sent ' +
            'within FILE_ORPHAN_TTL (default 24 h) is deleted; a user holds at most FILE_MAX_UNATTACHED unsent files ' +
            '(429 past it). Limited per user: RATE_LIMIT_UPLOADS_PER_MINUTE, RATE_LIMIT_UPLOAD_BYTES_PER_HOUR.',
          security: bearer,
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: { type: 'object', properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } }, required: ['file'] },
              },
            },
          },
          responses: { 201: json('Stored', success({ file: ref('Attachment') })), ...errors(400, 401, 413, 415, 429) },
        },
      },
      '/files/{id}': {
        get: {
          summary: 'A file’s bytes, for its uploader and for the members of the chat it was sent in',
          description:
            'One `Range: bytes=…` is honoured (206 with Content-Range); several, or a malformed one, get the whole file; one ' +
            'wholly past the end is 416. A deleted message’s files are gone.',
          security: bearer,
          parameters: [...fileParam, { name: 'Range', in: 'header', required: false, schema: { type: 'string' } }],
          responses: {
            200: { description: 'The whole file, with its sniffed type', headers: DOWNLOAD_HEADERS, content: { '*/*': {} } },
            206: { description: 'The range asked for', headers: DOWNLOAD_HEADERS, content: { '*/*': {} } },
            404: fileNotFound,
            ...errors(400, 401, 416, 429),
          },
        },
      },
      '/files/{id}/thumbnail': {
        get: {
          summary: 'An image’s thumbnail: WebP, at most 320 px each way, for the same readers as the file',
          security: bearer,
          parameters: fileParam,
          responses: {
            200: { description: 'The thumbnail', content: { 'image/webp': {} } },
            404: json('NOT_FOUND: as for the file, and for a file that is no image', ref('Error')),
            ...errors(400, 401, 429),
          },
        },
      },
      '/push/vapid-public-key': {
        get: {
          summary: 'The VAPID public key to subscribe with (PushManager.subscribe applicationServerKey)',
          responses: { 200: json('The key, URL-safe base64', success({ publicKey: { type: 'string' } })) },
        },
      },
      '/push/subscriptions': {
        post: {
          summary: "Keep the browser's push subscription (PushSubscription.toJSON()); the same endpoint again replaces its keys",
          security: bearer,
          requestBody: body(pushSubscriptionSchema),
          responses: {
            201: json('Kept', success({})),
            ...errors(400, 401, 429),
            409: failure('CONFLICT: the user has 10 subscriptions already'),
          },
        },
        delete: {
          summary: "Drop one of the caller's push subscriptions, by endpoint",
          security: bearer,
          requestBody: body(pushUnsubscribeSchema),
          responses: { 200: json('Dropped', success({})), ...errors(400, 401, 404, 429) },
        },
      },
      '/admin/webhooks': {
        post: {
          summary: 'Register a webhook endpoint (operators): answers its secret, generated when not given, this once',
          security: adminAuth,
          requestBody: body(createWebhookSchema),
          responses: {
            201: json('Registered', success({ webhook: { ...webhook, properties: { ...webhookFields, secret: { type: 'string' } }, required: [...Object.keys(webhookFields), 'secret'] } })),
            400: ERROR_RESPONSES[400],
            ...adminErrors('the webhook'),
            409: failure('CONFLICT: 20 endpoints are registered already'),
          },
        },
        get: {
          summary: 'The webhook endpoints (operators), without their secrets',
          security: adminAuth,
          responses: { 200: json('The endpoints', success({ webhooks: { type: 'array', items: webhook } })), ...adminErrors('the webhook') },
        },
      },
      '/admin/webhooks/{id}': {
        delete: {
          summary: 'Remove a webhook endpoint with its deliveries, sent or not (operators)',
          security: adminAuth,
          parameters: webhookParam,
          responses: { 200: json('Removed', success({})), ...adminErrors('the webhook') },
        },
      },
      '/admin/webhooks/{id}/deliveries': {
        get: {
          summary: "The endpoint's latest deliveries, newest first (operators)",
          security: adminAuth,
          parameters: [...webhookParam, ...parameters('query', webhookDeliveriesQuerySchema)],
          responses: {
            200: json('The deliveries', success({ deliveries: { type: 'array', items: delivery } })),
            400: ERROR_RESPONSES[400],
            ...adminErrors('the webhook'),
          },
        },
      },
      '/admin/webhooks/{id}/deliveries/{deliveryId}/retry': {
        post: {
          summary:
            'Send a parked delivery again (operators): due at once, with a fresh round of WEBHOOK_MAX_ATTEMPTS attempts; it reaches the receiver after the events of its chat sent meanwhile',
          security: adminAuth,
          parameters: parameters('path', webhookDeliveryParamsSchema),
          responses: {
            200: json('Queued again (state `pending`, attempts 0)', success({ delivery })),
            400: ERROR_RESPONSES[400],
            ...adminErrors('the webhook, or the delivery among its own'),
            409: failure('CONFLICT: the delivery is not parked (pending: it is tried anyway; delivered: done)'),
          },
        },
      },
      '/admin/webhooks/{id}/deliveries/retry': {
        post: {
          summary: "Send every parked delivery of the endpoint again (operators), as the single retry does",
          security: adminAuth,
          parameters: webhookParam,
          responses: {
            200: json('How many were queued again (0 when none was parked)', success({ retried: { type: 'integer', minimum: 0 } })),
            400: ERROR_RESPONSES[400],
            ...adminErrors('the webhook'),
          },
        },
      },
      '/health': {
        get: { summary: 'Liveness', responses: { 200: json('The process answers', success({ status: { const: 'ok' } })) } },
      },
      '/ready': {
        get: {
          summary: 'Readiness: the database (and Redis, if configured) answer and the node is not draining',
          responses: {
            200: json('Ready', { type: 'object', required: ['success', 'status', 'checks'] }),
            503: json('Not ready (`status` is `draining` or `unavailable`)', ref('Error')),
          },
        },
      },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { 200: { description: 'Text exposition format', content: { 'text/plain': {} } } } },
      },
    },
  };
}
