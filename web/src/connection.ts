import { io, type Socket } from 'socket.io-client';
import type {
  Answer,
  ClientEventName,
  ClientToServerEvents,
  EventPayload,
  EventSuccess,
  ServerToClientEvents,
} from '../../src/protocol/index.js';

/** The Socket.IO client typed with the server's own event maps (src/protocol). */
export type ParleySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How long an event may wait for its answer before the page reports it as failed. */
export const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Connects to the page's own origin. Socket.IO's reconnection is on (its default): after a network
 * drop or a server restart the socket comes back by itself and emits `connect` again, which is where
 * the app rejoins its chats and fills the gap.
 */
export function connectSocket(token: string): ParleySocket {
  return io({
    auth: { token },
    transports: ['websocket'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 3_000,
  });
}

/**
 * Emits `event` and resolves with the success part of its answer; rejects with the answer's Russian
 * error text, or when no answer comes within ANSWER_TIMEOUT_MS.
 */
export async function request<E extends ClientEventName>(
  socket: ParleySocket,
  event: E,
  ...payload: EventPayload<E>
): Promise<EventSuccess<E>> {
  // socket.timeout() decorates the ack types in a way that loses the answer's type; EventSuccess restores it.
  const timed = socket.timeout(ANSWER_TIMEOUT_MS);
  const emit = timed.emitWithAck.bind(timed) as (event: E, ...args: EventPayload<E>) => Promise<Answer<object>>;
  return ok(await emit(event, ...payload)) as EventSuccess<E>;
}

/** An answer's success part, or throws its Russian error text. */
export function ok<T extends object>(answer: Answer<T>): { success: true } & T {
  if (!answer.success) throw new Error(answer.error);
  return answer;
}

/** The ack callback for events whose answer the page does not need (typing). */
export const ignoreAnswer = (): void => {};
