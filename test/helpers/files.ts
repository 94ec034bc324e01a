import sharp from 'sharp';
import type { Attachment } from '../../src/protocol/types.js';
import type { TestUser } from './server.js';

/** Sample files whose type the server sniffs from their bytes. */
export const SAMPLES = {
  async png(width = 640, height = 480): Promise<Buffer> {
    return sharp({ create: { width, height, channels: 3, background: '#3080c0' } })
      .png()
      .toBuffer();
  },
  async jpeg(width = 400, height = 300): Promise<Buffer> {
    return sharp({ create: { width, height, channels: 3, background: '#c08030' } })
      .jpeg()
      .toBuffer();
  },
  pdf(): Buffer {
    return Buffer.from(
      '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
    );
  },
  text(content = 'Привет, мир!\nHello, world.\n'): Buffer {
    return Buffer.from(content, 'utf8');
  },
};

export interface UploadResponse {
  status: number;
  body: any;
}

/**
 * POST /files with `parts` as multipart/form-data (each a file unless `value` is a string), as
 * `user` (no Authorization header without one).
 */
export async function uploadParts(
  server: { url: string },
  user: TestUser | undefined,
  parts: { field?: string; name?: string; type?: string; data: Buffer | string }[],
): Promise<UploadResponse> {
  const form = new FormData();
  for (const part of parts) {
    if (typeof part.data === 'string') form.append(part.field ?? 'file', part.data);
    else
      form.append(
        part.field ?? 'file',
        new Blob([new Uint8Array(part.data)], { type: part.type ?? 'application/octet-stream' }),
        part.name ?? 'file.bin',
      );
  }
  const response = await fetch(`${server.url}/files`, {
    method: 'POST',
    headers: user ? { authorization: `Bearer ${user.token}` } : {},
    body: form,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body };
}

/** Uploads one file that must be accepted; returns it. */
export async function uploadOk(
  server: { url: string },
  user: TestUser,
  data: Buffer,
  name = 'file.bin',
  type?: string,
): Promise<Attachment> {
  const { status, body } = await uploadParts(server, user, [{ data, name, ...(type ? { type } : {}) }]);
  if (status !== 201) throw new Error(`upload failed: ${status} ${JSON.stringify(body)}`);
  return body.file;
}

/** GET `path` as `user` (with extra headers); the body as bytes. */
export async function download(
  server: { url: string },
  user: TestUser | undefined,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(`${server.url}${path}`, {
    headers: { ...headers, ...(user ? { authorization: `Bearer ${user.token}` } : {}) },
  });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}
