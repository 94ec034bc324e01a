/**
 * Runs tasks with the same key one after another, in the order they were queued; tasks with
 * different keys run concurrently. Used so that a chat's sends commit and broadcast in one order.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => {});
    this.tails.set(key, tail);
    // Forget the key once nothing is queued behind this task, so idle chats cost nothing.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
