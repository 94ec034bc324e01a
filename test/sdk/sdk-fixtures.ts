import { randomUUID } from 'node:crypto';
import { afterEach } from 'vitest';
import { connect, type ClientOptions, type ParleyClient } from '../../sdk/index.js';

/**
 * The server's store for the SDK suites: the PostgreSQL server and Redis named by DATABASE_URL /
 * REDIS_URL when they are set (each file a deployment of its own), else startServer's in-memory PGlite.
 */
export function realStackEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  if (process.env.DATABASE_URL?.match(/^postgres(ql)?:/)) env.DATABASE_URL = process.env.DATABASE_URL;
  if (process.env.REDIS_URL?.match(/^rediss?:/)) {
    env.REDIS_URL = process.env.REDIS_URL;
    env.REDIS_PREFIX = `parley-test-${randomUUID().slice(0, 12)}`;
  }
  return env;
}

const clients = new Set<ParleyClient>();
afterEach(() => {
  for (const client of clients) client.close();
  clients.clear();
});

/** An SDK client from Node (its in-memory outbox), closed after the test. */
export function sdkClient(url: string, token: string, options: Partial<ClientOptions> = {}): ParleyClient {
  const client = connect({ url, token, socket: { reconnectionDelay: 100, reconnectionDelayMax: 500 }, ...options });
  clients.add(client);
  return client;
}

/**
 * Resolves with the first value `subscribe` reports (now or later) that `test` accepts; rejects
 * after `ms`. Works with every subscription API of the SDK.
 */
export function until<T>(
  source: { subscribe(listener: (value: T) => void): () => void },
  test: (value: T) => boolean,
  ms = 5_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let stop: (() => void) | undefined;
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      stop?.();
      reject(new Error(`not reached within ${ms} ms`));
    }, ms);
    stop = source.subscribe((value) => {
      if (done || !test(value)) return;
      done = true;
      clearTimeout(timer);
      queueMicrotask(() => stop?.());
      resolve(value);
    });
    if (done) stop();
  });
}
