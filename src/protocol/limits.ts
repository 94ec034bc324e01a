/**
 * The API's bounds that a client needs at run time, in a module without zod, so that a browser
 * bundle importing them (the SDK, sdk/) carries none of the schemas. schemas.ts re-exports them.
 */

/** `sync`: messages per chat per answer, by default and at most. */
export const SYNC_PAGE_DEFAULT = 100;
export const SYNC_PAGE_MAX = 100;
/** `sync`: chats per request, and messages in one answer over all its chats. */
export const SYNC_MAX_CHATS = 500;
export const SYNC_ANSWER_MAX_MESSAGES = 200;

/** Files one message may carry. */
export const MAX_ATTACHMENTS = 10;

/**
 * The longest message text, in characters after trimming, unless the server is configured otherwise
 * (MAX_MESSAGE_LENGTH): a client checks against it before sending, and a server set lower still refuses.
 */
export const DEFAULT_MAX_MESSAGE_LENGTH = 4000;
