import type { Attachment } from '../protocol/types.js';
import type { Database, SqlExecutor } from './database.js';
import { isStoreId } from './sql.js';

/** Size of the stored chunks of a file's bytes (the last one may be shorter). */
export const FILE_CHUNK_BYTES = 256 * 1024;

/** A stored file as a reader sees it: what the download needs besides the bytes. */
export interface StoredFile extends Attachment {
  /** Whether it has a thumbnail (images only). */
  hasThumbnail: boolean;
}

/** What an upload learned of its file once the bytes are all stored. */
export interface CompletedFile {
  type: string;
  size: number;
  width?: number | undefined;
  height?: number | undefined;
  thumbnail?: Buffer | undefined;
}

/**
 * Uploaded files and their bytes (migration 16), in the database so that every node serves every
 * file. An upload writes its chunks one statement at a time as they arrive (no transaction held
 * open across the network: on PGlite that would stop every other query), and the file is
 * readable and attachable only once marked complete. A file is attached to at most one message,
 * by the send that stores the message (MessageStore.insertMessages, attachFiles).
 */
export class FileStore {
  constructor(private readonly db: Database) {}

  /** Starts an upload: the file's row, not yet complete. */
  async createFile(id: string, ownerId: string, name: string): Promise<void> {
    await this.db.query('INSERT INTO files (id, owner_id, name) VALUES ($1, $2, $3)', [id, ownerId, name]);
  }

  async addChunk(fileId: string, n: number, data: Buffer): Promise<void> {
    await this.db.query('INSERT INTO file_chunks (file_id, n, data) VALUES ($1, $2, $3)', [fileId, n, data]);
  }

  async completeFile(fileId: string, file: CompletedFile): Promise<void> {
    await this.db.query(
      `UPDATE files SET complete = true, type = $2, size = $3, width = $4, height = $5, thumbnail = $6 WHERE id = $1`,
      [fileId, file.type, file.size, file.width ?? null, file.height ?? null, file.thumbnail ?? null],
    );
  }

  /** Removes a file and its chunks (a failed upload). */
  async deleteFile(fileId: string): Promise<void> {
    await this.db.query('DELETE FROM files WHERE id = $1', [fileId]);
  }

  /** The user's files not attached to any message (uploads in progress included). */
  async countUnattached(ownerId: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM files WHERE owner_id = $1 AND message_id IS NULL',
      [ownerId],
    );
    return row?.n ?? 0;
  }

  /**
   * The file `fileId` if `userId` may read it: a complete file that is unattached and theirs, or
   * attached to a live message that they sent or of a chat they are a member of. Undefined for
   * everything else alike (unknown, someone else's, a deleted message's), so that ids cannot be
   * probed.
   */
  async findReadable(fileId: string, userId: string): Promise<StoredFile | undefined> {
    if (!isStoreId(fileId) || !isStoreId(userId)) return undefined;
    const [row] = await this.db.query<FileRow & { has_thumbnail: boolean }>(
      `SELECT f.id, f.name, f.type, f.size::text AS size, f.width, f.height, f.thumbnail IS NOT NULL AS has_thumbnail
         FROM files f LEFT JOIN messages m ON m.id = f.message_id
        WHERE f.id = $1 AND f.complete
          AND (f.message_id IS NULL OR (m.id IS NOT NULL AND m.deleted_at IS NULL))
          AND (f.owner_id = $2
               OR (m.id IS NOT NULL
                   AND EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = m.chat_id AND cm.user_id = $2)))`,
      [fileId, userId],
    );
    return row && { ...toAttachment(row), hasThumbnail: row.has_thumbnail };
  }

  /** Bytes `start`..`end` (inclusive) of chunk `n` of a file, or undefined when there is no such chunk. */
  async readChunk(fileId: string, n: number, start: number, end: number): Promise<Buffer | undefined> {
    const [row] = await this.db.query<{ data: Uint8Array }>(
      'SELECT substring(data FROM $3 FOR $4) AS data FROM file_chunks WHERE file_id = $1 AND n = $2',
      [fileId, n, start + 1, end - start + 1],
    );
    return row && toBuffer(row.data);
  }

  async readThumbnail(fileId: string): Promise<Buffer | undefined> {
    const [row] = await this.db.query<{ thumbnail: Uint8Array | null }>('SELECT thumbnail FROM files WHERE id = $1', [
      fileId,
    ]);
    return row?.thumbnail ? toBuffer(row.thumbnail) : undefined;
  }

  /**
   * Deletes, in one bounded batch, the uploads never attached (or never finished) created more
   * than `orphanSeconds` ago; returns how many went. Safe on several nodes at once: a batch skips
   * the rows another node is deleting.
   */
  async sweepOrphans(orphanSeconds: number, batch = 500): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `DELETE FROM files WHERE id IN (
         SELECT id FROM files WHERE message_id IS NULL AND created_at < now() - make_interval(secs => $1)
          LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [orphanSeconds, batch],
    );
    return rows.length;
  }

  /** Deletes the files of a message (once it is deleted: a tombstone shows nothing of what it was). */
  async deleteOfMessage(messageId: string): Promise<void> {
    if (!isStoreId(messageId)) return;
    await this.db.query('DELETE FROM files WHERE message_id = $1', [messageId]);
  }
}

interface FileRow {
  id: string;
  name: string;
  type: string;
  size: string;
  width: number | null;
  height: number | null;
}

function toAttachment(row: FileRow): Attachment {
  const attachment: Attachment = { id: row.id, name: row.name, type: row.type, size: Number(row.size) };
  if (row.width !== null && row.height !== null) {
    attachment.width = row.width;
    attachment.height = row.height;
  }
  return attachment;
}

/** PGlite hands bytea over as a Uint8Array, node-postgres as a Buffer. */
function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Attaches the files of messages just inserted in the transaction `tx` (MessageStore.writeBatch):
 * `fileIds[i]` to `messageIds[i]` of `chatIds[i]` at `positions[i]`, each only if it is a complete,
 * unattached file of `ownerIds[i]` (checked and locked beforehand by lockAttachable).
 */
export async function attachFiles(
  tx: SqlExecutor,
  links: { fileIds: string[]; messageIds: string[]; chatIds: string[]; positions: number[] },
): Promise<void> {
  await tx.query(
    `UPDATE files f SET message_id = l.message_id, chat_id = l.chat_id, position = l.position
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::smallint[]) AS l(file_id, message_id, chat_id, position)
      WHERE f.id = l.file_id`,
    [links.fileIds, links.messageIds, links.chatIds, links.positions],
  );
}

/**
 * Of `fileIds` (pairs with `ownerIds`), the ones that are complete, unattached files of their
 * owner, by id, locked until the transaction ends: a concurrent send attaching one of them waits,
 * and then finds it attached.
 */
export async function lockAttachable(
  tx: SqlExecutor,
  fileIds: string[],
  ownerIds: string[],
): Promise<Map<string, Attachment>> {
  const rows = await tx.query<FileRow>(
    `SELECT f.id, f.name, f.type, f.size::text AS size, f.width, f.height
       FROM files f JOIN unnest($1::uuid[], $2::uuid[]) AS w(file_id, owner_id)
         ON f.id = w.file_id AND f.owner_id = w.owner_id
      WHERE f.complete AND f.message_id IS NULL
      ORDER BY f.id FOR UPDATE OF f`,
    [fileIds, ownerIds],
  );
  return new Map(rows.map((row) => [row.id, toAttachment(row)]));
}
