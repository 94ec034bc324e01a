import type { Socket } from 'socket.io-client';
import { ask, closeAll, connectClient } from '../clients.js';
import { now, round, summarize, type LatencySummary } from '../stats.js';
import type { Target } from '../targets.js';

/**
 * Calls made before the measured ones. A server's first answers to a kind of request pay for
 * compiling it (V8's JIT, and in PGlite WASM PostgreSQL's tier-up): about the first thirty chat
 * lists ran 1.5–3× slower than the rest. A server that has been up for a while no longer pays
 * that, so the figures are taken after it, and the warm-up's own latencies are reported beside
 * them rather than dropped.
 */
export const WARM_UP_CALLS = 30;

export interface ReadLatency {
  /** The measured calls, after the warm-up. */
  measured: LatencySummary;
  warmUp: LatencySummary;
  /**
   * The server process's CPU time per measured call: what the server itself spent, which the
   * machine's noise (and the load tool's own share of the cores) disturbs far less than latency.
   */
  serverCpuMsPerCall: number;
}

/**
 * Times WARM_UP_CALLS calls of `request`, then `calls` more; `i` numbers every call, warm-up
 * first (0 … WARM_UP_CALLS + calls − 1), so that the two never share an input.
 */
function timeCalls(
  target: Target,
  socket: Socket,
  calls: number,
  request: (socket: Socket, i: number) => Promise<void>,
): Promise<ReadLatency> {
  return timeCallsAfter(target, socket, WARM_UP_CALLS, calls, request);
}

/** timeCalls with `warmUpCalls` warm-up calls. */
async function timeCallsAfter(
  target: Target,
  socket: Socket,
  warmUpCalls: number,
  calls: number,
  request: (socket: Socket, i: number) => Promise<void>,
): Promise<ReadLatency> {
  let i = 0;
  const time = async (count: number) => {
    const latencies: number[] = [];
    for (const end = i + count; i < end; i++) {
      const t0 = now();
      await request(socket, i);
      latencies.push(now() - t0);
    }
    return summarize(latencies);
  };
  const warmUp = await time(warmUpCalls);
  const cpuBefore = await target.cpuMs();
  const measured = await time(calls);
  return { warmUp, measured, serverCpuMsPerCall: round(((await target.cpuMs()) - cpuBefore) / calls) };
}

/**
 * get_chat_messages pages (before = each cursor, i.e. at random depths), one at a time: the first
 * WARM_UP_CALLS cursors warm up, the rest are measured.
 */
export async function historyPages(
  target: Target,
  token: string,
  chatId: string,
  cursorIds: string[],
): Promise<ReadLatency> {
  const socket = await connectClient(target.url, token);
  try {
    return await timeCalls(target, socket, cursorIds.length - WARM_UP_CALLS, async (s, i) => {
      const page = await ask<{ messages: unknown[] }>(s, 'get_chat_messages', {
        chatId,
        before: cursorIds[i],
        limit: 50,
      });
      if (page.messages.length === 0) throw new Error('empty history page');
    });
  } finally {
    closeAll([socket]);
  }
}

/** The first page of the chat list a client asks for (get_my_chats `{limit}`), when it pages. */
export const CHAT_LIST_PAGE = 50;

/**
 * get_my_chats, `repeat` times, for a user in many chats: the seed's call (every chat), or with
 * `page` the list's first page of CHAT_LIST_PAGE chats.
 */
export async function chatList(
  target: Target,
  token: string,
  repeat: number,
  expectChats: number,
  page = false,
): Promise<ReadLatency> {
  const socket = await connectClient(target.url, token);
  try {
    return await timeCalls(target, socket, repeat, async (s) => {
      const answer = page
        ? await ask<{ chats: unknown[] }>(s, 'get_my_chats', { limit: CHAT_LIST_PAGE })
        : await ask<{ chats: unknown[] }>(s, 'get_my_chats');
      if (answer.chats.length !== expectChats)
        throw new Error(`expected ${expectChats} chats, got ${answer.chats.length}`);
    });
  } finally {
    closeAll([socket]);
  }
}

export interface SyncCatchUp {
  /** One `sync` page (100 changes of one chat), after a warm-up catch-up. */
  page: ReadLatency;
  /** The measured catch-ups from version 0 to the chat's version, each ms. */
  catchUpMs: number[];
  changes: number;
}

/**
 * A client that missed `changes` changes of one chat catches up with `sync` from version 0, page by
 * page (hasMore), as the reconnect recipe does: one whole catch-up warms up, `rounds` more are
 * measured, each page timed.
 */
export async function syncCatchUp(
  target: Target,
  token: string,
  chatId: string,
  changes: number,
  rounds: number,
): Promise<SyncCatchUp> {
  const socket = await connectClient(target.url, token);
  try {
    const pagesPerCatchUp = Math.ceil(changes / 100);
    const catchUpMs: number[] = [];
    let version = 0;
    let started = 0;
    const page = await timeCallsAfter(target, socket, pagesPerCatchUp, pagesPerCatchUp * rounds, async (s, i) => {
      if (i % pagesPerCatchUp === 0) {
        version = 0;
        started = now();
      }
      const answer = await ask<{ chats: [{ version: number; messages: unknown[]; hasMore: boolean }] }>(s, 'sync', {
        chats: [{ chatId, version }],
      });
      const [entry] = answer.chats;
      if (entry.messages.length === 0) throw new Error('empty sync page');
      version = entry.version;
      const last = i % pagesPerCatchUp === pagesPerCatchUp - 1;
      if (last !== !entry.hasMore) throw new Error(`sync page ${i}: hasMore ${entry.hasMore}`);
      if (last) {
        if (version !== changes) throw new Error(`caught up to ${version}, not ${changes}`);
        if (i >= pagesPerCatchUp) catchUpMs.push(round(now() - started));
      }
    });
    return { page, catchUpMs, changes };
  } finally {
    closeAll([socket]);
  }
}
