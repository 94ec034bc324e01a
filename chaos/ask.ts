import type { Socket } from 'socket.io-client';
import type { ClientEventName, EventAnswer, EventPayload } from '../src/protocol/event-types.js';

/** Emits `event` and resolves with its answer, typed from the protocol's event map; rejects after `ms`. */
export function ask<E extends ClientEventName>(
  socket: Socket,
  ms: number,
  event: E,
  ...payload: EventPayload<E>
): Promise<EventAnswer<E>> {
  return socket.timeout(ms).emitWithAck(event, ...payload) as Promise<EventAnswer<E>>;
}

/**
 * Like ask, but `handle` runs inside the acknowledgement callback itself: before any packet that
 * arrived after the answer is processed (an awaited answer's continuation would run only after the
 * rest of the same network chunk — live events that follow a join_chat answer, say).
 */
export function askThen<E extends ClientEventName>(
  socket: Socket,
  ms: number,
  event: E,
  payload: EventPayload<E>[0],
  handle: (answer: EventAnswer<E>) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.timeout(ms).emit(event, payload, (error: Error | null, answer: EventAnswer<E>) => {
      if (error) return reject(error);
      try {
        handle(answer);
        resolve();
      } catch (failure) {
        reject(failure);
      }
    });
  });
}
