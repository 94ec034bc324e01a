/** How long the oldest waiting read may be passed over by writes before it goes first anyway. */
const READ_PASSED_OVER_MS = 50;
/**
 * Before a read starts while others wait: long enough for the event loop to read what arrived on
 * the network meanwhile and for a send to reach the database (the group commit starts its batch on
 * the next turn of the loop), so that it goes before the read rather than behind it.
 */
const READ_START_DELAY_MS = 1;

interface Work {
  start(): void;
  since: number;
}

/**
 * One database connection on the event loop's own thread (PGlite), shared out: one operation at
 * a time; a waiting write (a send's batch, a mark_read, anything but a read) goes before waiting
 * reads, and reads wait their turn oldest first — unless the oldest has been passed over for
 * READ_PASSED_OVER_MS, so that writes cannot starve them.
 *
 * Why not in arrival order: a read of a page of big messages or of a long chat list holds the
 * connection, and the thread, for 10–20 ms; a few of them queued in a row stalled every other
 * user's send behind them (docs/performance.md, "Fairness"). Why not p-queue's priorities: the
 * read's short start delay and the passed-over bound are this scheduler's whole point.
 */
export class ConnectionTurns {
  private readonly writes: Work[] = [];
  private readonly reads: Work[] = [];
  private busy = false;

  run<T>(work: () => Promise<T>, kind: 'read' | 'other'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        work()
          .then(resolve, reject)
          .finally(() => this.next());
      };
      if (!this.busy) {
        this.busy = true;
        start();
      } else (kind === 'read' ? this.reads : this.writes).push({ start, since: performance.now() });
    });
  }

  private next(): void {
    const oldestRead = this.reads[0];
    if (oldestRead && performance.now() - oldestRead.since >= READ_PASSED_OVER_MS) return this.reads.shift()!.start();
    const write = this.writes.shift();
    if (write) return write.start();
    if (!oldestRead) {
      this.busy = false;
      return;
    }
    setTimeout(() => (this.writes.shift() ?? this.reads.shift()!).start(), READ_START_DELAY_MS);
  }
}
