import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import { AppError } from '../errors.js';
import type { RateLimits } from '../limits/rate-limits.js';
import { loginSchema, registerSchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';

/**
 * Registration and login. Both count against the caller's address (credential stuffing, and
 * scrypt's cost); a login also against its account, which is refused for a while after too many
 * failures from anywhere — counted before the password is checked, so that neither a locked
 * account nor a burst of concurrent guesses gets a password checked past the limit.
 */
export function registerAuthRoutes(app: FastifyInstance, auth: AuthService, limits: RateLimits): void {
  app.post('/auth/register', async (request, reply) => {
    await limits.authAttempt(request.ip);
    const session = await auth.register(parseInput(registerSchema, request.body));
    return reply.status(201).send({ success: true, ...session });
  });

  app.post('/auth/login', async (request) => {
    await limits.authAttempt(request.ip);
    const body = parseInput(loginSchema, request.body);
    const account = 'email' in body ? `email:${body.email}` : `username:${body.username.toLowerCase()}`;
    await limits.loginAttempt(account);
    try {
      const session = await auth.login(body);
      await limits.loginSucceeded(account);
      return { success: true, ...session };
    } catch (error) {
      // Only a wrong password spends the account's budget; an outage or a refusal does not.
      if (!(error instanceof AppError && error.code === 'UNAUTHORIZED')) await limits.loginNotCounted(account);
      throw error;
    }
  });
}
