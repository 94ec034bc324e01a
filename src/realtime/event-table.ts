import type { z } from 'zod';
import type { ClientToServerEvents } from '../protocol/events.js';
import type { PublicUser } from '../protocol/types.js';
import type { ParleySocket } from './socket-types.js';

/** What a handler learns of the event's origin (the socket and its authenticated user), and a hook. */
export interface EventContext {
  socket: ParleySocket;
  user: PublicUser;
  /** Runs `work` right after the event's answer is written to the socket (or would have been, without a callback). */
  afterAnswer: (work: () => void) => void;
}

/** The payload a handler receives: its schema's output. */
export type EventPayload<S extends z.ZodType> = z.output<S>;

export interface EventDefinition {
  /** Validates the payload (the first argument; undefined when the event came with none). */
  schema: z.ZodType;
  /** Carries the event out; what it resolves to is answered with `success: true`. */
  run(context: EventContext, payload: unknown): Promise<object>;
}

/**
 * The events a client may send, by name, defined once per server and shared by every socket: a
 * socket carries one packet middleware (event-gate.ts) instead of a closure per event, which at
 * thousands of idle sockets is most of what Parley adds to Socket.IO's own memory per connection.
 */
export class EventTable {
  private readonly definitions = new Map<string, EventDefinition>();

  define<S extends z.ZodType>(
    event: keyof ClientToServerEvents,
    schema: S,
    run: (context: EventContext, payload: EventPayload<S>) => Promise<object>,
  ): this {
    this.definitions.set(event, { schema, run });
    return this;
  }

  get(event: string): EventDefinition | undefined {
    return this.definitions.get(event);
  }
}
