import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '../errors.js';
import type { Database, SqlExecutor } from '../store/database.js';

/** Which limit refused something (README "Security"); the label values of parley_rate_limited_total. */
export const LIMIT_NAMES = [
  'message',
  'event',
  'read',
  'read_bytes',
  'mark_read',
  'typing',
  'in_flight',
  'connection',
  'output_queue',
  'polling_packets',
  'abuse_cooldown',
  'auth_ip',
  'login_account',
  'chat_change',
  'user_search',
  'upload',
  'upload_bytes',
  'unattached_files',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

/** What an event ended in: `success` or the envelope's error code. */
export type EventOutcome = 'success' | ErrorCode;

/**
 * Every Prometheus metric of one app (README "Monitoring"), in a registry of its own so that
 * several apps in one process (tests) do not share counters. Only this module knows prom-client;
 * the rest of the code calls the small recording methods below.
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly events = new Counter({
    name: 'parley_socket_events_total',
    help: 'Socket.IO events handled, by event name and outcome (success or the error code)',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly sendCommit = new Histogram({
    name: 'parley_send_message_commit_seconds',
    help: 'From a send_message arriving to its message being committed and broadcast (successful sends)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  private readonly rateLimited = new Counter({
    name: 'parley_rate_limited_total',
    help: 'Requests, events and connections refused (or connections cut) by a limit, by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  private readonly changesFilled = new Counter({
    name: 'parley_chat_changes_filled_total',
    help: 'Message changes this node delivered from the database because their broadcast was late or lost',
    registers: [this.registry],
  });

  private readonly dbActive = new Gauge({
    name: 'parley_db_operations_in_progress',
    help: 'Database queries and transactions running now (each holds a pool connection on PostgreSQL)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  private readonly dbDuration = new Histogram({
    name: 'parley_db_operation_seconds',
    help: 'Duration of database queries and transactions, including the wait for a pool connection',
    labelNames: ['kind'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
    for (const limit of LIMIT_NAMES) this.rateLimited.inc({ limit }, 0);
  }

  /** `count` is read at every scrape: the sockets connected to this node right now. */
  countSockets(count: () => number): void {
    new Gauge({
      name: 'parley_connected_sockets',
      help: 'Socket.IO connections open on this node',
      registers: [this.registry],
      collect() {
        this.set(count());
      },
    });
  }

  eventHandled(event: string, outcome: EventOutcome, seconds: number): void {
    this.events.inc({ event, outcome });
    if (event === 'send_message' && outcome === 'success') this.sendCommit.observe(seconds);
  }

  limitRefused(limit: LimitName): void {
    this.rateLimited.inc({ limit });
  }

  /** Message changes delivered from the database by a gap fill (realtime/chat-feed.ts). */
  chatChangesFilled(count: number): void {
    this.changesFilled.inc(count);
  }

  /**
   * The same database, with every query and transaction counted and timed, and — on a pooled
   * server — the pool's connections (total, idle, and requests waiting for one) read at each scrape.
   */
  instrumentDatabase(db: Database): Database {
    const poolStats = db.poolStats?.bind(db);
    if (poolStats) {
      new Gauge({
        name: 'parley_db_pool_connections',
        help: 'PostgreSQL pool: open connections, idle ones, and queries waiting for a connection',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          const stats = poolStats();
          this.set({ state: 'total' }, stats.total);
          this.set({ state: 'idle' }, stats.idle);
          this.set({ state: 'waiting' }, stats.waiting);
        },
      });
    }
    const track = <T>(kind: 'query' | 'transaction', work: () => Promise<T>): Promise<T> => {
      this.dbActive.inc({ kind });
      const end = this.dbDuration.startTimer({ kind });
      return work().finally(() => {
        this.dbActive.dec({ kind });
        end();
      });
    };
    return {
      ...db,
      query: <Row>(text: string, params?: readonly unknown[]) => track('query', () => db.query<Row>(text, params)),
      script: (text: string) => track('query', () => db.script(text)),
      transaction: <T>(work: (tx: SqlExecutor) => Promise<T>) => track('transaction', () => db.transaction(work)),
    };
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
