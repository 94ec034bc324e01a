import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import type { PublicUser } from '../protocol/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by the bearer guard on protected routes. */
    user: PublicUser;
    /** When the caller's token was issued, in ms since the epoch (undefined: it does not say). */
    tokenIssuedAt: number | undefined;
    /** Whether the caller is a moderator (AuthService.authenticate). */
    moderator: boolean;
  }
}

/** preHandler of protected routes: `Authorization: Bearer <jwt or bot key>` → `request.user`, or 401 (403 banned). */
export function bearerGuard(auth: AuthService) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const { user, issuedAt, moderator } = await auth.authenticate(request.headers.authorization);
    request.user = user;
    request.tokenIssuedAt = issuedAt;
    request.moderator = moderator;
    // Both loggers: Fastify writes "request completed" through the reply's.
    request.log = request.log.child({ userId: user.id });
    reply.log = request.log;
  };
}
