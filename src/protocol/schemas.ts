import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from './webhook-events.js';
import { MAX_ATTACHMENTS, SYNC_MAX_CHATS, SYNC_PAGE_MAX } from './limits.js';

/**
 * Payload schemas of every Socket.IO event and HTTP body, shared by the server (which validates
 * with them) and by clients (which infer their types from them). Unknown extra fields are stripped.
 */

/** Whether PostgreSQL can store `text` and give it back unchanged: no NUL, no lone surrogate. */
export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

/**
 * Every string a client sends is parsed from this one: text PostgreSQL cannot store (a NUL, a lone
 * surrogate) is refused as VALIDATION_ERROR wherever it comes in — a payload, a body, a query
 * string, a path — instead of failing in the database.
 */
export const clientString = () =>
  z.string().refine(isStorableText, { message: 'Строка содержит недопустимые символы' });

/** Storable text of `min`..`max` UTF-16 units. */
export function storableText(limits: { min?: number; max: number }) {
  return clientString()
    .min(limits.min ?? 0)
    .max(limits.max);
}

/**
 * Ids are opaque strings to clients; a malformed one simply names nothing. They are uuids, which
 * PostgreSQL reads in any case: parsed into lower case here, once, so that every consumer (room
 * names, maps of chats, published changes) sees one spelling of each id.
 */
export const idSchema = clientString()
  .min(1)
  .max(100)
  .transform((id) => id.toLowerCase());

export const HISTORY_PAGE_DEFAULT = 50;
export const HISTORY_PAGE_MAX = 100;

export const chatRefSchema = z.object({ chatId: idSchema });

export const sendMessageSchema = z.object({
  chatId: idSchema,
  // Length in characters is checked after trimming by the chat service (MAX_MESSAGE_LENGTH);
  // this bound only refuses absurd payloads before any work is done.
  text: storableText({ max: 100_000 }),
  clientMessageId: storableText({ min: 1, max: 64 }).optional(),
  /**
   * The id of a live message of the same chat that this message replies to; null or absent for
   * none. Unlike other ids it must be a uuid: a reply to a malformed id is a client's bug.
   */
  replyTo: z
    .uuid()
    .transform((id) => id.toLowerCase())
    .nullable()
    .optional(),
  /**
   * Ids of files the sender uploaded (`POST /files`) and has not attached yet, at most
   * MAX_ATTACHMENTS, each once; with at least one, `text` may be empty.
   */
  attachments: z
    .array(idSchema)
    .max(MAX_ATTACHMENTS)
    .refine((ids) => new Set(ids).size === ids.length, { message: 'Файл указан дважды' })
    .optional(),
});

/** `mark_read`: the read position moves to `messageId` (never back). */
export const markReadSchema = z.object({ chatId: idSchema, messageId: idSchema });

export const editMessageSchema = z.object({
  messageId: idSchema,
  // Trimmed and checked against MAX_MESSAGE_LENGTH by the chat service, as for send_message.
  text: storableText({ max: 100_000 }),
});

export const messageRefSchema = z.object({ messageId: idSchema });

/** `PUT /chats/:id/mute`: whether the caller mutes the chat (true) or unmutes it (false). */
export const muteBodySchema = z.object({ muted: z.boolean() });
/** `mute_chat`: as `PUT /chats/:id/mute`, with the chat in the payload. */
export const muteChatSchema = muteBodySchema.extend({ chatId: idSchema });

/** The longest URL Parley keeps to call (webhook endpoints, push services). */
export const MAX_OUTBOUND_URL_LENGTH = 2048;

/**
 * `POST /admin/webhooks`: where to send which events, and the secret to sign them with (16–256
 * characters; left out, one is generated and answered once).
 */
export const createWebhookSchema = z.object({
  url: storableText({ min: 1, max: MAX_OUTBOUND_URL_LENGTH }),
  secret: storableText({ min: 16, max: 256 }).optional(),
  eventTypes: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1)
    .max(WEBHOOK_EVENT_TYPES.length)
    .refine((types) => new Set(types).size === types.length, { message: 'Тип события указан дважды' }),
});

/** `/admin/webhooks/:id`. */
export const webhookIdParamsSchema = z.object({ id: idSchema });

