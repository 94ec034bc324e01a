import type { OutboundResult } from './outbound-request.js';

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

/** The outcome of a request's answer: 2xx delivered; anything else (or no answer) a failure. */
export function outcomeOf(result: OutboundResult): DeliveryOutcome {
  if (result.status === null) return { state: 'failed', status: null, error: result.error };
  if (result.status >= 200 && result.status < 300) return { state: 'delivered', status: result.status };
  return { state: 'failed', status: result.status, error: result.body || `HTTP ${result.status}` };
}
