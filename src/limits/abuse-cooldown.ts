/** The refusal of a cut-off user's connections (connect_error, RATE_LIMITED with `retryAfterMs`). */
export const CUT_OFF_TEXT = 'Слишком много отклонённых запросов: подключения временно не принимаются';

/**
 * A user who keeps sending past their limits, however politely each request is refused, still
 * costs the server every refusal: decoding the event, checking it, answering it, on the one core
 * the other users share. Past `maxRefusals` refusals within a window of WINDOW_MS, the user is
 * cut off for `cooldownMs`: their sockets on this node are closed (`onCutOff`), and their new
 * connections are refused with RATE_LIMITED and the time left, which costs one handshake per
 * attempt instead of one answer per event. A client that honours `retryAfterMs` never gets here.
 *
 * Counted per node, in memory, like the refusals remembered by RateLimits: a user spread over
 * several nodes is cut off by each node that sees them abuse it.
 */
export class AbuseCooldown {
  /** Refusals per user in the current window, and when that window started. */
  private readonly refusals = new Map<string, { count: number; since: number }>();
  /** Users cut off, until when (performance.now()). */
  private readonly cutOffUntil = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly settings: { maxRefusals: number; cooldownMs: number },
    private readonly onCutOff: (userId: string) => void,
  ) {}

  /** A request of `userId` was refused by a rate limit. */
  refused(userId: string): void {
    if (this.settings.maxRefusals === 0) return;
    const now = performance.now();
    let window = this.refusals.get(userId);
    if (!window || now - window.since >= WINDOW_MS) {
      this.sweep(now);
      window = { count: 0, since: now };
      this.refusals.set(userId, window);
    }
    if (++window.count <= this.settings.maxRefusals) return;
    this.refusals.delete(userId);
    this.cutOffUntil.set(userId, now + this.settings.cooldownMs);
    this.onCutOff(userId);
  }

  /** Milliseconds until `userId` may connect again; 0 when they may now. */
  msLeft(userId: string): number {
    const until = this.cutOffUntil.get(userId);
    if (until === undefined) return 0;
    const left = until - performance.now();
    if (left > 0) return Math.ceil(left);
    this.cutOffUntil.delete(userId);
    return 0;
  }

  /** Forgets ended windows and cooldowns, once a window, so that memory follows the users active now. */
  private sweep(now: number): void {
    if (now - this.lastSweep < WINDOW_MS) return;
    this.lastSweep = now;
    for (const [userId, window] of this.refusals) if (now - window.since >= WINDOW_MS) this.refusals.delete(userId);
    for (const [userId, until] of this.cutOffUntil) if (until <= now) this.cutOffUntil.delete(userId);
  }
}

/** The window refusals are counted in. */
export const WINDOW_MS = 10_000;