/**
 * `/admin/webhooks/:id/deliveries/:deliveryId`. A delivery id is the outbox's (decimal digits);
 * a malformed one names no delivery (404), as a malformed endpoint id names no endpoint.
 */
export const webhookDeliveryParamsSchema = webhookIdParamsSchema.extend({ deliveryId: idSchema });

/** `GET /admin/webhooks/:id/deliveries?limit=`: the latest deliveries, 1–100 (default 50). */
export const webhookDeliveriesQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(100).optional() });

/**
 * `POST /push/subscriptions`: a browser's PushSubscription as its toJSON() gives it (extra fields
 * such as expirationTime ignored). p256dh: the browser's P-256 public key, 65 bytes in URL-safe
 * base64; auth: its 16-byte secret.
 */
export const pushSubscriptionSchema = z.object({
  endpoint: storableText({ min: 1, max: MAX_OUTBOUND_URL_LENGTH }),
  keys: z.object({
    p256dh: z.string().regex(/^[A-Za-z0-9_-]{87}={0,1}$/, { message: 'Ожидается ключ P-256 в base64url' }),
    auth: z.string().regex(/^[A-Za-z0-9_-]{22}(==)?$/, { message: 'Ожидается 16 байт в base64url' }),
  }),
});

/** `DELETE /push/subscriptions`: the subscription's endpoint. */
export const pushUnsubscribeSchema = z.object({ endpoint: storableText({ min: 1, max: MAX_OUTBOUND_URL_LENGTH }) });

/**
 * `add_reaction` / `remove_reaction`: one emoji or a short name (the chat service checks which,
 * README "Reactions"); this bound only refuses absurd payloads before any work is done.
 */
export const reactionSchema = z.object({ messageId: idSchema, emoji: storableText({ min: 1, max: 64 }) });

export const historyQueryShape = {
  before: idSchema.optional(),
  after: idSchema.optional(),
  // An HTTP query string only carries strings, so the HTTP route coerces.
  limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX).optional(),
};

// A Socket.IO payload is JSON: `limit` must be a number there. Coercing would accept "5", true,
// [5] or null (→ 0) instead of answering VALIDATION_ERROR for a wrong type (contract §3).
export const getChatMessagesSchema = z.object({
  chatId: idSchema,
  before: historyQueryShape.before,
  after: historyQueryShape.after,
  limit: z.number().int().min(1).max(HISTORY_PAGE_MAX).optional(),
});

/** A page of the chat list: chats per page, by default and at most. */
export const CHAT_PAGE_DEFAULT = 50;
export const CHAT_PAGE_MAX = 100;

/**
 * `get_my_chats` with a payload: one page of the caller's chat list, in its order (most recent
 * activity first). `before` is one of the caller's chats (the previous page's `nextBefore`): the
 * page starts right after it in the order as it is when the page is read. Without a payload the
 * event answers every chat, as the seed's call does.
 */
export const chatPageSchema = z.object({
  before: idSchema.optional(),
  // A JSON number, as for get_chat_messages.
  limit: z.number().int().min(1).max(CHAT_PAGE_MAX).optional(),
});

/** `GET /chats?limit=&before=`: the same page from a query string, whose `limit` is text. */
export const chatPageQuerySchema = z.object({
  before: chatPageSchema.shape.before,
  limit: z.coerce.number().int().min(1).max(CHAT_PAGE_MAX).optional(),
});

export {
  DEFAULT_MAX_MESSAGE_LENGTH,
  MAX_ATTACHMENTS,
  SYNC_ANSWER_MAX_MESSAGES,
  SYNC_MAX_CHATS,
  SYNC_PAGE_DEFAULT,
  SYNC_PAGE_MAX,
} from './limits.js';

/** `sync` (and `POST /sync`): the last version the client holds of each chat (0: none). */
export const syncSchema = z.object({
  chats: z
    .array(z.object({ chatId: idSchema, version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }))
    .max(SYNC_MAX_CHATS)
    .refine((chats) => new Set(chats.map((chat) => chat.chatId)).size === chats.length, {
      message: 'Каждый чат можно указать только один раз',
    }),
  limit: z.number().int().min(1).max(SYNC_PAGE_MAX).optional(),
});

