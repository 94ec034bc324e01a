import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import type { RateLimits } from '../limits/rate-limits.js';
import { loginSchema, registerSchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';

/**
 * Registration and login. Both count against the caller's address (credential stuffing, and
 * scrypt's cost); a login also against its account (AuthService.login), which is refused for a
 * while after too many failures from anywhere.
 */
export function registerAuthRoutes(app: FastifyInstance, auth: AuthService, limits: RateLimits): void {
  app.post('/auth/register', async (request, reply) => {
    await limits.authAttempt(request.ip);
    const session = await auth.register(parseInput(registerSchema, request.body));
    return reply.status(201).send({ success: true, ...session });
  });

  app.post('/auth/login', async (request) => {
    await limits.authAttempt(request.ip);
    return { success: true, ...(await auth.login(parseInput(loginSchema, request.body))) };
  });
}
