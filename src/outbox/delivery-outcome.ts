/** How one attempt at a delivery ended, as the outbox worker records it. */
export type DeliveryOutcome =
  /** The receiver accepted it (a 2xx status). */
  | { state: 'delivered'; status: number }
  /** Not needed any more (a push to a user who is connected). */
  | { state: 'skipped' }
  /** Failed: retried later, or parked after the last attempt. */
  | { state: 'failed'; status: number | null; error: string }
  /** The push subscription is gone (404 / 410): removed with its pending pushes. */
  | { state: 'gone' };
