import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * A load-tool script in a process of its own, so that its work does not slow the measuring
 * process; driven over IPC.
 */
export interface BenchChild<To, From extends { type: string }> {
  pid: number;
  send(message: To): void;
  /** The child's next message of `type`; rejects if the child exits or `timeoutMs` passes first. */
  next<T extends From['type']>(type: T, timeoutMs: number): Promise<Extract<From, { type: T }>>;
  /** Ends the process at once (SIGKILL). */
  kill(): void;
}

/** Starts `script` (a path from the repository's root) through tsx; its stderr is the load tool's. */
export function forkChild<To, From extends { type: string }>(script: string): BenchChild<To, From> {
  const child = fork(script, [], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return {
    pid: child.pid!,
    send: (message) => void (child.connected && child.send(message as object)),
    next: (type, timeoutMs) =>
      new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const onMessage = (message: From) => {
          if (message.type !== type) return;
          done();
          resolve(message as Extract<From, { type: typeof type }>);
        };
        const onExit = (code: number | null) => {
          done();
          reject(new Error(`${script} exited (${code}) before '${type}'`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${script} did not answer '${type}' within ${timeoutMs} ms`));
        }, timeoutMs);
        child.on('message', onMessage);
        child.on('exit', onExit);
      }),
    kill: () => void child.kill('SIGKILL'),
  };
}
