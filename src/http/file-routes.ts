import fastifyMultipart from '@fastify/multipart';
import { create as contentDisposition } from 'content-disposition';
import type { FastifyInstance, FastifyReply, preHandlerAsyncHookHandler } from 'fastify';
import parseRange from 'range-parser';
import type { FileSettings } from '../config.js';
import { AppError } from '../errors.js';
import { FileRefused, UPLOAD_TEXTS, type FileService } from '../files/file-service.js';
import { IMAGE_TYPES, TEXT_TYPE } from '../files/file-types.js';
import type { RateLimits } from '../limits/rate-limits.js';
import type { Attachment } from '../protocol/types.js';
import { fileIdParamsSchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';
import type { Admission } from './user-admission.js';

/**
 * Uploads (`POST /files`, multipart/form-data, one file in the field `file`) and downloads
 * (`GET /files/:id` with Range, `GET /files/:id/thumbnail`). A download is never rendered by the
 * browser as a page of this origin: nosniff, a sandboxing CSP of its own, and `attachment` for
 * everything but images.
 */
export async function registerFileRoutes(
  app: FastifyInstance,
  files: FileService,
  settings: FileSettings,
  guard: preHandlerAsyncHookHandler,
  admit: Admission,
  limits: RateLimits,
): Promise<void> {
  // A scope of its own: @fastify/multipart's body parser serves POST /files only, and every other
  // route keeps refusing multipart bodies (415), as before uploads existed.
  await app.register(async (uploads) => {
    await uploads.register(fastifyMultipart, {
      limits: { fileSize: settings.maxBytes, files: 1, fields: 10, fieldSize: 1024, parts: 12, headerPairs: 50 },
      throwFileSizeLimit: true,
    });

    uploads.post('/files', { preHandler: [guard, admit.upload] }, async (request, reply) => {
      if (!request.isMultipart()) throw new FileRefused(415, UPLOAD_TEXTS.notMultipart);
      const userId = request.user.id;
      let received = 0;
      let file: Attachment | undefined;
      try {
        for await (const part of fromClient(request.parts(), settings.maxBytes)) {
          if (part.type !== 'file') continue;
          if (part.fieldname !== 'file' || file) throw new FileRefused(400, UPLOAD_TEXTS.oneFile);
          file = await files.upload(
            userId,
            // Browsers send `"` and line breaks in a name as %22, %0A and %0D (HTML's form encoding).
            part.filename?.replace(/%22/g, '"').replace(/%0[AD]/gi, ''),
            (async function* () {
              for await (const piece of fromClient(part.file as AsyncIterable<Buffer>, settings.maxBytes)) {
                received += piece.length;
                yield piece;
              }
            })(),
          );
        }
        if (!file) throw new FileRefused(400, UPLOAD_TEXTS.noFile);
      } catch (error) {
        if (file) await files.discard(file.id);
        throw error;
      } finally {
        limits.uploaded(userId, received);
      }
      return reply.status(201).send({ success: true, file });
    });
  });

  app.get('/files/:id', { preHandler: [guard, admit.request] }, async (request, reply) => {
    const { id } = parseInput(fileIdParamsSchema, request.params);
    const file = await files.readable(request.user.id, id);
    const range = wantedRange(file.size, request.headers.range);
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${file.size}`);
      throw new FileRefused(416, UPLOAD_TEXTS.unsatisfiableRange, 'range');
    }
    protect(reply);
    reply.header('accept-ranges', 'bytes');
    reply.header('content-type', file.type === TEXT_TYPE ? 'text/plain; charset=utf-8' : file.type);
    reply.header(
      'content-disposition',
      contentDisposition(file.name, { type: IMAGE_TYPES.has(file.type) ? 'inline' : 'attachment' }),
    );
    const [start, end] = range ?? [0, file.size - 1];
    reply.header('content-length', end - start + 1);
    if (range) reply.status(206).header('content-range', `bytes ${start}-${end}/${file.size}`);
    return reply.send(files.content(file, start, end));
  });

  app.get('/files/:id/thumbnail', { preHandler: [guard, admit.request] }, async (request, reply) => {
    const { id } = parseInput(fileIdParamsSchema, request.params);
    const thumbnail = await files.thumbnail(await files.readable(request.user.id, id));
    protect(reply);
    reply.header('content-type', 'image/webp');
    reply.header('content-disposition', 'inline');
    return reply.send(thumbnail);
  });
}

/** The headers that keep a download from running as a page of this origin. */
function protect(reply: FastifyReply): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('content-security-policy', "default-src 'none'; sandbox");
  reply.header('cache-control', 'private, no-cache');
}

/**
 * The one byte range (first, last, inclusive) a Range header asks for, or undefined to send the
 * whole file: no header, a malformed one, another unit, or several ranges (which RFC 9110 lets a
 * server ignore); 'unsatisfiable' for a range wholly past the end (416).
 */
function wantedRange(size: number, header: string | undefined): [number, number] | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return [ranges[0]!.start, ranges[0]!.end];
}

/**
 * What the client sends, read through @fastify/multipart: every failure of reading it — its
 * refusals (too large, too many parts, not multipart) and busboy's (no boundary, a body cut
 * short, a malformed part) — is the client's, answered as VALIDATION_ERROR with its status, never
 * as a server fault. Failures of what is done with the pieces (the database) are not caught here.
 */
async function* fromClient<T>(source: AsyncIterable<T>, maxBytes: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<T>;
    try {
      next = await iterator.next();
    } catch (error) {
      throw clientRefusal(error, maxBytes);
    }
    if (next.done) return;
    yield next.value;
  }
}

function clientRefusal(error: unknown, maxBytes: number): unknown {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new FileRefused(413, UPLOAD_TEXTS.tooLarge(maxBytes));
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_NO_FORM_DATA')
    return new FileRefused(415, UPLOAD_TEXTS.notMultipart);
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
    return new FileRefused(400, UPLOAD_TEXTS.oneFile);
  return new FileRefused(400, UPLOAD_TEXTS.malformed);
}
