import type { Examples } from './helpers.js';
import type { Pool } from './pool.js';
import type { ChangeFigures, ConnectionFigures, LiveFigures } from './report.js';

/** What the simulated clients share during a run and record for the checks at its end. */

/** An acknowledged send. Times are Date.now() values. */
export interface Ack {
  clientMessageId: string;
  id: string;
  chatId: string;
  emitAt: number;
  ackAt: number;
}

/** A socket's live version of a chat jumped from `from` to `to`. */
export interface Gap {
  client: number;
  node: string | undefined;
  chatId: string;
  from: number;
  to: number;
  at: number;
}

/** Counters kept while the run goes; the report's figures are made from them. */
export interface Stats {
  sent: number;
  messages: number;
  sendFailures: Record<string, number>;
  edits: ChangeFigures;
  deletes: ChangeFigures;
  /** gapsSuperseded and liveMissed are found against the database at the end. */
  live: Omit<LiveFigures, 'gapsSuperseded' | 'liveMissed'>;
  late: number;
  maxLateMs: number | null;
  /** Each live new_message: when it arrived and its arrival − createdAt. */
  deliveries: { at: number; ms: number }[];
  connections: ConnectionFigures;
}

export function newStats(): Stats {
  return {
    sent: 0,
    messages: 0,
    sendFailures: {},
    edits: { attempted: 0, acked: 0 },
    deletes: { attempted: 0, acked: 0 },
    live: { events: 0, newMessage: 0, updated: 0, deleted: 0, backwards: 0, repeated: 0, gapsSeen: 0, beforeJoin: 0 },
    late: 0,
    maxLateMs: null,
    deliveries: [],
    connections: { opened: 0, connectFailures: 0, recipeFailures: 0, disconnects: 0, chatListMismatches: 0 },
  };
}

export interface RunContext {
  gaps: Gap[];
  /** Date.now() when the run started. */
  t0: number;
  runId: string;
  rng: () => number;
  pool: Pool;
  stats: Stats;
  examples: Examples;
  acks: Ack[];
  ackTimeoutMs: number;
  lateMs: number;
  sendIntervalMs: number;
  editRatio: number;
  deleteRatio: number;
  /** New messages are generated while this holds. */
  sending: boolean;
  /** Unacknowledged messages are retried until then. */
  retryDeadline: number;
  stopped: boolean;
  /** Resolves when the run stops (waits race it). */
  stop: Promise<void>;
}

/** ms since the run started, rounded. */
export const rel = (ctx: { t0: number }, at = Date.now()) => Math.round(at - ctx.t0);
