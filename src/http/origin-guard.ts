import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { AppError, toErrorEnvelope } from '../errors.js';
import { ORIGIN_REFUSED_TEXT, originAllowed } from '../limits/origins.js';

/**
 * With CORS_ORIGINS set, a request whose `Origin` is not on the list is refused with 403 before
 * any route runs, and pages on the listed origins get CORS headers (preflight included) so that
 * they can call the API. Without it nothing changes: no CORS headers, nothing refused.
 */
export function allowOrigins(app: FastifyInstance, origins: string[] | undefined): void {
  if (origins === undefined) return;
  // Added before the CORS plugin's own hook, so that a refused origin never reaches it.
  app.addHook('onRequest', async (request, reply) => {
    if (originAllowed(origins, request.headers.origin)) return;
    request.log.info({ origin: request.headers.origin }, 'origin refused');
    return reply.status(403).send(toErrorEnvelope(new AppError('FORBIDDEN', ORIGIN_REFUSED_TEXT)));
  });
  void app.register(cors, { origin: origins, exposedHeaders: ['Retry-After'] });
}
