import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { unknownRoute } from './error-handler.js';

/**
 * preHandler of the operators' `/admin/...` routes: `Authorization: Bearer <ADMIN_TOKEN>`.
 * Without ADMIN_TOKEN the routes answer 404 as an unknown route does, so that a deployment that
 * does not use them does not reveal them; a missing or wrong token answers 401. The token is
 * compared in constant time, through digests of equal length (timingSafeEqual needs equal
 * lengths, and comparing lengths first would reveal the token's).
 */
export function adminGuard(adminToken: string | undefined) {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return async (request: FastifyRequest): Promise<void> => {
    if (expected === undefined) throw unknownRoute(request);
    const [scheme, presented, ...rest] = (request.headers.authorization ?? '').trim().split(/\s+/);
    const valid =
      scheme?.toLowerCase() === 'bearer' &&
      presented !== undefined &&
      rest.length === 0 &&
      timingSafeEqual(digest(presented), expected);
    if (!valid) throw new AppError('UNAUTHORIZED');
  };
}

const digest = (token: string) => createHash('sha256').update(token).digest();
