import type { Socket } from 'socket.io-client';

/** Emits `event` and resolves with its answer; rejects after `ms`. */
export function ask<T = any>(socket: Socket, ms: number, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(ms).emitWithAck(event, ...args) as Promise<T>;
}

/**
 * Like ask, but `handle` runs inside the acknowledgement callback itself: before any packet that
 * arrived after the answer is processed (an awaited answer's continuation would run only after the
 * rest of the same network chunk — live events that follow a join_chat answer, say).
 */
export function askThen<T>(socket: Socket, ms: number, event: string, payload: unknown, handle: (answer: T) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.timeout(ms).emit(event, payload, (error: Error | null, answer: T) => {
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
