import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import type { FileSettings } from '../config.js';
import { AppError, TEXTS } from '../errors.js';
import type { Attachment } from '../protocol/types.js';
import { FILE_CHUNK_BYTES, type StoredFile } from '../store/files.js';
import type { Store } from '../store/store.js';
import { IMAGE_TYPES, sanitiseFileName, sniffType, TEXT_TYPE, TextCheck } from './file-types.js';
import { readImage } from './images.js';

/** Images held in memory at once on a node (each up to FILE_MAX_BYTES), for their dimensions and thumbnail. */
const IMAGE_SLOTS = 2;

/**
 * A file request refused for what it is — an upload too large (413) or of a type not allowed
 * (415), a range not satisfiable (416) — answered with `statusCode` and the envelope's
 * VALIDATION_ERROR (the error handler keeps a VALIDATION_ERROR's own status).
 */
export class FileRefused extends AppError {
  constructor(
    readonly statusCode: number,
    message: string,
    field = 'file',
  ) {
    super('VALIDATION_ERROR', message, field);
  }
}

export const UPLOAD_TEXTS = {
  tooLarge: (max: number) => `Файл слишком большой: максимум ${max} байт`,
  unsatisfiableRange: 'Запрошенный диапазон байтов вне файла',
  notMultipart: 'Ожидается multipart/form-data с одним файлом в поле «file»',
  oneFile: 'Загружайте по одному файлу в поле «file»',
  malformed: 'Некорректное тело multipart/form-data',
  noFile: 'Нет файла в поле «file»',
  badType: 'Недопустимый тип файла: разрешены изображения PNG, JPEG, GIF, WebP, PDF, ZIP и текст в UTF-8',
  badImage: 'Изображение повреждено или слишком велико',
  empty: 'Файл пуст',
  tooManyUnattached: 'Слишком много неотправленных файлов: отправьте их или дождитесь их удаления',
} as const;

/**
 * Files: uploads streamed into the store in chunks as they arrive (the type sniffed from the
 * first chunk, text checked to its end, images read for their dimensions and a thumbnail), the
 * access rule of downloads, and the sweep of uploads never attached. Attaching is part of sending
 * (ChatService.sendMessage). Knows no transport.
 */
export class FileService {
  private readonly imageSlots = pLimit(IMAGE_SLOTS);

  constructor(
    private readonly store: Store,
    private readonly settings: FileSettings,
  ) {}

  /**
   * Stores an upload of `ownerId`: `bytes` as they come off the network (a stream that fails
   * with the multipart limit's error past FILE_MAX_BYTES). Nothing is kept of a refused or broken
   * upload. Resolves with the file and how many bytes were received.
   */
  async upload(ownerId: string, fileName: string | undefined, bytes: AsyncIterable<Buffer>): Promise<Attachment> {
    if ((await this.store.files.countUnattached(ownerId)) >= this.settings.maxUnattached) {
      throw new AppError('RATE_LIMITED', UPLOAD_TEXTS.tooManyUnattached);
    }
    const id = randomUUID();
    const name = sanitiseFileName(fileName);
    await this.store.files.createFile(id, ownerId, name);
    try {
      return { id, name, ...(await this.receive(id, bytes)) };
    } catch (error) {
      await this.store.files.deleteFile(id).catch(() => undefined);
      throw error;
    }
  }

  /** Deletes an upload of this request after all (its request was refused for another part). */
  async discard(fileId: string): Promise<void> {
    await this.store.files.deleteFile(fileId).catch(() => undefined);
  }

