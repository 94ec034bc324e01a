import { execFile } from 'node:child_process';
import { availableParallelism, setPriority } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Where the fairness scenario runs its processes. The attacker's client is the attacker's own
 * machine's work, and the measuring clients are the others' devices: on a shared machine their
 * CPU would count against the server's fairness. So, when the machine has at least two CPUs and
 * `taskset` (util-linux) is there, the server gets CPU 0 to itself, the load tool and the
 * attacker share the others, and the attacker runs at the lowest priority there, so that the
 * measuring clients read their answers as soon as they arrive. The quiet run and the flood run
 * the same placement; a database server of the machine (PostgreSQL) keeps its own.
 */
export interface CpuPlacement {
  /** What was placed where, or why nothing was. */
  description: string;
  /** Pins the attacker's process (and its threads) beside the load tool, at the lowest priority. */
  placeAttacker(pid: number): Promise<void>;
  /** Gives the load tool every CPU again. */
  release(): Promise<void>;
}

const LOWEST_PRIORITY = 19;

/** Sets the CPUs of every thread of `pid` to `cpus` (a taskset list, e.g. "0" or "1-3"). */
const pin = (pid: number, cpus: string) => run('taskset', ['--all-tasks', '--cpu-list', '--pid', cpus, String(pid)]);

export async function placeForFairness(serverPid: number): Promise<CpuPlacement> {
  const count = availableParallelism();
  const unplaced = (why: string): CpuPlacement => ({
    description: `none: ${why}`,
    placeAttacker: async () => {},
    release: async () => {},
  });
  if (count < 2) return unplaced('one CPU');
  const clients = count === 2 ? '1' : `1-${count - 1}`;
  try {
    await pin(serverPid, '0');
    await pin(process.pid, clients);
  } catch (error) {
    return unplaced(`taskset failed (${(error as Error).message.split('\n')[0]})`);
  }
  return {
    description: `server on CPU 0; load tool and attacker (nice ${LOWEST_PRIORITY}) on CPU ${clients}`,
    async placeAttacker(pid) {
      await pin(pid, clients);
      setPriority(pid, LOWEST_PRIORITY);
    },
    release: () => pin(process.pid, `0-${count - 1}`).then(() => {}),
  };
}
