import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { expectEnvelope } from '../helpers/http-envelope.js';
import { download, SAMPLES, uploadOk, uploadParts } from '../helpers/files.js';
import { api, ask, connect, createChat, registerUser, useServer, type TestServer } from '../helpers/server.js';
import { UNKNOWN_CHAT_ID, waitFor } from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';
import type { TestUser } from '../helpers/server.js';

/** README "Files and images": uploads, the type sniffed from the bytes, downloads with Range. */

const MAX_BYTES = 600 * 1024;
const NOT_FOUND = { success: false, error: 'Файл не найден', code: 'NOT_FOUND' };

/** Sends `fileIds` as attachments of a message in `chatId` from `user`; returns the stored message. */
async function attach(server: TestServer, user: TestUser, chatId: string, fileIds: string[]) {
  const socket = await connect(server, user.token);
  const answer = await ask(socket, 'send_message', { chatId, text: 'see attached', attachments: fileIds });
  socket.close();
  expect(answer).toMatchObject({ success: true });
  return answer.message;
}

describe.each(storeTargets.map((t) => t.name))('files on %s', (target) => {
  const server = useServer({ ...serverEnvFor(target), FILE_MAX_BYTES: String(MAX_BYTES) });

  describe('POST /files', () => {
    it.each([
      ['png', () => SAMPLES.png(640, 480), 'photo.png', 'image/png', { width: 640, height: 480 }],
      ['jpeg', () => SAMPLES.jpeg(400, 300), 'photo.jpg', 'image/jpeg', { width: 400, height: 300 }],
      ['pdf', async () => SAMPLES.pdf(), 'report.pdf', 'application/pdf', {}],
      ['text', async () => SAMPLES.text(), 'notes.txt', 'text/plain', {}],
    ] as const)('stores a %s file and answers it with its sniffed type and size', async (_, make, name, type, dims) => {
      const alice = await registerUser(server, 'alice');
      const data = await make();
      const { status, body } = await uploadParts(server, alice, [{ data, name }]);
      expect(status).toBe(201);
      expect(body).toStrictEqual({
        success: true,
        file: { id: expect.any(String), name, type, size: data.length, ...dims },
      });
    });

    it('sniffs the type from the bytes: HTML named .png and sent as image/png is stored as text/plain', async () => {
      const alice = await registerUser(server, 'alice');
      const html = Buffer.from('<!DOCTYPE html><html><script>alert(document.cookie)</script></html>');
      const file = await uploadOk(server, alice, html, 'cat.png', 'image/png');
      expect(file.type).toBe('text/plain');
      const got = await download(server, alice, `/files/${file.id}`);
      expect(got.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(got.headers.get('content-disposition')).toMatch(/^attachment;/);
    });

    it.each([
      ['binary noise', randomBytes(4096)],
      ['an executable', Buffer.concat([Buffer.from('MZ'), randomBytes(1024)])],
      ['SVG (XML)', Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>')],
      ['text with NUL', Buffer.from('hello\u0000world')],
      ['invalid UTF-8', Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x41])],
    ])('refuses %s with 415 and keeps nothing', async (_, data) => {
      const alice = await registerUser(server, 'alice');
      const { status, body } = await uploadParts(server, alice, [{ data, name: 'x.png', type: 'image/png' }]);
      expect(status).toBe(415);
      expect(body).toMatchObject({ success: false, code: 'VALIDATION_ERROR', field: 'file' });
      expectEnvelope(body);
      expect(await unattachedCount(server, alice)).toBe(0);
    });

    it('refuses a file over FILE_MAX_BYTES with 413 and keeps nothing', async () => {
      const alice = await registerUser(server, 'alice');
      const data = Buffer.alloc(MAX_BYTES + 1, 'a');
      const { status, body } = await uploadParts(server, alice, [{ data, name: 'big.txt' }]);
      expect(status).toBe(413);
      expect(body).toMatchObject({ success: false, code: 'VALIDATION_ERROR', field: 'file' });
      expect(await unattachedCount(server, alice)).toBe(0);
    });

    it('stores a file of exactly FILE_MAX_BYTES, over several chunks', async () => {
      const alice = await registerUser(server, 'alice');
      const data = Buffer.alloc(MAX_BYTES, 'b');
      const file = await uploadOk(server, alice, data, 'max.txt');
      expect(file.size).toBe(MAX_BYTES);
      expect((await download(server, alice, `/files/${file.id}`)).bytes.equals(data)).toBe(true);
    });

    it.each([
      ['no file', [{ field: 'note', data: 'just a field' }], 400],
      ['an empty file', [{ data: Buffer.alloc(0), name: 'empty.txt' }], 400],
      ['the file in another field', [{ field: 'upload', data: SAMPLES.text(), name: 'a.txt' }], 400],
      [
        'two files',
        [
          { data: SAMPLES.text('one'), name: 'one.txt' },
          { data: SAMPLES.text('two'), name: 'two.txt' },
        ],
        400,
      ],
    ] as const)('refuses %s with VALIDATION_ERROR and keeps nothing', async (_, parts, status) => {
      const alice = await registerUser(server, 'alice');
      const answer = await uploadParts(server, alice, [...parts]);
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
      expectEnvelope(answer.body);
      expect(await unattachedCount(server, alice)).toBe(0);
    });

    it('refuses a body that is not multipart with 415', async () => {
      const alice = await registerUser(server, 'alice');
      const answer = await api(server, 'POST', '/files', { token: alice.token, body: { file: 'x' } });
      expect(answer.status).toBe(415);
      expect(answer.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    });

    it.each([
      ['no boundary', 'multipart/form-data', 'x'],
      [
        'a body cut short',
        'multipart/form-data; boundary=b',
        '--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhel',
      ],
      ['a malformed part header', 'multipart/form-data; boundary=b', '--b\r\nnot a header\r\n\r\nx\r\n--b--\r\n'],
      ['an empty body', 'multipart/form-data; boundary=b', ''],
    ])('refuses a multipart body with %s as VALIDATION_ERROR (never 500), keeping nothing', async (_, type, body) => {
      const alice = await registerUser(server, 'alice');
      const answer = await api(server, 'POST', '/files', {
        token: alice.token,
        headers: { 'content-type': type },
        body,
      });
      expect([400, 415]).toContain(answer.status);
      expect(answer.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
      expect(await unattachedCount(server, alice)).toBe(0);
    });

    it('keeps nothing of an upload whose client goes away halfway', async () => {
      const alice = await registerUser(server, 'alice');
      const head = '--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n';
      const request = httpRequest(`${server.url}/files`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${alice.token}`,
          'content-type': 'multipart/form-data; boundary=b',
          'content-length': String(MAX_BYTES),
        },
      });
      request.on('error', () => undefined);
      request.write(head);
      request.write(Buffer.alloc(300 * 1024, 'a'));
      // Two chunks' worth stored or on their way, then the client is gone.
      await waitFor(async () => (await unattachedCount(server, alice)) === 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      request.destroy();
      await waitFor(async () => (await unattachedCount(server, alice)) === 0, 5_000, 'the upload removed');
    });

    it('refuses without a token (401) and keeps nothing', async () => {
      const answer = await uploadParts(server, undefined, [{ data: SAMPLES.text(), name: 'a.txt' }]);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    });

    it('keeps only the last path segment of the name, without control characters, at most 255 characters', async () => {
      const alice = await registerUser(server, 'alice');
      const cases: [string, string][] = [
        ['../../etc/passwd', 'passwd'],
        ['C:\\Users\\me\\secret.txt', 'secret.txt'],
        ['evil\u0000\u0007\u202Etxt.exe', 'eviltxt.exe'],
        ['..', 'file'],
        [`${'я'.repeat(300)}.txt`, 'я'.repeat(255)],
      ];
      for (const [name, kept] of cases) {
        const file = await uploadOk(server, alice, SAMPLES.text(), name);
        expect(file.name).toBe(kept);
      }
    });
  });

  describe('GET /files/:id', () => {
    it('serves the uploader the bytes with their type, nosniff, a sandboxing CSP and attachment', async () => {
      const alice = await registerUser(server, 'alice');
      const data = SAMPLES.pdf();
      const file = await uploadOk(server, alice, data, 'отчёт "итог".pdf');
      const got = await download(server, alice, `/files/${file.id}`);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(data)).toBe(true);
      expect(got.headers.get('content-type')).toBe('application/pdf');
      expect(got.headers.get('content-length')).toBe(String(data.length));
      expect(got.headers.get('accept-ranges')).toBe('bytes');
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      expect(got.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      // RFC 6266: an ASCII fallback, and the exact name in RFC 5987's filename*.
      const disposition = got.headers.get('content-disposition') ?? '';
      const [, fallback, encoded] =
        /^attachment; filename="((?:[^"\\]|\\.)*)"; filename\*=UTF-8''(\S+)$/.exec(disposition) ?? [];
      expect(fallback).toBe('????? \\"????\\".pdf');
      expect(decodeURIComponent(encoded!)).toBe('отчёт "итог".pdf');
    });

    it('serves images inline', async () => {
      const alice = await registerUser(server, 'alice');
      const file = await uploadOk(server, alice, await SAMPLES.png(32, 32), 'dot.png');
      const got = await download(server, alice, `/files/${file.id}`);
      expect(got.headers.get('content-type')).toBe('image/png');
      expect(got.headers.get('content-disposition')).toBe('inline; filename=dot.png');
    });

    it('serves a member of the chat it was sent in, and nobody else: not before it is sent, not a non-member', async () => {
      const [alice, bob, carol] = await Promise.all([
        registerUser(server, 'alice'),
        registerUser(server, 'bob'),
        registerUser(server, 'carol'),
      ]);
      const chatId = await createChat(server, alice, [bob]);
      const data = SAMPLES.text('for bob only');
      const file = await uploadOk(server, alice, data, 'note.txt');
      for (const user of [bob, carol]) {
        const got = await download(server, user, `/files/${file.id}`);
        expect(got.status).toBe(404);
        expect(JSON.parse(got.bytes.toString())).toStrictEqual(NOT_FOUND);
      }
      await attach(server, alice, chatId, [file.id]);
      const got = await download(server, bob, `/files/${file.id}`);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(data)).toBe(true);
      const refused = await download(server, carol, `/files/${file.id}`);
      expect(refused.status).toBe(404);
      expect(JSON.parse(refused.bytes.toString())).toStrictEqual(NOT_FOUND);
    });

    it('answers an unknown id and a malformed one as someone else’s file (404), and 401 without a token', async () => {
      const alice = await registerUser(server, 'alice');
      for (const id of [UNKNOWN_CHAT_ID, 'not-a-file', 'x'.repeat(100)]) {
        const got = await download(server, alice, `/files/${id}`);
        expect(got.status).toBe(404);
        expect(JSON.parse(got.bytes.toString())).toStrictEqual(NOT_FOUND);
      }
      const file = await uploadOk(server, alice, SAMPLES.text(), 'a.txt');
      expect((await download(server, undefined, `/files/${file.id}`)).status).toBe(401);
    });

    it('makes a deleted message’s files unreadable to everyone', async () => {
      const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
      const chatId = await createChat(server, alice, [bob]);
      const file = await uploadOk(server, alice, SAMPLES.text(), 'a.txt');
      const message = await attach(server, alice, chatId, [file.id]);
      const socket = await connect(server, alice.token);
      expect(await ask(socket, 'delete_message', { messageId: message.id })).toMatchObject({ success: true });
      for (const user of [alice, bob]) expect((await download(server, user, `/files/${file.id}`)).status).toBe(404);
    });

    it('deletes an account’s files with it, sent and unsent', async () => {
      const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
      const chatId = await createChat(server, alice, [bob]);
      const sent = await uploadOk(server, alice, SAMPLES.text('sent'), 'sent.txt');
      await attach(server, alice, chatId, [sent.id]);
      await uploadOk(server, alice, SAMPLES.text('unsent'), 'unsent.txt');
      const gone = await api(server, 'DELETE', '/users/me', { token: alice.token, body: { password: alice.password } });
      expect(gone.status).toBe(200);
      expect((await download(server, bob, `/files/${sent.id}`)).status).toBe(404);
      const counted = await server.app.store.files['db'].query<{ n: number }>(
        'SELECT count(*)::int AS n FROM files WHERE owner_id = $1',
        [alice.user.id],
      );
      expect(counted[0]?.n).toBe(0);
    });

    it('answers a single Range with 206 and Content-Range, across chunk boundaries', async () => {
      const alice = await registerUser(server, 'alice');
      const data = randomText(MAX_BYTES);
      const file = await uploadOk(server, alice, data, 'long.txt');
      const chunk = 256 * 1024;
      for (const [start, end] of [
        [0, 0],
        [10, 99],
        [chunk - 5, chunk + 5],
        [chunk - 1, 2 * chunk],
        [MAX_BYTES - 10, MAX_BYTES - 1],
      ] as const) {
        const got = await download(server, alice, `/files/${file.id}`, { range: `bytes=${start}-${end}` });
        expect(got.status).toBe(206);
        expect(got.headers.get('content-range')).toBe(`bytes ${start}-${end}/${MAX_BYTES}`);
        expect(got.headers.get('content-length')).toBe(String(end - start + 1));
        expect(got.bytes.equals(data.subarray(start, end + 1))).toBe(true);
      }
      const suffix = await download(server, alice, `/files/${file.id}`, { range: 'bytes=-100' });
      expect(suffix.status).toBe(206);
      expect(suffix.bytes.equals(data.subarray(MAX_BYTES - 100))).toBe(true);
      const open = await download(server, alice, `/files/${file.id}`, { range: `bytes=${MAX_BYTES - 3}-` });
      expect(open.bytes.equals(data.subarray(MAX_BYTES - 3))).toBe(true);
    });

    it('answers a range past the end with 416 and bytes */size; a malformed or multiple Range with the whole file', async () => {
      const alice = await registerUser(server, 'alice');
      const data = SAMPLES.text('0123456789');
      const file = await uploadOk(server, alice, data, 'digits.txt');
      const past = await download(server, alice, `/files/${file.id}`, { range: 'bytes=10-20' });
      expect(past.status).toBe(416);
      expect(past.headers.get('content-range')).toBe('bytes */10');
      expect(JSON.parse(past.bytes.toString())).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
      for (const range of ['bytes=abc', 'items=0-1', 'bytes=0-1,5-6']) {
        const got = await download(server, alice, `/files/${file.id}`, { range });
        expect(got.status).toBe(200);
        expect(got.bytes.equals(data)).toBe(true);
      }
    });
  });

  describe('GET /files/:id/thumbnail', () => {
    it('serves an image’s WebP thumbnail of at most 320 px, to the same readers as the file', async () => {
      const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
      const file = await uploadOk(server, alice, await SAMPLES.png(1000, 500), 'wide.png');
      const got = await download(server, alice, `/files/${file.id}/thumbnail`);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('image/webp');
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      const { default: sharp } = await import('sharp');
      const meta = await sharp(got.bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', 320, 160]);
      expect((await download(server, bob, `/files/${file.id}/thumbnail`)).status).toBe(404);
    });

    it('answers 404 for a file that is no image', async () => {
      const alice = await registerUser(server, 'alice');
      const file = await uploadOk(server, alice, SAMPLES.pdf(), 'a.pdf');
      expect((await download(server, alice, `/files/${file.id}/thumbnail`)).status).toBe(404);
    });
  });
});

describe('expiry of uploads never sent', () => {
  const server = useServer({ FILE_ORPHAN_TTL: '60', FILE_SWEEP_INTERVAL: '1' });

  it('each node sweeps on its own, every FILE_SWEEP_INTERVAL, the unsent uploads older than FILE_ORPHAN_TTL', async () => {
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    const chatId = await createChat(server, alice, [bob]);
    const sent = await uploadOk(server, alice, SAMPLES.text('sent'), 'sent.txt');
    await attach(server, alice, chatId, [sent.id]);
    const old = await uploadOk(server, alice, SAMPLES.text('old'), 'old.txt');
    const fresh = await uploadOk(server, alice, SAMPLES.text('fresh'), 'fresh.txt');
    // Backdated past the TTL, as if uploaded two minutes ago (the sent one too: it stays).
    await server.app.store.files['db'].query(
      "UPDATE files SET created_at = now() - interval '2 minutes' WHERE id = ANY($1::uuid[])",
      [[sent.id, old.id]],
    );
    await expect
      .poll(async () => (await download(server, alice, `/files/${old.id}`)).status, { timeout: 5_000 })
      .toBe(404);
    expect((await download(server, alice, `/files/${fresh.id}`)).status).toBe(200);
    expect((await download(server, bob, `/files/${sent.id}`)).status).toBe(200);
  });
});

describe('upload bytes per hour', () => {
  const server = useServer({ RATE_LIMIT_UPLOAD_BYTES_PER_HOUR: String(1024 * 1024) });

  it('refuses uploads once the hour’s bytes are spent, refused uploads’ bytes included', async () => {
    const alice = await registerUser(server, 'alice');
    await uploadOk(server, alice, Buffer.alloc(700 * 1024, 'a'), 'a.txt');
    const refused = await uploadParts(server, alice, [{ data: Buffer.alloc(400 * 1024, 0), name: 'b.bin' }]);
    expect(refused.status).toBe(415);
    const third = await uploadParts(server, alice, [{ data: SAMPLES.text('small'), name: 'c.txt' }]);
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ success: false, code: 'RATE_LIMITED' });
  });
});

describe('upload limits', () => {
  const server = useServer({ FILE_MAX_UNATTACHED: '2', RATE_LIMIT_UPLOADS_PER_MINUTE: '4' });

  it('refuses an upload past FILE_MAX_UNATTACHED files not yet sent, and past the uploads per minute', async () => {
    const alice = await registerUser(server, 'alice');
    await uploadOk(server, alice, SAMPLES.text('1'), '1.txt');
    await uploadOk(server, alice, SAMPLES.text('2'), '2.txt');
    const third = await uploadParts(server, alice, [{ data: SAMPLES.text('3'), name: '3.txt' }]);
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ success: false, code: 'RATE_LIMITED' });
    await uploadParts(server, alice, [{ data: SAMPLES.text('4'), name: '4.txt' }]);
    const fifth = await uploadParts(server, alice, [{ data: SAMPLES.text('5'), name: '5.txt' }]);
    expect(fifth.status).toBe(429);
    expect(fifth.body.error).toBe('Слишком много загрузок файлов, попробуйте позже');
  });
});

/** `size` bytes of printable ASCII that differ from place to place. */
function randomText(size: number): Buffer {
  const bytes = randomBytes(size);
  for (let i = 0; i < size; i++) bytes[i] = 0x21 + (bytes[i]! % 90);
  return bytes;
}

async function unattachedCount(server: TestServer, user: TestUser): Promise<number> {
  return server.app.store.files.countUnattached(user.user.id);
}
