import { dropRedisPrefix, startNode, uniqueRedisPrefix, type ClusterNode } from '../test/helpers/cluster-nodes.js';
import { CuttableProxy, throughPort } from '../test/helpers/cuttable-proxy.js';
import { sleep } from './helpers.js';
import { LogWatcher } from './log-watcher.js';
import { Pool, type Slot } from './pool.js';

export interface ChaosClusterOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Extra environment for every node. */
  nodeEnv?: Record<string, string>;
  /** Date.now() when the run started (log lines are timed from it). */
  t0: number;
  rng: () => number;
  say: (line: string) => void;
}

/**
 * The nodes under test: each a child process with the run's Redis prefix, reaching PostgreSQL and
 * Redis only through the suite's two cuttable proxies, its output followed by a LogWatcher, and
 * offered to the clients through the pool.
 */
export class ChaosCluster {
  readonly redisPrefix = uniqueRedisPrefix();
  readonly postgresProxy: CuttableProxy;
  readonly redisProxy: CuttableProxy;
  readonly pool: Pool;
  readonly watchers: LogWatcher[] = [];
  /** Every node started, the stopped ones included. */
  private readonly nodes: ClusterNode[] = [];
  private nodeNumber = 0;
  private readonly pollTimer: NodeJS.Timeout;

  constructor(private readonly options: ChaosClusterOptions) {
    const postgres = new URL(options.databaseUrl);
    const redis = new URL(options.redisUrl);
    this.postgresProxy = new CuttableProxy(postgres.hostname, Number(postgres.port || 5432));
    this.redisProxy = new CuttableProxy(redis.hostname, Number(redis.port || 6379));
    this.pool = new Pool(options.rng);
    this.pollTimer = setInterval(() => this.watchers.forEach((watcher) => watcher.poll()), 100);
    this.pollTimer.unref();
  }

  async openProxies(): Promise<void> {
    await this.postgresProxy.open();
    await this.redisProxy.open();
  }

  /** Starts a node (resolves once it is ready) and offers it to new connections. */
  async addNode(): Promise<Slot> {
    const { options } = this;
    const name = `n${++this.nodeNumber}`;
    const started = Date.now();
    const node = await startNode({
      name,
      redisPrefix: this.redisPrefix,
      env: {
        DATABASE_URL: throughPort(options.databaseUrl, this.postgresProxy.port),
        REDIS_URL: throughPort(options.redisUrl, this.redisProxy.port),
        ...options.nodeEnv,
      },
    });
    this.nodes.push(node);
    this.watchers.push(new LogWatcher(name, node, options.t0));
    const slot: Slot = { name, node, accepting: true, clients: 0 };
    this.pool.slots.push(slot);
    options.say(`${name} ready on ${node.url} in ${Date.now() - started} ms`);
    return slot;
  }

  /** Kills every node still running, closes both proxies and drops the Redis prefix; never throws. */
  async close(): Promise<void> {
    await Promise.all(
      this.nodes.filter((node) => node.running).map((node) => node.stop('SIGKILL', 10_000).catch(() => undefined)),
    );
    clearInterval(this.pollTimer);
    await this.postgresProxy.cut().catch(() => {});
    await this.redisProxy.cut().catch(() => {});
    await Promise.race([dropRedisPrefix(this.redisPrefix).catch(() => {}), sleep(10_000)]);
  }
}
