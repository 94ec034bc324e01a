import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERRORS, TEXTS, toAppError, toErrorEnvelope } from '../errors.js';
import { RateLimitedError, toWireError } from '../limits/rate-limited-error.js';
import { setSecurityHeaders } from './security-headers.js';

/**
 * Every HTTP failure leaves in the contract's envelope `{ success: false, error, code }`.
 * Client mistakes are logged at info, server faults at error.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) => reply.status(404).send(toErrorEnvelope(unknownRoute(request))));
}

/** What a request to a route that does not exist is answered (404). */
export function unknownRoute(request: FastifyRequest): AppError {
  return new AppError('NOT_FOUND', `${TEXTS.unknownRoute}: ${request.method} ${request.url.split('?')[0]}`);
}

/**
 * Fastify option `frameworkErrors`: the router refuses a malformed URL (bad percent-encoding) or an
 * over-long path parameter before any route or error handler runs, and without this answers with
 * its own `{error, message, statusCode}` body instead of the envelope. No hook runs for these, so the
 * security headers are set here.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  setSecurityHeaders(request.raw, reply.raw, () => undefined);
  void sendError(error, request, reply);
}

/**
 * Fastify option `clientErrorHandler`: Node's HTTP parser refuses some requests before Fastify
 * sees them (headers or request line over 16 KiB, malformed HTTP, a client too slow to send its
 * headers); the default answer is not the envelope. Byte-for-byte what Fastify's default writes,
 * with the envelope as body.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, text] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'Превышено время ожидания запроса']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'Заголовки или адрес запроса слишком большие']
        : [400, 'Bad Request', 'Некорректный HTTP-запрос'];
  const body = JSON.stringify(toErrorEnvelope(new AppError('VALIDATION_ERROR', text)));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appError = fromFastify(error) ?? toAppError(error);
  if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: appError.code, message: appError.message }, 'request refused');
  const status = appError.code === 'VALIDATION_ERROR' && error.statusCode ? error.statusCode : appError.status;
  if (appError instanceof RateLimitedError) reply.header('retry-after', Math.ceil(appError.retryAfterMs / 1000));
  return reply.status(status).send(toWireError(appError));
}

/** Fastify's own 4xx errors (bad JSON, body too large, wrong content type) are validation errors. */
function fromFastify(error: FastifyError): AppError | undefined {
  if (error instanceof AppError) return undefined;
  const status = error.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (status === 429) return new AppError('RATE_LIMITED');
  const texts: Record<string, string> = {
    FST_ERR_CTP_INVALID_JSON_BODY: 'Некорректный JSON в теле запроса',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'Пустое тело запроса',
    FST_ERR_CTP_BODY_TOO_LARGE: 'Тело запроса слишком большое',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Неподдерживаемый тип содержимого: ожидается application/json',
    FST_ERR_BAD_URL: 'Некорректный URL',
    FST_ERR_MAX_PARAM_LENGTH: 'Слишком длинный параметр в пути запроса',
  };
  return new AppError('VALIDATION_ERROR', texts[error.code] ?? ERRORS.VALIDATION_ERROR.text);
}
