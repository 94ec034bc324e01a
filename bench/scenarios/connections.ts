import { closeAll, connectAll } from '../clients.js';
import { now, round } from '../stats.js';
import type { Target } from '../targets.js';

export interface ConnectionsResult {
  connections: number;
  handshakesPerSecond: number;
  /** Growth of the server's resident memory per idle connection, in KiB. */
  rssPerConnectionKiB: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
}

/**
 * Opens one idle authenticated socket per token and measures what they cost the server: its
 * resident memory after a full garbage collection, before and with the sockets open. Run it on a
 * fresh server: a heap that earlier scenarios grew has room the sockets fill without new memory.
 */
export async function idleConnections(target: Target, tokens: string[]): Promise<ConnectionsResult> {
  // Warm up code paths and allocator before the baseline.
  closeAll(await connectAll(target.url, tokens.slice(0, 20)));
  await new Promise((resolve) => setTimeout(resolve, 500));
  await target.collectGarbage();
  const before = await target.rss();
  const start = now();
  const sockets = await connectAll(target.url, tokens);
  const seconds = (now() - start) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await target.collectGarbage();
  const after = await target.rss();
  closeAll(sockets);
  // Let the server tear the sockets down (presence runs per disconnect) before the next scenario.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const MiB = 1024 * 1024;
  return {
    connections: tokens.length,
    handshakesPerSecond: round(tokens.length / seconds, 0),
    rssPerConnectionKiB: round((after - before) / tokens.length / 1024, 1),
    rssBeforeMiB: round(before / MiB, 1),
    rssAfterMiB: round(after / MiB, 1),
  };
}
