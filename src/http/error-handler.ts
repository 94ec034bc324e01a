import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, ERRORS, TEXTS, toAppError, toErrorEnvelope } from '../errors.js';

/**
 * Every HTTP failure leaves in the contract's envelope `{ success: false, error, code }`.
 * Client mistakes are logged at info, server faults at error.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = fromFastify(error) ?? toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: appError.code, message: appError.message }, 'request refused');
    const status = appError.code === 'VALIDATION_ERROR' && error.statusCode ? error.statusCode : appError.status;
    return reply.status(status).send(toErrorEnvelope(appError));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(toErrorEnvelope(new AppError('NOT_FOUND', `${TEXTS.unknownRoute}: ${request.method} ${request.url.split('?')[0]}`))),
  );
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
  };
  return new AppError('VALIDATION_ERROR', texts[error.code] ?? ERRORS.VALIDATION_ERROR.text);
}
