/**
 * Gathers work submitted concurrently into batches handled by one call, one batch at a time:
 * while a batch is being written, everything submitted meanwhile waits and forms the next one.
 * Under light load a batch is a single item written at once; under heavy load batches grow and
 * the number of commits per item falls. Each submitter gets its own result, in submission order.
 */
export class GroupCommit<Item, Result> {
  private queue: Array<{ item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  private running = false;

  /**
   * @param writeBatch handles a batch; must return one result per item, in the same order.
   * @param maxBatch upper bound on a batch's size (statement size, memory).
   */
  constructor(
    private readonly writeBatch: (items: Item[]) => Promise<Result[]>,
    private readonly maxBatch = 256,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the other events already read from the network in this turn join the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.writeBatch(batch.map((entry) => entry.item));
        // Resolved in order, so that callers continue (and broadcast) in commit order.
        batch.forEach((entry, i) => entry.resolve(results[i]!));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.running = false;
  }
}