/** `search_messages`: the query's length (UTF-16 units, after trimming), and hits per page by default and at most. */
export const SEARCH_QUERY_MAX = 200;
export const SEARCH_PAGE_DEFAULT = 20;
export const SEARCH_PAGE_MAX = 50;

/** Trimmed before the length check: a blank query would match nothing at the cost of a search. */
const searchQuery = z
  .string()
  .trim()
  .pipe(storableText({ min: 1, max: SEARCH_QUERY_MAX }));

/**
 * `search_messages`: messages of the caller's chats (or of `chatId`, one of them) whose current
 * text matches `query` (web-search syntax: words, "phrases", -excluded, or), newest first.
 * `before` is the previous page's `nextBefore` (a hit's message id): the page starts after it.
 */
export const searchMessagesSchema = z.object({
  query: searchQuery,
  chatId: idSchema.optional(),
  before: idSchema.optional(),
  // A JSON number, as for get_chat_messages.
  limit: z.number().int().min(1).max(SEARCH_PAGE_MAX).optional(),
});

/** `GET /messages/search?query=&chatId=&before=&limit=`: the same from a query string, whose `limit` is text. */
export const searchMessagesQuerySchema = searchMessagesSchema.extend({
  limit: z.coerce.number().int().min(1).max(SEARCH_PAGE_MAX).optional(),
});

export const emailSchema = clientString()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((email) => email.toLowerCase())
  // RFC 2606 reserves `.invalid`: the server's placeholder addresses (bots', deleted accounts') are there.
  .refine((email) => !email.endsWith('.invalid'), { message: 'Адрес в домене .invalid не принимается' });

export const usernameSchema = clientString()
  .trim()
  .regex(/^[\p{L}\p{N}_.-]{3,32}$/u, 'Имя пользователя: от 3 до 32 букв, цифр, «_», «.» или «-»');

// Capped so that a huge password cannot make the KDF a denial of service.
export const passwordSchema = storableText({ min: 8, max: 128 });

export const registerSchema = z.object({
  email: emailSchema,
  username: usernameSchema,
  password: passwordSchema,
});

/**
 * `DELETE /users/me`: the account's password, which an account with one must give (an account
 * from the external provider has none here and gives a freshly issued token instead).
 */
export const deleteAccountSchema = z.object({ password: clientString().max(1024).optional() });

export const loginSchema = z.union([
  z.object({
    email: clientString()
      .trim()
      .max(254)
      .transform((e) => e.toLowerCase()),
    password: clientString().max(1024),
  }),
  z.object({ username: clientString().trim().max(64), password: clientString().max(1024) }),
]);

// Trimmed before the length check: a blank search would become the pattern '%' and list everyone.
export const userSearchSchema = z.object({
  search: z
    .string()
    .trim()
    .pipe(storableText({ min: 1, max: 100 })),
});

export const MAX_CHAT_MEMBERS = 200;

export const createChatSchema = z.object({
  userIds: z
    .array(idSchema)
    .min(1)
    .max(MAX_CHAT_MEMBERS - 1),
  name: storableText({ min: 1, max: 100 })
    .transform((n) => n.trim())
    .refine((n) => n.length > 0, { message: 'Название не может быть пустым' })
    .optional(),
});

/** `POST /chats/:id/members`: users to add to a group chat (members already in it are ignored). */
export const addMembersSchema = z.object({
  userIds: z
    .array(idSchema)
    .min(1)
    .max(MAX_CHAT_MEMBERS - 1),
});

export const chatIdParamsSchema = z.object({ id: idSchema });
/** `/chats/:id/members/:userId` (removing a member, setting their role). */
export const chatMemberParamsSchema = z.object({ id: idSchema, userId: idSchema });

/** A group's name, as at creation: 1..100 characters after trimming. */
const chatNameSchema = createChatSchema.shape.name.unwrap();

/**
 * `PATCH /chats/:id`: renames a group and/or changes its settings (admins and the owner; README
 * "Group roles"). At least one field.
 */
export const updateChatSchema = z
  .object({ name: chatNameSchema.optional(), membersCanAdd: z.boolean().optional() })
  .refine((body) => body.name !== undefined || body.membersCanAdd !== undefined, {
    message: 'Укажите name или membersCanAdd',
  });

