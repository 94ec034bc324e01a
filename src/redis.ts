import { createClient } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;

/** The node's one Redis connection, shared by the cluster adapter and the shared rate limits. */
export async function connectRedis(redisUrl: string): Promise<RedisClient> {
  const client = createClient({ url: redisUrl, socket: { connectTimeout: 5_000 } });
  // Reconnection is the client's job; an error event must not crash the process.
  client.on('error', () => {});
  await client.connect();
  return client;
}
