import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import { loginSchema, registerSchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';

export function registerAuthRoutes(app: FastifyInstance, auth: AuthService): void {
  app.post('/auth/register', async (request, reply) => {
    const session = await auth.register(parseInput(registerSchema, request.body));
    return reply.status(201).send({ success: true, ...session });
  });

  app.post('/auth/login', async (request) => {
    const session = await auth.login(parseInput(loginSchema, request.body));
    return { success: true, ...session };
  });
}
