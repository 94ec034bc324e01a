import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { checkedLookup, checkHost, hostOf } from './public-address.js';

/** What the outbox sends: one POST (a webhook or a push message). */
export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** How a call ended: the status and the first bytes of the answer, or no answer at all. */
export type OutboundResult = { status: number; body: string } | { status: null; error: string };

/** Bytes of an answer read at most: enough for an error message, never a flood. */
export const MAX_ANSWER_BYTES = 4 * 1024;

/**
 * Sends one POST to the outside, bounded: `timeoutMs` for the whole exchange, MAX_ANSWER_BYTES of
 * the answer read (the rest dropped with the connection), no redirects followed, and the address
 * checked as public-address.ts says (the connection's own lookup; an IP literal before connecting).
 */
export async function sendOutbound(
  request: OutboundRequest,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<OutboundResult> {
  const url = new URL(request.url);
  try {
    if (isIP(hostOf(url))) await checkHost(hostOf(url), options.allowPrivate);
  } catch (error) {
    return { status: null, error: (error as Error).message };
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<OutboundResult>((resolve) => {
    let settled = false;
    const settle = (result: OutboundResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const outgoing = client.request(
      url,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        lookup: checkedLookup(options.allowPrivate),
        agent: false,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          settle({ status: answer.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8', 0, size) });
          answer.destroy();
        };
        answer.on('data', (chunk: Buffer) => {
          const room = MAX_ANSWER_BYTES - size;
          chunks.push(chunk.subarray(0, room));
          size += Math.min(chunk.length, room);
          if (size >= MAX_ANSWER_BYTES) finish();
        });
        answer.on('end', finish);
        answer.on('error', finish);
      },
    );
    const timer = setTimeout(() => {
      outgoing.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    outgoing.on('error', (error) => settle({ status: null, error: error.message }));
    outgoing.end(request.body);
  });
}
