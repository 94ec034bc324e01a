import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionTurns } from '../../src/store/connection-turns.js';

/**
 * PGlite's one connection is shared out by ConnectionTurns: one operation at a time, waiting
 * writes before waiting reads (a page of big messages must not hold up another user's send), and
 * no read passed over for long. Checks the order of operations, with the clock faked where the
 * bound on passing over is what is checked.
 */
describe('ConnectionTurns', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** An operation that runs until `finish` is called, recording when it started. */
  function operation(log: string[], name: string) {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    return {
      work: async () => {
        log.push(name);
        await done;
        return name;
      },
      finish: () => finish(),
    };
  }

  /** Lets the scheduler's promises and its short start delay for reads run (real timers). */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 2));
  };

  it('runs one operation at a time, waiting writes before waiting reads, each kind in arrival order', async () => {
    // The clock stands still: no read is ever passed over for long here.
    vi.useFakeTimers({ toFake: ['performance'] });
    const turns = new ConnectionTurns();
    const log: string[] = [];
    const first = operation(log, 'first read');
    const queued = ['read 1', 'write 1', 'read 2', 'write 2'].map((name) => ({ name, ...operation(log, name) }));
    const results = [
      turns.run(first.work, 'read'),
      ...queued.map((op) => turns.run(op.work, op.name.startsWith('read') ? 'read' : 'other')),
    ];
    await settle();
    expect(log).toEqual(['first read']);
    first.finish();
    for (const name of ['write 1', 'write 2', 'read 1', 'read 2']) {
      await settle();
      expect(log.at(-1)).toBe(name);
      // Nothing else started while it runs.
      expect(log).toHaveLength(['first read', 'write 1', 'write 2', 'read 1', 'read 2'].indexOf(name) + 1);
      queued.find((op) => op.name === name)!.finish();
    }
    expect(await Promise.all(results)).toEqual(['first read', 'read 1', 'write 1', 'read 2', 'write 2']);
  });

  it('passes the outcome of a failed operation to its caller and goes on with the next', async () => {
    const turns = new ConnectionTurns();
    const failed = turns.run(() => Promise.reject(new Error('no such table')), 'other');
    const next = turns.run(() => Promise.resolve('next'), 'read');
    await expect(failed).rejects.toThrow('no such table');
    expect(await next).toBe('next');
  });

  it('lets a read go first once writes have passed it over for 50 ms', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const turns = new ConnectionTurns();
    const log: string[] = [];
    const first = operation(log, 'write 0');
    void turns.run(first.work, 'other');
    const read = operation(log, 'read');
    const reading = turns.run(read.work, 'read');
    // Writes keep coming, one waiting behind each running one, for longer than the bound.
    let running = first;
    for (let i = 1; i <= 10 && !log.includes('read'); i++) {
      const next = operation(log, `write ${i}`);
      void turns.run(next.work, 'other');
      await vi.advanceTimersByTimeAsync(10);
      running.finish();
      running = next;
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(log).toContain('read');
    // Passed over by the writes of about 50 ms, not by all of them.
    expect(log.indexOf('read')).toBeLessThanOrEqual(6);
    read.finish();
    expect(await reading).toBe('read');
    running.finish();
  });
});
