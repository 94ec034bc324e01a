import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeClusterSockets,
  clusterEnv,
  connectTo,
  dropRedisPrefix,
  killAllNodes,
  startNode,
  uniqueRedisPrefix,
  type ClusterNode,
} from '../helpers/cluster-nodes.js';
import { signToken, validClaims } from '../helpers/auth-tokens.js';
import { expectError } from '../helpers/http-envelope.js';
import { api, registerUser, type ClientSocket } from '../helpers/server.js';

/**
 * A ban across two real Parley processes sharing PostgreSQL and Redis: the banned user's sockets
 * close on both nodes at once, and neither node lets them in again.
 */
describe.skipIf(!clusterEnv)('POST /moderation/users/:id/ban on two nodes', () => {
  const moderatorId = randomUUID();
  const prefix = uniqueRedisPrefix();
  let a: ClusterNode;
  let b: ClusterNode;
  beforeAll(async () => {
    const start = (name: string) => startNode({ name, redisPrefix: prefix, env: { MODERATOR_IDS: moderatorId } });
    [a, b] = await Promise.all([start('A'), start('B')]);
  });
  afterAll(async () => {
    closeClusterSockets();
    await killAllNodes();
    await dropRedisPrefix(prefix);
  });

  const disconnection = (socket: ClientSocket) =>
    new Promise<string>((resolve) =>
      (socket as unknown as Socket).once('disconnect', (reason: string) => resolve(reason)),
    );

  it('closes the banned user’s sockets on every node; neither node lets them in again', async () => {
    // The moderator MODERATOR_IDS names, made in the database: registration picks its own ids.
    const client = new pg.Client({ connectionString: clusterEnv!.databaseUrl });
    await client.connect();
    await client.query('INSERT INTO users (id, email, username) VALUES ($1, $2, $3)', [
      moderatorId,
      `mod-${moderatorId}@example.com`,
      `mod_${moderatorId.slice(0, 8)}`,
    ]);
    await client.end();
    const moderator = await signToken(validClaims(moderatorId));
    const bob = await registerUser(a, 'bob');
    const sockets = [await connectTo(a, bob.token), await connectTo(b, bob.token)];
    const closed = sockets.map(disconnection);

    expect(
      await api(a, 'POST', `/moderation/users/${bob.user.id}/ban`, { token: moderator, body: { reason: 'spam' } }),
    ).toStrictEqual({ status: 200, body: { success: true } });

    expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
    for (const node of [a, b]) {
      expectError(await api(node, 'GET', '/users/me', { token: bob.token }), 403, 'BANNED');
      await expect(connectTo(node, bob.token)).rejects.toMatchObject({ data: { code: 'BANNED' } });
    }
  });
});
