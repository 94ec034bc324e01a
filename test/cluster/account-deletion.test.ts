import type { Socket } from 'socket.io-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEXTS } from '../../src/errors.js';
import type { Message, PublicUser } from '../../src/protocol/types.js';
import { DELETED_USER } from '../../src/store/users.js';
import { clusterEnv, connectTo, untilEvent, useClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js';
import { expectError } from '../helpers/http-envelope.js';
import { api, ask, collect, createChat, registerUser, type ClientSocket } from '../helpers/server.js';

/**
 * DELETE /users/me across two real Parley processes sharing PostgreSQL and Redis: the account's
 * sockets close on both nodes at once, and the other members on either node see its messages
 * turn into tombstones and the account leave.
 */
describe.skipIf(!clusterEnv)('DELETE /users/me on two nodes', () => {
  const nodes = useClusterNodes('A', 'B');
  let a: ClusterNode;
  let b: ClusterNode;
  beforeAll(() => {
    ({ A: a, B: b } = nodes);
  });

  const disconnection = (socket: ClientSocket) =>
    new Promise<string>((resolve) =>
      (socket as unknown as Socket).once('disconnect', (reason: string) => resolve(reason)),
    );

  it('closes the account’s sockets on every node; the members on the other node see the tombstones and the leave', async () => {
    const alice = await registerUser(a, 'alice');
    const bob = await registerUser(b, 'bob');
    const chatId = await createChat(a, alice, [bob], 'two nodes');
    const aliceSockets = [await connectTo(a, alice.token), await connectTo(b, alice.token)];
    const bobOnB = await connectTo(b, bob.token);
    expect(await ask(bobOnB, 'join_chat', { chatId })).toMatchObject({ success: true });
    const sent = await ask(aliceSockets[0]!, 'send_message', { chatId, text: 'secret from node A' });
    expect(sent).toMatchObject({ success: true });
    const closed = aliceSockets.map(disconnection);
    const deletions = collect<Message>(bobOnB, 'message_deleted');
    const changes = collect<{ chatId: string; users: PublicUser[] }>(bobOnB, 'chat_members_changed');

    expect(
      await api(a, 'DELETE', '/users/me', { token: alice.token, body: { password: alice.password } }),
    ).toStrictEqual({
      status: 200,
      body: { success: true },
    });

    expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
    await untilEvent(bobOnB, 'message_deleted', () => deletions.length === 1);
    await untilEvent(bobOnB, 'chat_members_changed', () => changes.length === 1);
    expect(deletions[0]).toMatchObject({ id: sent.message.id, text: '', user: { id: alice.user.id, ...DELETED_USER } });
    expect(changes[0]).toStrictEqual({ chatId, users: [bob.user] });
    // Neither node lets the account in again.
    for (const node of [a, b]) {
      expectError(await api(node, 'GET', '/users/me', { token: alice.token }), 401, 'UNAUTHORIZED', TEXTS.unknownUser);
      await expect(connectTo(node, alice.token)).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    }
  });
});
