import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { RedisClient } from '../redis.js';
import type { ParleyServer } from './socket-types.js';

/** Entries the Redis stream keeps: enough for a node that loses Redis briefly to read on from where it stopped. */
const STREAM_MAX_LENGTH = 10_000;

export interface Cluster {
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Joins this node to the others through Redis streams: rooms, broadcasts and server-side events
 * span every node, and a node that loses Redis for a moment reads the stream from where it
 * stopped instead of losing the broadcasts in between (pub/sub would drop them). What is lost
 * all the same, message changes are found again in the database (chat-feed.ts).
 * Every key carries the deployment's prefix so that deployments sharing a Redis stay apart.
 */
export function joinCluster(io: ParleyServer, client: RedisClient, prefix: string): Cluster {
  io.adapter(
    createAdapter(client, {
      streamName: `${prefix}:socket.io`,
      channelPrefix: `${prefix}:socket.io`,
      sessionKeyPrefix: `${prefix}:socket.io:session:`,
      maxLen: STREAM_MAX_LENGTH,
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
