import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { DatabaseCpu } from './postgres-cpu.js';
import { processCpuMs } from './process-cpu.js';

/** A server under measurement, running in its own process so that its memory can be read. */
export interface Target {
  name: string;
  url: string;
  /** The server's process id. */
  pid: number;
  /** Resident memory of the server process, in bytes. */
  rss(): Promise<number>;
  /** CPU time the server process has used so far (user + system), in ms; PostgreSQL's own not included. */
  cpuMs(): Promise<number>;
  /** Parley on a PostgreSQL of this machine: its backends' CPU time (postgres-cpu.ts). */
  databaseCpu?: DatabaseCpu;
  /**
   * Runs a full garbage collection in the server (through its inspector), so that a memory
   * reading counts what is alive and not what a burst of handshakes left for the next collection.
   */
  collectGarbage(): Promise<void>;
  /** Whether the process has not exited (by itself or killed). */
  running(): boolean;
  /** Ends the process at once (SIGKILL): a server that runs away must not take the machine with it. */
  kill(): void;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('..', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output()}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not answer /health within 60 s:\n${output()}`);
}

/** Sends one inspector (Chrome DevTools protocol) command to the process behind `inspectorUrl`. */
function inspect(inspectorUrl: string, method: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const session = new WebSocket(inspectorUrl);
    const timer = setTimeout(() => session.terminate(), 30_000);
    session.once('error', reject);
    session.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`${method}: the inspector closed without an answer`));
    });
    session.once('open', () => session.send(JSON.stringify({ id: 1, method })));
    session.on('message', (data: Buffer) => {
      const reply = JSON.parse(String(data)) as { id?: number; error?: { message: string } };
      if (reply.id !== 1) return;
      session.close();
      if (reply.error) reject(new Error(`${method}: ${reply.error.message}`));
      else resolve();
    });
  });
}

async function start(name: string, script: string[], env: Record<string, string>): Promise<Target> {
  const port = await freePort();
  // An inspector on a free port of its own: the load tool asks it for garbage collections.
  const args = ['--inspect=127.0.0.1:0', ...script];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let inspectorUrl: string | undefined;
  const keep = (chunk: Buffer) => {
    inspectorUrl ??= /Debugger listening on (ws:\/\/\S+)/.exec(chunk.toString())?.[1];
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child, () => log);
  if (!inspectorUrl) throw new Error(`no inspector address in the server's output:\n${log}`);
  return {
    name,
    url,
    pid: child.pid!,
    async rss() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
    },
    cpuMs: () => processCpuMs(child.pid!),
    collectGarbage: () => inspect(inspectorUrl!, 'HeapProfiler.collectGarbage'),
    running: () => child.exitCode === null && child.signalCode === null,
    kill: () => child.kill('SIGKILL'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}

/**
 * Parley as an operator runs it. `fromSource` runs src/ through tsx (the smoke test, no build);
 * otherwise the compiled dist/ (what `npm start` runs). With `profileDir`, V8 writes a CPU
 * profile (.cpuprofile) of the server there when it exits. `abuseLimits: 'default'` keeps the
 * README's limits as an operator gets them (the fairness scenario); otherwise they are lifted.
 */
export function startParley(
  env: Record<string, string>,
  fromSource: boolean,
  profileDir?: string,
  abuseLimits: 'lifted' | 'default' = 'lifted',
): Promise<Target> {
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const args = [...profile, ...(fromSource ? ['--import', 'tsx', 'src/main.ts'] : ['dist/main.js'])];
  // The load tool measures capacity, so the abuse limits (README "Security") are lifted.
  const unlimited = {
    RATE_LIMIT_MESSAGES_PER_SECOND: '1000000',
    RATE_LIMIT_MESSAGE_BURST: '1000000',
    RATE_LIMIT_EVENTS_PER_SECOND: '1000000',
    RATE_LIMIT_EVENT_BURST: '1000000',
    RATE_LIMIT_READS_PER_SECOND: '1000000',
    RATE_LIMIT_READ_BURST: '1000000',
    RATE_LIMIT_READ_BYTES_PER_SECOND: String(2 ** 40),
    MAX_CONCURRENT_REQUESTS_PER_USER: '1000000',
    MAX_WAITING_REQUESTS_PER_USER: '1000000',
    MAX_CONNECTIONS_PER_USER: '1000000',
  };
  return start('parley', args, { LOG_LEVEL: 'warn', ...(abuseLimits === 'lifted' ? unlimited : {}), ...env });
}

export function startCeiling(): Promise<Target> {
  return start('ceiling', ['--import', 'tsx', 'bench/ceiling-server.ts'], {});
}
