import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { unknownRoute } from './error-handler.js';
import type { FastifyInstance } from 'fastify';

/**
 * Where `vite build` puts the browser client (web/vite.config.ts). The same relative path works from
 * src/http (tests, tsx) and from dist/http (`npm start`).
 */
export const WEB_CLIENT_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/**
 * Serves the bundled web client at `/`: index.html and its hashed assets, and index.html again at
 * `/chats/:id` to a browser's navigation (the page's deep link to a chat: a reload or a pasted link
 * opens it; the API has no GET there, and an API client asking for JSON gets its 404). Only the files that exist at start-up get routes (`wildcard: false`), so every other
 * path still reaches the API routes or the envelope's 404, and /socket.io is untouched (engine.io
 * answers it before Fastify).
 */
export function serveWebClient(app: FastifyInstance, dir = WEB_CLIENT_DIR): void {
  if (!existsSync(`${dir}/index.html`)) {
    app.log.warn(`web client not built (${dir}): run \`npm run build\` to serve it at /`);
    return;
  }
  void app.register(fastifyStatic, {
    root: dir,
    wildcard: false,
    // Asset names carry a content hash: cache them for good, but always revalidate index.html so that
    // a new build is picked up on the next load.
    cacheControl: false,
    setHeaders(response, filePath) {
      response.header(
        'cache-control',
        filePath.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  app.get('/chats/:id', (request, reply) => {
    // A browser navigating there asks for HTML; an API client gets the envelope's 404 as on any path the API lacks.
    if (!request.headers.accept?.includes('text/html')) throw unknownRoute(request);
    return reply.sendFile('index.html');
  });
}
