import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { clusterEnv, connectTo, useClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js';
import { download, SAMPLES, uploadOk } from '../helpers/files.js';
import { ask, createChat, nextEvent, registerUser } from '../helpers/server.js';

/**
 * Files across two real Parley processes sharing PostgreSQL and Redis: the bytes live in the
 * database, so a file uploaded through one node is served by the other.
 */
describe.skipIf(!clusterEnv)('files on two nodes', () => {
  const nodes = useClusterNodes('A', 'B');
  let a: ClusterNode;
  let b: ClusterNode;
  beforeAll(() => {
    ({ A: a, B: b } = nodes);
  });

  it('an upload through A is served by B to its uploader, then to a member once sent, with Range and its thumbnail', async () => {
    const alice = await registerUser(a, 'alice');
    const bob = await registerUser(b, 'bob');
    const chatId = await createChat(a, alice, [bob], `files-${randomUUID().slice(0, 6)}`);
    const image = await SAMPLES.png(900, 300);
    const file = await uploadOk(a, alice, image, 'wide.png');
    expect(file).toMatchObject({ type: 'image/png', size: image.length, width: 900, height: 300 });

    const byUploader = await download(b, alice, `/files/${file.id}`);
    expect(byUploader.status).toBe(200);
    expect(byUploader.bytes.equals(image)).toBe(true);
    expect((await download(b, bob, `/files/${file.id}`)).status).toBe(404);

    const aliceOnA = await connectTo(a, alice.token);
    const bobOnB = await connectTo(b, bob.token);
    expect(await ask(bobOnB, 'join_chat', { chatId })).toMatchObject({ success: true });
    const arriving = nextEvent<Message>(bobOnB, 'new_message', 5_000);
    const sent = await ask(aliceOnA, 'send_message', { chatId, text: '', attachments: [file.id] });
    expect(sent).toMatchObject({ success: true, message: { attachments: [file] } });
    expect(await arriving).toStrictEqual(sent.message);

    const part = await download(b, bob, `/files/${file.id}`, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.bytes.equals(image.subarray(100, 200))).toBe(true);
    const thumbnail = await download(b, bob, `/files/${file.id}/thumbnail`);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
  });
});
