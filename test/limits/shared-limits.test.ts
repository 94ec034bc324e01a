import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { RateLimitedError } from '../../src/limits/rate-limited-error.js';
import { RateLimits } from '../../src/limits/rate-limits.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { RedisClient } from '../../src/redis.js';

/**
 * Issue 5 §1, issue 17 §2: with Redis configured, every per-user limit (messages, events, reads,
 * mark_read, typing, user searches) and the login limits are shared by every node. Two RateLimits
 * on two Redis connections stand for two nodes. Needs REDIS_URL (set by .ci/run; CI fails without
 * it, like the cluster suites).
 */
const redisUrl = process.env.REDIS_URL?.match(/^rediss?:/) ? process.env.REDIS_URL : undefined;
if (!redisUrl) {
  if (process.env.CI) throw new Error('CI must set REDIS_URL: the shared rate-limit suite would be skipped');
  console.warn('\n*** REDIS_URL is not set: SKIPPING the shared (Redis) rate-limit suite. Run .ci/run. ***\n');
}

describe.runIf(redisUrl)('rate limits shared through Redis', () => {
  const clients: RedisClient[] = [];
  let nodes: [RateLimits, RateLimits];
  const prefix = `parley-test-${randomUUID().slice(0, 8)}`;
  const limits = loadConfig({
    RATE_LIMIT_MESSAGES_PER_SECOND: '3',
    RATE_LIMIT_MESSAGE_BURST: '6',
    RATE_LIMIT_EVENTS_PER_SECOND: '3',
    RATE_LIMIT_EVENT_BURST: '6',
    RATE_LIMIT_READS_PER_SECOND: '3',
    RATE_LIMIT_READ_BURST: '6',
    RATE_LIMIT_LOGIN_FAILURES: '2',
  }).limits;

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const client = createClient({ url: redisUrl });
      await client.connect();
      clients.push(client);
    }
    nodes = [
      new RateLimits(limits, new Metrics(), { client: clients[0]!, prefix }),
      new RateLimits(limits, new Metrics(), { client: clients[1]!, prefix }),
    ];
  });
  afterAll(async () => {
    const keys = await clients[0]!.keys(`${prefix}:*`);
    if (keys.length > 0) await clients[0]!.del(keys);
    await Promise.all(clients.map((c) => c.quit()));
  });

  it.each(['message', 'event', 'read', 'markRead', 'typing'] as const)(
    'counts one user’s %s budget on every node together; other users apart',
    async (budget) => {
      const userId = randomUUID();
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          nodes[i % 2]![budget](userId).then(
            () => 'ok',
            (e: unknown) => e,
          ),
        ),
      );
      const passed = outcomes.filter((o) => o === 'ok').length;
      expect(passed).toBeGreaterThanOrEqual(6);
      expect(passed).toBeLessThanOrEqual(6 + 3);
      for (const refusal of outcomes.filter((o) => o !== 'ok')) {
        expect(refusal).toBeInstanceOf(RateLimitedError);
        expect((refusal as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
      }
      await expect(nodes[1][budget](randomUUID())).resolves.toBeUndefined();
      // The counter lives in Redis under the deployment's prefix, not in either process.
      expect(await clients[0]!.keys(`${prefix}:rl:*${userId}`)).not.toHaveLength(0);
    },
  );

  it('refuses again on the node that refused, without asking Redis, until the refusal ends', async () => {
    // A third node whose Redis commands are counted: rate-limiter-flexible updates a counter with eval.
    let evals = 0;
    const client = clients[0]!;
    const counted = new Proxy(client, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (property === 'eval') evals++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const node = new RateLimits(limits, new Metrics(), { client: counted, prefix });
    const userId = randomUUID();
    let refusal: unknown;
    for (let i = 0; i < 20 && !refusal; i++) await node.event(userId).catch((error: unknown) => (refusal = error));
    expect(refusal).toBeInstanceOf(RateLimitedError);
    const asked = evals;
    // A flood past the budget, within the refusal: answered the same, and Redis is not asked.
    const flood = await Promise.all(
      Array.from({ length: 200 }, () =>
        node.event(userId).then(
          () => 'ok',
          (error: unknown) => error,
        ),
      ),
    );
    for (const outcome of flood) expect(outcome).toBeInstanceOf(RateLimitedError);
    expect(evals).toBe(asked);
  });

  it('counts one user’s searches on every node together', async () => {
    const searchLimits = loadConfig({ RATE_LIMIT_USER_SEARCHES_PER_MINUTE: '3' }).limits;
    const [first, second] = clients.map(
      (client) => new RateLimits(searchLimits, new Metrics(), { client, prefix }),
    ) as [RateLimits, RateLimits];
    const userId = randomUUID();
    await first.userSearch(userId);
    await second.userSearch(userId);
    await first.userSearch(userId);
    await expect(second.userSearch(userId)).rejects.toBeInstanceOf(RateLimitedError);
    await expect(first.userSearch(userId)).rejects.toBeInstanceOf(RateLimitedError);
    await expect(second.userSearch(randomUUID())).resolves.toBeUndefined();
  });

  it('locks an account after attempts seen by different nodes, and a success on either clears it', async () => {
    const account = `email:${randomUUID()}@example.com`;
    await expect(nodes[0].loginAttempt(account)).resolves.toBeUndefined();
    await expect(nodes[1].loginAttempt(account)).resolves.toBeUndefined();
    await expect(nodes[0].loginAttempt(account)).rejects.toBeInstanceOf(RateLimitedError);
    await expect(nodes[1].loginAttempt(account)).rejects.toBeInstanceOf(RateLimitedError);
    await nodes[1].loginSucceeded(account);
    await expect(nodes[0].loginAttempt(account)).resolves.toBeUndefined();
    // Redis holds a hash of the account, never the email itself.
    expect((await clients[0]!.keys(`${prefix}:*`)).join(' ')).not.toContain('@example.com');
  });
});
