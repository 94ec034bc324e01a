import { createHmac } from 'node:crypto';

/** The header that carries a webhook's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'parley-signature';

/**
 * The signature of a webhook body, as Stripe and GitHub sign theirs: HMAC-SHA256 with the
 * endpoint's secret over `<t>.<body>` (the unix time in seconds, a dot, the raw body), in hex.
 * The time is signed too, so that a receiver can refuse old deliveries replayed (README "Webhooks").
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmac(secret, unixSeconds, body)}`;
}

function hmac(secret: string, unixSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
}
