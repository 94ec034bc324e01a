import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { afterAll, beforeAll } from 'vitest';
import { io as connectClient } from 'socket.io-client';
import type { Message } from '../../src/protocol/types.js';
import { ask, GENEROUS_LIMITS, TEST_JWT_SECRET, type ClientSocket } from './server.js';

/**
 * Parley nodes as real child processes (`node --import tsx src/main.ts`), for the multi-node and
 * crash tests: a node can be SIGKILLed or SIGTERMed like in production, and its exit code read.
 *
 * The PostgreSQL server and Redis come from DATABASE_URL / REDIS_URL (set by .ci/run). In CI a
 * missing one fails the run; on a developer machine the cluster suites are skipped, loudly.
 */

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const postgres = process.env.DATABASE_URL?.match(/^postgres(ql)?:/) ? process.env.DATABASE_URL : undefined;
const redis = process.env.REDIS_URL?.match(/^rediss?:/) ? process.env.REDIS_URL : undefined;

function requireOrWarn(missing: string[], what: string): void {
  if (missing.length === 0) return;
  if (process.env.CI) throw new Error(`CI must set ${missing.join(' and ')}: ${what} would be skipped`);
  const line = '*'.repeat(96);
  console.warn(
    `\n${line}\n*** ${missing.join(' and ')} not set: SKIPPING ${what}.\n` +
      `*** Run .ci/run, or set DATABASE_URL=postgres://… and REDIS_URL=redis://… to run them.\n${line}\n`,
  );
}

/** Set when both a PostgreSQL server and Redis are available; the cluster suites skip otherwise. */
export const clusterEnv: { databaseUrl: string; redisUrl: string } | undefined = (() => {
  const missing = [...(postgres ? [] : ['DATABASE_URL (PostgreSQL)']), ...(redis ? [] : ['REDIS_URL'])];
  requireOrWarn(
    missing,
    postgres ? 'the multi-node suites of test/cluster' : 'every suite of test/cluster (multi-node and database outage)',
  );
  return postgres && redis ? { databaseUrl: postgres, redisUrl: redis } : undefined;
})();

/** The PostgreSQL server alone, for the in-process database-outage suite. */
// clusterEnv above has already warned (or thrown in CI) when DATABASE_URL is missing.
export const postgresUrl: string | undefined = postgres;

/** A Redis key prefix of its own, so that each test file is its own deployment. */
export function uniqueRedisPrefix(): string {
  return `parley-test-${randomUUID().slice(0, 12)}`;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ClusterNode {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  readonly running: boolean;
  /** Sends `signal` and resolves with the exit, or rejects if it has not exited within `ms`. */
  stop(signal: 'SIGKILL' | 'SIGTERM', ms?: number): Promise<Exit>;
  /** Resolves with the exit, or rejects if the process is still running after `ms`. */
  waitExit(ms: number): Promise<Exit>;
  /** Sends `signal` without waiting. */
  signal(signal: 'SIGKILL' | 'SIGTERM'): void;
  /** The last lines the node wrote to stdout/stderr (for failure messages). */
  output(): string;
}

const READY_TIMEOUT_MS = 20_000;
const OUTPUT_KEEP = 20_000;
const liveNodes = new Set<ClusterNode>();
const children = new Set<ChildProcess>();

// Last resort if a test file dies without its afterAll: no node may outlive the test process.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface NodeOptions {
  name: string;
  redisPrefix: string;
  env?: Record<string, string>;
}

/** Starts a node on a free port and resolves once GET /ready answers 200. */
export async function startNode(options: NodeOptions): Promise<ClusterNode> {
  if (!clusterEnv) throw new Error('startNode needs DATABASE_URL and REDIS_URL');
  let lastError: unknown;
  // The free port can be taken between probing and binding; try another one then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const node = spawnNode(options, port);
    try {
      await waitReady(node);
      return node;
    } catch (error) {
      lastError = error;
      if (node.running) await node.stop('SIGKILL').catch(() => {});
      if (!/EADDRINUSE/.test(node.output())) break;
    }
  }
  throw lastError;
}

