import { requestOn, type ParleySocket } from '../../sdk/index.js';
import type { ClientEventName, EventPayload, EventSuccess } from '../../src/protocol/index.js';

export type { ParleySocket };

/** How long an event may wait for its answer before the page reports it as failed. */
export const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Emits `event` on the page's connection (the SDK client's socket) and resolves with the success
 * part of its answer; rejects with a ParleyError carrying the answer's `code`, or on timeout. For
 * the panels that are given the socket; the chat list and conversation use `client.request`.
 */
export function request<E extends ClientEventName>(
  socket: ParleySocket,
  event: E,
  ...payload: EventPayload<E>
): Promise<EventSuccess<E>> {
  return requestOn(socket, ANSWER_TIMEOUT_MS, event, ...payload);
}