  private async receive(id: string, bytes: AsyncIterable<Buffer>): Promise<Omit<Attachment, 'id' | 'name'>> {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let size = 0;
    let chunks = 0;
    let type: string | undefined;
    const text = new TextCheck();
    /** An image's bytes, kept for readImage; the slot is released when the upload ends. */
    let image: Buffer[] | undefined;
    let releaseSlot: (() => void) | undefined;
    const flush = async (data: Buffer) => {
      if (type === undefined) {
        type = await sniffType(data);
        if (type === undefined) throw new FileRefused(415, UPLOAD_TEXTS.badType);
        if (IMAGE_TYPES.has(type)) {
          image = [];
          releaseSlot = await this.imageSlot();
        }
      }
      if (type === TEXT_TYPE) text.push(data);
      image?.push(data);
      await this.store.files.addChunk(id, chunks++, data);
    };
    try {
      for await (const piece of bytes) {
        size += piece.length;
        // The multipart limit ends the stream first; this holds for any other source of bytes.
        if (size > this.settings.maxBytes) throw new FileRefused(413, UPLOAD_TEXTS.tooLarge(this.settings.maxBytes));
        pending.push(piece);
        pendingBytes += piece.length;
        while (pendingBytes >= FILE_CHUNK_BYTES) {
          const all = Buffer.concat(pending);
          await flush(all.subarray(0, FILE_CHUNK_BYTES));
          pending = [all.subarray(FILE_CHUNK_BYTES)];
          pendingBytes = all.length - FILE_CHUNK_BYTES;
        }
      }
      if (pendingBytes > 0) await flush(Buffer.concat(pending));
      if (size === 0) throw new FileRefused(400, UPLOAD_TEXTS.empty);
      if (type === TEXT_TYPE && !text.end()) throw new FileRefused(415, UPLOAD_TEXTS.badType);
      const facts = image ? await readImage(Buffer.concat(image)) : undefined;
      if (image && !facts) throw new FileRefused(415, UPLOAD_TEXTS.badImage);
      await this.store.files.completeFile(id, { type: type!, size, ...facts });
      return facts ? { type: type!, size, width: facts.width, height: facts.height } : { type: type!, size };
    } finally {
      releaseSlot?.();
    }
  }

  /** Waits for one of the node's image slots; resolves with the function that frees it. */
  private imageSlot(): Promise<() => void> {
    return new Promise((acquired) => {
      void this.imageSlots(() => new Promise<void>((release) => acquired(release)));
    });
  }

  /** The file if `userId` may read it; NOT_FOUND alike for every other case (no probing). */
  async readable(userId: string, fileId: string): Promise<StoredFile> {
    const file = await this.store.files.findReadable(fileId, userId);
    if (!file) throw new AppError('NOT_FOUND', TEXTS.unknownFile);
    return file;
  }

  /** Bytes `start`..`end` (inclusive) of a readable file, read chunk by chunk as the stream is consumed. */
  content(file: StoredFile, start: number, end: number): Readable {
    const files = this.store.files;
    return Readable.from(
      (async function* () {
        for (let n = Math.floor(start / FILE_CHUNK_BYTES); n * FILE_CHUNK_BYTES <= end; n++) {
          const from = Math.max(start - n * FILE_CHUNK_BYTES, 0);
          const to = Math.min(end - n * FILE_CHUNK_BYTES, FILE_CHUNK_BYTES - 1);
          const data = await files.readChunk(file.id, n, from, to);
          if (!data) throw new Error(`file ${file.id} lost chunk ${n}`);
          yield data;
        }
      })(),
      { objectMode: false },
    );
  }

  /** The thumbnail of a readable image; NOT_FOUND for a file without one. */
  async thumbnail(file: StoredFile): Promise<Buffer> {
    const thumbnail = file.hasThumbnail ? await this.store.files.readThumbnail(file.id) : undefined;
    if (!thumbnail) throw new AppError('NOT_FOUND', TEXTS.unknownFile);
    return thumbnail;
  }

  /**
   * Sweeps expired uploads every FILE_SWEEP_INTERVAL until the returned function is called. Every
   * node sweeps; the deletes skip each other's rows (FileStore.sweepOrphans).
   */
  startSweeping(onError: (error: unknown) => void): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.sweep()
        .catch(onError)
        .finally(() => (running = false));
    }, this.settings.sweepIntervalSeconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** One sweep: batches until no expired upload is left; returns how many went. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.store.files.sweepOrphans(this.settings.orphanTtlSeconds);
      total += deleted;
      if (deleted === 0) return total;
    }
  }
}
