import type { FastifyReply, FastifyRequest } from 'fastify';
import { ANSWER_BYTES_COUNTED_FROM, type RateLimits } from '../limits/rate-limits.js';
import { tooManyWaiting, type Turn, type UserConcurrency } from '../limits/user-concurrency.js';

type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** preHandlers of the authenticated routes, each after the bearer guard, by what the route costs. */
export interface Admission {
  /** Any request: the user's events budget, shared with their sockets' events. */
  request: PreHandler;
  /** A chat list, a history page or a sync: also the user's read budget. */
  read: PreHandler;
  /** GET /users?search=: the read budget and the user's search budget (each answer names users with their emails). */
  userSearch: PreHandler;
  /** A new chat or new members: also the user's chat-change budget. */
  chatChange: PreHandler;
  /** A reaction or pin: also the user's message-changes budget (with their sends and edits). */
  messageChange: PreHandler;
  /** POST /files: also the user's upload budget (uploads per minute, bytes per hour). */
  upload: PreHandler;
}

/**
 * The HTTP side of a user's fair share: the same rate limits as their sockets' events (refused
 * with 429 and Retry-After), then the user's turn on this node (user-concurrency.ts), shared with
 * their sockets. A turn lasts until the response is done — sent, or its connection gone — so
 * responses a client does not read hold its user's turns rather than piling up.
 */
export function userAdmission(limits: RateLimits, concurrency: UserConcurrency): Admission {
  const admit =
    (
      budget?: (userId: string) => Promise<void>,
      afterWaiting?: (userId: string) => Promise<void>,
      kind: 'read' | 'other' = 'other',
    ): PreHandler =>
    async (request, reply) => {
      const userId = request.user.id;
      let gone = false;
      let turn: Turn | undefined;
      // Listened for before any wait: a response that closes meanwhile must still end the turn.
      reply.raw.once('close', () => {
        gone = true;
        turn?.end();
      });
      await limits.event(userId);
      await budget?.(userId);
      // A client that left while its request was counted gets no turn (nobody would end it).
      if (gone) throw tooManyWaiting();
      turn = concurrency.enter(userId, kind);
      if (turn.started) {
        await turn.started;
        await afterWaiting?.(userId);
      }
    };
  /** A read: its answer is charged by weight once sent (the read budget's bytes). */
  const read = (budget: (userId: string) => Promise<void>): PreHandler => {
    const admitRead = admit(budget, (userId) => limits.answerBytesLeft(userId), 'read');
    return async (request, reply) => {
      await admitRead(request, reply);
      reply.raw.once('finish', () => {
        const bytes = Number(reply.getHeader('content-length') ?? 0);
        if (bytes >= ANSWER_BYTES_COUNTED_FROM) limits.answered(request.user.id, bytes);
      });
    };
  };
  return {
    request: admit(),
    read: read((userId) => limits.read(userId)),
    userSearch: read(async (userId) => {
      await limits.read(userId);
      await limits.userSearch(userId);
    }),
    chatChange: admit((userId) => limits.chatChange(userId)),
    messageChange: admit((userId) => limits.message(userId)),
    upload: admit((userId) => limits.upload(userId)),
  };
}
