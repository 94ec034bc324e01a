import { ParleyError } from '../../sdk/index.js';
import { errorText } from './i18n/index.js';
import { ApiError } from './http-api.js';

/**
 * What to show for anything a request threw, in the page's language: the server's answer by its
 * code (a socket answer's ParleyError, an HTTP answer's ApiError); no answer in time is TIMEOUT
 * (socket.io-client's ack timeout), anything else (fetch's "Failed to fetch") OFFLINE.
 */
export function failureText(error: unknown): string {
  return errorText(failureOf(error));
}

export function failureOf(error: unknown): { code: string; error?: string } {
  if (error instanceof ParleyError || error instanceof ApiError) return { code: error.code, error: error.message };
  if (error instanceof Error && /timed out/i.test(error.message)) return { code: 'TIMEOUT' };
  return { code: 'OFFLINE' };
}
