/** Small tools the chaos suite's modules share. */

/** Resolves after `ms` (at once for a negative wait, so deadlines can be passed as `deadline - now`). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A seeded pseudo-random generator in [0, 1): the same seed gives the same run of choices. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many concrete cases the report keeps per kind (and per list of log lines). */
export const EXAMPLES_KEPT = 8;

/** The concrete cases behind the report's figures: the first EXAMPLES_KEPT of each kind. */
export class Examples {
  readonly all: Record<string, unknown[]> = {};
  add(kind: string, example: unknown): void {
    const list = (this.all[kind] ??= []);
    if (list.length < EXAMPLES_KEPT) list.push(example);
  }
}
