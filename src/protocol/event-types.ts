import type { ClientToServerEvents } from './events.js';

/**
 * Per-event helper types derived from ClientToServerEvents, so that code wrapping `emitWithAck`
 * (for example with `socket.timeout(ms)`, whose decorated callbacks lose the answer's type in
 * socket.io-client's typings) stays fully typed without restating any event.
 */

/** A client → server event's name. */
export type ClientEventName = keyof ClientToServerEvents;

/** The arguments of `event` before its acknowledgement callback (`[]` for `get_my_chats`). */
export type EventPayload<E extends ClientEventName> =
  Parameters<ClientToServerEvents[E]> extends [...infer Payload, unknown] ? Payload : never;

/** What the server answers to `event` through the acknowledgement: the envelope, success or error. */
export type EventAnswer<E extends ClientEventName> =
  Parameters<ClientToServerEvents[E]> extends [...unknown[], (answer: infer A) => void] ? A : never;

/** The success branch of `event`'s answer. */
export type EventSuccess<E extends ClientEventName> = Extract<EventAnswer<E>, { success: true }>;
