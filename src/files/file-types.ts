import { fileTypeFromBuffer } from 'file-type';

/**
 * The media types an upload may have (README "Files and images"), sniffed from its bytes by
 * file-type — never taken from the client's Content-Type or file name. Plain text has no magic
 * number: a file that file-type does not recognise is text when all of it is valid UTF-8 without
 * NUL (checked as it streams in, TextCheck). Everything else, HTML and SVG included (they are
 * text that file-type may not recognise, or recognises as XML), is stored as text/plain at most,
 * and always served with nosniff and a sandboxing CSP.
 */
export const ALLOWED_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'application/zip',
  'text/plain',
]);

/** The types served `inline` and given dimensions and a thumbnail. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export const TEXT_TYPE = 'text/plain';

/**
 * The type of a file from its first bytes (`head`: at least the first FILE_CHUNK_BYTES, or all of
 * a smaller file): one of ALLOWED_TYPES, TEXT_TYPE when file-type finds nothing (to be confirmed
 * by TextCheck over the whole file), or undefined for a type that is not allowed.
 */
export async function sniffType(head: Uint8Array): Promise<string | undefined> {
  const found = await fileTypeFromBuffer(head);
  if (!found) return TEXT_TYPE;
  return ALLOWED_TYPES.has(found.mime) && found.mime !== TEXT_TYPE ? found.mime : undefined;
}

/** Whether a stream of bytes is all valid UTF-8 without NUL, fed piece by piece. */
export class TextCheck {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private valid = true;

  push(bytes: Uint8Array): void {
    if (!this.valid) return;
    if (bytes.includes(0)) {
      this.valid = false;
      return;
    }
    try {
      this.decoder.decode(bytes, { stream: true });
    } catch {
      this.valid = false;
    }
  }

  /** Whether everything pushed was text; call once, after the last piece. */
  end(): boolean {
    if (!this.valid) return false;
    try {
      this.decoder.decode();
      return true;
    } catch {
      return false;
    }
  }
}

/** Longest file name kept, in characters (code points). */
export const MAX_FILE_NAME_LENGTH = 255;

/**
 * A client's file name made safe to store and to send back in Content-Disposition: its last path
 * segment (either slash), without control characters, bidirectional overrides or lone
 * surrogates, trimmed, at most MAX_FILE_NAME_LENGTH characters; 'file' when nothing is left.
 */
export function sanitiseFileName(name: string | undefined): string {
  const base = (name ?? '').toWellFormed().split(/[/\\]/).pop() ?? '';
  const clean = base
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '')
    .trim()
    .replace(/^\.+$/, '');
  const short = [...clean].slice(0, MAX_FILE_NAME_LENGTH).join('').trim();
  return short.length > 0 ? short : 'file';
}