/** `PUT /chats/:id/members/:userId/role`: the owner makes a member an admin or a member, or hands ownership over. */
export const setRoleSchema = z.object({ role: z.enum(['owner', 'admin', 'member']) });
/** `/messages/:id/pin`. */
export const messageIdParamsSchema = z.object({ id: idSchema });
/** `/messages/:id/reactions/:emoji` (the emoji percent-encoded in the path; checked as add_reaction's). */
export const reactionParamsSchema = z.object({ id: idSchema, emoji: reactionSchema.shape.emoji });
export const fileIdParamsSchema = z.object({ id: idSchema });
export const historyQuerySchema = z.object(historyQueryShape);

/** `POST /chats/:id/messages`: send_message's payload, its chat named by the path. */
export const sendMessageBodySchema = sendMessageSchema.omit({ chatId: true });

/** Users one user may block (`POST /users/:id/block`). */
export const MAX_BLOCKS_PER_USER = 1000;
export const userIdParamsSchema = z.object({ id: idSchema });

/** Why a message is reported, or a user banned: 1–500 characters after trimming. */
export const REASON_MAX = 500;
const reasonSchema = storableText({ max: 2000 })
  .transform((reason) => reason.trim())
  .pipe(z.string().min(1).max(REASON_MAX));

/** `report_message` / `POST /messages/:id/report`. */
export const reportMessageSchema = z.object({ messageId: idSchema, reason: reasonSchema });
export const reportBodySchema = reportMessageSchema.omit({ messageId: true });

/** `POST /moderation/users/:id/ban`. */
export const banBodySchema = z.object({ reason: reasonSchema });

/** A page of reports or of the audit log, newest first: entries per page, by default and at most. */
export const MODERATION_PAGE_DEFAULT = 50;
export const MODERATION_PAGE_MAX = 100;
/** `GET /moderation/reports` and `/moderation/audit`: `before` is the previous page's `nextBefore`. */
export const moderationPageQuerySchema = z.object({
  before: z
    .string()
    .regex(/^\d{1,18}$/, 'Ожидается курсор предыдущей страницы')
    .optional(),
  limit: z.coerce.number().int().min(1).max(MODERATION_PAGE_MAX).optional(),
});

/** `POST /admin/bots`: a bot's username, as a user's. */
export const createBotSchema = z.object({ username: usernameSchema });

export type SendMessagePayload = z.infer<typeof sendMessageSchema>;
export type ChatRefPayload = z.infer<typeof chatRefSchema>;
export type GetChatMessagesPayload = z.infer<typeof getChatMessagesSchema>;
export type MarkReadPayload = z.infer<typeof markReadSchema>;
export type SyncPayload = z.infer<typeof syncSchema>;
export type SearchMessagesPayload = z.infer<typeof searchMessagesSchema>;
export type ChatPageQuery = z.infer<typeof chatPageSchema>;
/** A page request names `limit` or `before`: without both, get_my_chats answers every chat. */
export type ChatPageRequest = ChatPageQuery & ({ limit: number } | { before: string });
export type EditMessagePayload = z.infer<typeof editMessageSchema>;
export type MessageRefPayload = z.infer<typeof messageRefSchema>;
export type MuteChatPayload = z.infer<typeof muteChatSchema>;
export type CreateWebhookBody = z.infer<typeof createWebhookSchema>;
export type PushSubscriptionBody = z.infer<typeof pushSubscriptionSchema>;
export type ReactionPayload = z.infer<typeof reactionSchema>;
export type RegisterBody = z.infer<typeof registerSchema>;
export type LoginBody = z.infer<typeof loginSchema>;
export type CreateChatBody = z.infer<typeof createChatSchema>;
export type AddMembersBody = z.infer<typeof addMembersSchema>;
export type UpdateChatBody = z.infer<typeof updateChatSchema>;
export type SetRoleBody = z.infer<typeof setRoleSchema>;
export type HistoryQuery = z.infer<typeof historyQuerySchema>;
export type SendMessageBody = z.infer<typeof sendMessageBodySchema>;
export type ReportMessagePayload = z.infer<typeof reportMessageSchema>;
export type ModerationPageQuery = z.infer<typeof moderationPageQuerySchema>;
