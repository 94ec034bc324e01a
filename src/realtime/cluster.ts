import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { ParleyServer } from './gateway.js';

export interface Cluster {
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Joins this node to the others through Redis streams: rooms and broadcasts span every node, and
 * connection-state recovery keeps working (the pub/sub adapter cannot recover sessions).
 * Every key carries the deployment's prefix so that deployments sharing a Redis stay apart.
 */
export async function joinCluster(io: ParleyServer, redisUrl: string, prefix: string): Promise<Cluster> {
  const client = createClient({ url: redisUrl, socket: { connectTimeout: 5_000 } });
  // Reconnection is the client's job; an error event must not crash the process.
  client.on('error', () => {});
  await client.connect();
  io.adapter(
    createAdapter(client, {
      streamName: `${prefix}:socket.io`,
      channelPrefix: `${prefix}:socket.io`,
      sessionKeyPrefix: `${prefix}:socket.io:session:`,
    }),
  );
  return {
    async ping() {
      await client.ping();
    },
    async close() {
      await client.quit().catch(() => client.destroy());
    },
  };
}
