import type { ClientToServerEvents } from './events.js';

/**
 * Per-event helper types derived from ClientToServerEvents, so that code wrapping `emitWithAck`
 * (for example with `socket.timeout(ms)`, whose decorated callbacks lose the answer's type in
 * socket.io-client's typings) stays fully typed without restating any event.
 */

/** A client → server event's name. */
export type ClientEventName = keyof ClientToServerEvents;

/**
 * An event's argument lists: one for most events, one per form for an event that has two
 * (`get_my_chats`, with and without a payload).
 */
type EventArguments<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>;

// Both distribute over the forms of an event.
type BeforeAcknowledgement<Args> = Args extends [...infer Payload, unknown] ? Payload : never;
type Acknowledged<Args> = Args extends [...unknown[], (answer: infer A) => void] ? A : never;

/** The arguments of `event` before its acknowledgement callback (`[] | [ChatPageRequest]` for `get_my_chats`). */
export type EventPayload<E extends ClientEventName> = BeforeAcknowledgement<EventArguments<E>>;

/** What the server answers to `event` through the acknowledgement: the envelope, success or error. */
export type EventAnswer<E extends ClientEventName> = Acknowledged<EventArguments<E>>;

/** The success branch of `event`'s answer. */
export type EventSuccess<E extends ClientEventName> = Extract<EventAnswer<E>, { success: true }>;
