import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import type { PublicUser } from '../protocol/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by the bearer guard on protected routes. */
    user: PublicUser;
    /** When the caller's token was issued, in ms since the epoch (undefined: it does not say). */
    tokenIssuedAt: number | undefined;
  }
}

/** preHandler of protected routes: `Authorization: Bearer <jwt>` → `request.user`, or 401. */
export function bearerGuard(auth: AuthService) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const { user, issuedAt } = await auth.authenticate(request.headers.authorization);
    request.user = user;
    request.tokenIssuedAt = issuedAt;
    // Both loggers: Fastify writes "request completed" through the reply's.
    request.log = request.log.child({ userId: user.id });
    reply.log = request.log;
  };
}
