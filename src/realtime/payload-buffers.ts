/**
 * Buffers kept for reuse: large answers (large-answers.ts) are written into them, because the
 * first touch of fresh memory costs a page fault per 4 KiB: ~2 ms for a 0.8 MB chat list in a
 * buffer allocated anew each time, as measured in docs/perf-runs/history.md. The caller gives a
 * buffer back only once nothing reads it any more — for an answer, from Engine.IO's callback for
 * the packet written from it — so no answer is ever written into memory that a socket is still
 * sending; one that is never given back is left to the garbage collector.
 */
export class PayloadBuffers {
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly maxSpare = 4,
    private readonly maxSpareBytes = 4 * 1024 * 1024,
  ) {}

  /** A buffer of at least `bytes` that nothing else holds. */
  take(bytes: number): Buffer {
    const fitting = this.spare.findIndex((buffer) => buffer.length >= bytes);
    if (fitting >= 0) return this.spare.splice(fitting, 1)[0]!;
    return Buffer.allocUnsafeSlow(Math.ceil(bytes / BUFFER_GRANULE) * BUFFER_GRANULE);
  }

  /** `buffer`, no longer read by anyone, for a later take. */
  giveBack(buffer: Buffer): void {
    if (this.spare.length < this.maxSpare && buffer.length <= this.maxSpareBytes) this.spare.push(buffer);
  }
}

const BUFFER_GRANULE = 64 * 1024;