function spawnNode({ name, redisPrefix, env = {} }: NodeOptions, port: number): ClusterNode {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: clusterEnv!.databaseUrl,
      REDIS_URL: clusterEnv!.redisUrl,
      REDIS_PREFIX: redisPrefix,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'warn',
      // Bursts here test delivery, not the rate limits (test/limits does).
      ...GENEROUS_LIMITS,
      ...env,
    },
  });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_KEEP);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let running = true;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      children.delete(child);
      liveNodes.delete(node);
      resolve({ code, signal });
    });
  });
  const send = (signal: NodeJS.Signals) => {
    if (running) child.kill(signal);
  };
  const waitExit = async (ms: number): Promise<Exit> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} still running after ${ms} ms:\n${output}`)), ms);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const node: ClusterNode = {
    name,
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    exited,
    get running() {
      return running;
    },
    signal: send,
    stop(signal, ms = 12_000) {
      send(signal);
      return waitExit(ms);
    },
    waitExit,
    output: () => output,
  };
  liveNodes.add(node);
  return node;
}

async function waitReady(node: ClusterNode): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let gone = false;
  void node.exited.then(() => {
    gone = true;
  });
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${node.name} exited before it was ready:\n${node.output()}`);
    if ((await readyStatus(node)) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${node.name} not ready within ${READY_TIMEOUT_MS} ms:\n${node.output()}`);
}

/** GET /ready's status, or 'down' when nothing answers on the port. */
export async function readyStatus(node: { url: string }): Promise<number | 'down'> {
  try {
    const response = await fetch(`${node.url}/ready`, { signal: AbortSignal.timeout(3_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 'down';
  }
}

/**
 * Kills (SIGKILL) every node this test file started that is still running, and waits for them;
 * for afterAll. Covers nodes of a beforeAll that failed half-way, which no variable holds.
 */
export async function killAllNodes(): Promise<void> {
  await Promise.all([...liveNodes].map((node) => node.stop('SIGKILL').catch(() => {})));
}

/** Deletes every Redis key of one test deployment (its stream, and whatever else it keeps under the prefix). */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  if (!clusterEnv) return;
  const client = createClient({ url: clusterEnv.redisUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await client.del(keys);
  } finally {
    await client.quit().catch(() => client.destroy());
  }
}

/** Every message of a chat, oldest first, paged backwards with `before` (bounded). */
export async function fullHistory(socket: ClientSocket, chatId: string): Promise<Message[]> {
  const pages: Message[][] = [];
  let before: string | undefined;
  for (let page = 0; page < 100; page++) {
    const answer = await ask(socket, 'get_chat_messages', { chatId, limit: 100, ...(before ? { before } : {}) });
    if (!answer.success) throw new Error(`get_chat_messages failed: ${JSON.stringify(answer)}`);
    pages.unshift(answer.messages);
    if (!answer.hasMore) return pages.flat();
    before = answer.messages[0].id;
  }
  throw new Error('history longer than 10 000 messages');
}

const clusterSockets = new Set<ClientSocket>();

/**
 * A Socket.IO client (websocket only) to `node`, resolved on `connect`. With `reconnect` it
 * reconnects automatically after a short delay, as a browser client would; the server restores no
 * rooms on a reconnection (no connection-state recovery), so the client joins its chats again and
 * syncs (contract §5).
 */
export function connectTo(
  node: { url: string },
  token: string,
  options: { reconnect?: boolean } = {},
): Promise<ClientSocket> {
  const socket: ClientSocket = connectClient(node.url, {
    transports: ['websocket'],
    forceNew: true,
    auth: { token },
    reconnection: options.reconnect ?? false,
    reconnectionDelay: 300,
    reconnectionDelayMax: 300,
    randomizationFactor: 0,
  });
  clusterSockets.add(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

export function closeClusterSockets(): void {
  for (const socket of clusterSockets) socket.close();
  clusterSockets.clear();
}

/**
 * Resolves once `predicate()` holds, re-checking whenever `socket` receives `event`; rejects after
 * `ms`. For "the N-th event has arrived" without polling on a timer.
 */
export function untilEvent(socket: ClientSocket, event: string, predicate: () => boolean, ms = 5_000): Promise<void> {
  const raw = socket as unknown as { on(e: string, f: () => void): void; off(e: string, f: () => void): void };
  return new Promise((resolve, reject) => {
    if (predicate()) return resolve();
    const timer = setTimeout(() => {
      raw.off(event, check);
      reject(new Error(`condition not met after ${ms} ms of ${event} events`));
    }, ms);
    function check() {
      // Deferred: a collect() listener registered after this one must have run first.
      queueMicrotask(() => {
        if (!predicate()) return;
        clearTimeout(timer);
        raw.off(event, check);
        resolve();
      });
    }
    raw.on(event, check);
  });
}

/**
 * Nodes named `names`, sharing PostgreSQL and one Redis key prefix, for the enclosing `describe`:
 * started before its tests; after the last, their sockets closed, the nodes killed and the keys
 * dropped. The returned object is filled in by the time the tests (and later beforeAlls) run.
 */
export function useClusterNodes<const Name extends string>(...names: Name[]): Record<Name, ClusterNode> {
  return useClusterNodesWith({}, ...names);
}

/**
 * As useClusterNodes, every node started with `env` added to its environment. The object is read
 * when the nodes start, so a beforeAll registered earlier can still fill it in (ownDatabaseEnv).
 */
export function useClusterNodesWith<const Name extends string>(
  env: Record<string, string>,
  ...names: Name[]
): Record<Name, ClusterNode> {
  const prefix = uniqueRedisPrefix();
  const nodes = {} as Record<Name, ClusterNode>;
  beforeAll(async () => {
    const started = await Promise.all(names.map((name) => startNode({ name, redisPrefix: prefix, env: { ...env } })));
    names.forEach((name, i) => (nodes[name] = started[i]!));
  });
  afterAll(async () => {
    closeClusterSockets();
    await killAllNodes();
    await dropRedisPrefix(prefix);
  });
  return nodes;
}
