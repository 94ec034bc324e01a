import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The headers every response carries, set by helmet (https://helmetjs.github.io) with its defaults
 * except where said. The policy allows exactly what the bundled web client (web/, built by Vite into
 * one script and one stylesheet) and /docs need: this origin's scripts, styles, images and
 * connections — the Socket.IO WebSocket and long polling to the same host included, which CSP's
 * `'self'` covers — and nothing inline or from elsewhere.
 */
export const SECURITY_HEADERS = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      'default-src': ["'self'"],
      'base-uri': ["'none'"],
      'connect-src': ["'self'"],
      'font-src': ["'self'"],
      'form-action': ["'self'"],
      // Clickjacking: no page may frame Parley (X-Frame-Options: DENY says it to older browsers).
      'frame-ancestors': ["'none'"],
      // blob: the web client shows attachments it fetched with the bearer header as object URLs.
      'img-src': ["'self'", 'data:', 'blob:'],
      'object-src': ["'none'"],
      'script-src': ["'self'"],
      'script-src-attr': ["'none'"],
      'style-src': ["'self'"],
      // helmet's default also has `upgrade-insecure-requests`, left out: Parley is served over
      // plain HTTP too (`npm start`, a LAN address), where it would send the page's own requests to
      // an https:// that does not answer.
    },
  },
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
} satisfies HelmetOptions;

/** Sets the headers on a raw response: for answers sent before Fastify's hooks run, and for Engine.IO's. */
export const setSecurityHeaders = helmet(SECURITY_HEADERS);

/** Engine.IO's server (`io.engine`): Connect-style middlewares run on each of its HTTP requests. */
interface EngineMiddlewares {
  use(middleware: typeof setSecurityHeaders): void;
}

/**
 * Security headers (CSP, X-Content-Type-Options, Referrer-Policy, X-Frame-Options, HSTS, …) on
 * every response: Fastify's — API, web client, /docs and the envelope's 404 — through
 * @fastify/helmet, and Engine.IO's long-polling and handshake answers under /socket.io, which never
 * reach Fastify, through helmet itself as an Engine.IO middleware. Call before any other hook, so
 * that responses sent from a hook (a refused origin) carry them too; the router's own refusals
 * (frameworkErrors), which run no hook, call setSecurityHeaders.
 */
export async function sendSecurityHeaders(app: FastifyInstance, engine: EngineMiddlewares): Promise<void> {
  await app.register(fastifyHelmet, SECURITY_HEADERS);
  engine.use(setSecurityHeaders);
}
