import { randomUUID } from 'node:crypto';
import type { OutboxSettings } from '../config.js';
import type { ClaimedDelivery } from '../store/outbox.js';
import type { Store } from '../store/store.js';
import type { DeliveryOutcome } from './delivery-outcome.js';

/** Deliveries claimed at once by a node, sent side by side (each of a different endpoint and chat, or a push). */
const CLAIM_BATCH = 32;
/** How often a node sweeps the outbox of old deliveries done. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

/** Sends one claimed delivery of a kind; never throws (a failure is an outcome). */
export type Deliverer = (delivery: ClaimedDelivery) => Promise<DeliveryOutcome>;

/**
 * Every node's sender of the outbox (store/outbox.ts): claims what is due, sends it, and records
 * the outcome. After a round that sent something it claims again at once (the next event of each
 * chat is due as soon as the one before it is delivered); otherwise it waits OUTBOX_POLL_MS. A
 * claim is a lease of twice the request timeout and more: a node that dies holding one leaves its
 * deliveries to the others once it runs out, so each is sent at least once.
 */
export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;
  private lastSweep = 0;

  constructor(
    private readonly store: Store,
    private readonly settings: OutboxSettings,
    private readonly deliver: Deliverer,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The lease of a claim: the longest a delivery can take, and a margin. */
  get leaseMs(): number {
    return this.settings.requestTimeoutMs * 2 + 5_000;
  }

  /** Starts (or restarts after stop) claiming and sending. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops claiming and waits for the round in progress (its deliveries are recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.runRound().then((sent) => this.schedule(sent > 0 ? 0 : this.settings.pollIntervalMs));
    }, delayMs);
  }

  /** One claim and its deliveries; resolves with how many were claimed. */
  private async runRound(): Promise<number> {
    try {
      if (Date.now() - this.lastSweep > SWEEP_INTERVAL_MS) {
        this.lastSweep = Date.now();
        await this.store.outbox.sweepDone();
      }
      const leaseToken = randomUUID();
      const claimed = await this.store.outbox.claim(CLAIM_BATCH, this.leaseMs, leaseToken);
      await Promise.all(claimed.map((delivery) => this.send(delivery, leaseToken)));
      return claimed.length;
    } catch (error) {
      this.onError(error);
      return 0;
    }
  }

  private async send(delivery: ClaimedDelivery, leaseToken: string): Promise<void> {
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.deliver(delivery);
    } catch (error) {
      outcome = { state: 'failed', status: null, error: (error as Error).message };
    }
    switch (outcome.state) {
      case 'delivered':
        return this.store.outbox.done(delivery.id, leaseToken, { state: 'delivered', status: outcome.status });
      case 'skipped':
        return this.store.outbox.done(delivery.id, leaseToken, { state: 'skipped', status: null });
      case 'gone':
        if (delivery.kind === 'push') await this.store.pushSubscriptions.expire(delivery.subscriptionId);
        return;
      case 'failed':
        return this.store.outbox.failed(delivery.id, leaseToken, outcome, this.settings);
    }
  }
}
