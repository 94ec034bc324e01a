import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError, TEXTS } from '../errors.js';

/**
 * preHandler of the operators' routes (`/admin/...`): `Authorization: Bearer <ADMIN_TOKEN>`.
 * Without an ADMIN_TOKEN configured the routes do not exist: 404 as for an unknown route. A missing
 * or wrong token is 401; the token is compared in constant time (as SHA-256 digests, so that its
 * length does not show either).
 */
export function adminGuard(adminToken: string | undefined) {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return async (request: FastifyRequest): Promise<void> => {
    if (expected === undefined) {
      throw new AppError('NOT_FOUND', `${TEXTS.unknownRoute}: ${request.method} ${request.url.split('?')[0]}`);
    }
    const match = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) throw new AppError('UNAUTHORIZED');
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
