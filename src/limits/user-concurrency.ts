import { TEXTS } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import { RateLimitedError } from './rate-limited-error.js';

/** The refusal of a request whose user has too many requests waiting already: try again in a second. */
export const tooManyWaiting = () => new RateLimitedError(1_000, TEXTS.tooManyInFlight);

/** A request's place in its user's line: it runs once `started` resolves, and frees the place with `end`. */
export interface Turn {
  /**
   * Null when the request may run at once; otherwise resolves when it may run, or rejects
   * (RATE_LIMITED) if the turn was ended before that.
   */
  readonly started: Promise<void> | null;
  /** Frees the running slot, or leaves the line if the turn has not come yet. Idempotent. */
  end(): void;
}

interface Waiter {
  read: boolean;
  start(): void;
}

interface Line {
  running: number;
  readsRunning: number;
  /** Turns not started yet, in arrival order. */
  waiting: Waiter[];
}

/**
 * One user's fair share of a node: at most `maxRunning` of the user's events and authenticated
 * HTTP requests run at once, whatever number of sockets and connections they arrive on, and of
 * them at most `maxReadsRunning` reads (pages, chat lists, sync); the next `maxWaiting` wait their
 * turn in arrival order (a waiting read lets a later write go first while the user's reads are all
 * taken), and one more is refused with RATE_LIMITED.
 *
 * What this bounds is what a flood holds of the node while it waits on the database: on PGlite
 * (one connection) and a PostgreSQL pool (10 per node) alike, one user's work in the queue before
 * anyone else's is at most `maxRunning` operations, of which at most `maxReadsRunning` are the
 * big ones. Reads one after another also let each answer's weight be charged (rate-limits.ts,
 * answer bytes) before the user's next read is let in, instead of several big answers admitted
 * at once on a budget that is about to be spent.
 *
 * Counted per node, not across the cluster: the resources it shares out — this node's event loop
 * and database connections — are the node's own, and a cluster-wide count would cost a Redis
 * round trip at the start and end of every request and outlive a node that died with requests
 * running. Rates are cluster-wide (rate-limits.ts).
 */
export class UserConcurrency {
  private readonly lines = new Map<string, Line>();

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
    private readonly maxReadsRunning: number,
    private readonly metrics: Metrics,
  ) {}

  /** A place in `userId`'s line for a read or another request; throws RateLimitedError when the line is full. */
  enter(userId: string, kind: 'read' | 'other' = 'other'): Turn {
    const read = kind === 'read';
    let line = this.lines.get(userId);
    if (!line) {
      line = { running: 0, readsRunning: 0, waiting: [] };
      this.lines.set(userId, line);
    }
    const ownLine = line;
    let state: 'waiting' | 'running' | 'ended' = 'running';
    let started: Promise<void> | null = null;
    let place: Waiter | undefined;
    let abandon: ((error: Error) => void) | undefined;
    if (this.mayStart(line, read)) this.occupy(line, read);
    else if (line.waiting.length < this.maxWaiting) {
      state = 'waiting';
      const waited = new Promise<void>((resolve, reject) => {
        place = {
          read,
          start: () => {
            state = 'running';
            resolve();
          },
        };
        abandon = reject;
      });
      // A turn ended before anyone awaited it must not become an unhandled rejection.
      waited.catch(() => undefined);
      started = waited;
      line.waiting.push(place!);
    } else {
      this.metrics.limitRefused('in_flight');
      throw tooManyWaiting();
    }
    return {
      started,
      end: () => {
        if (state === 'running') this.finish(userId, ownLine, read);
        else if (state === 'waiting') {
          // Someone is running (that is why this turn waited), so the line stays.
          ownLine.waiting.splice(ownLine.waiting.indexOf(place!), 1);
          abandon!(tooManyWaiting());
        }
        state = 'ended';
      },
    };
  }

  private mayStart(line: Line, read: boolean): boolean {
    return line.running < this.maxRunning && (!read || line.readsRunning < this.maxReadsRunning);
  }

  private occupy(line: Line, read: boolean): void {
    line.running++;
    if (read) line.readsRunning++;
  }

  /** A running request of the line ended: its slot goes to the first in line that may take it. */
  private finish(userId: string, line: Line, read: boolean): void {
    line.running--;
    if (read) line.readsRunning--;
    for (let i = 0; i < line.waiting.length && line.running < this.maxRunning;) {
      const next = line.waiting[i]!;
      if (!this.mayStart(line, next.read)) {
        i++;
        continue;
      }
      line.waiting.splice(i, 1);
      this.occupy(line, next.read);
      next.start();
    }
    if (line.running === 0) this.lines.delete(userId);
  }
}
