import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { processCpuMs } from './process-cpu.js';

/**
 * CPU time of the PostgreSQL backends serving one database: where Parley on PostgreSQL does much
 * of a send's work, which the server process's own CPU time leaves out. Read from /proc, so only
 * for a PostgreSQL on this machine.
 */
export interface DatabaseCpu {
  /** CPU ms used so far by each backend connected to the database (this reader's excepted), by process id. */
  read(): Promise<Map<number, number>>;
  close(): Promise<void>;
}

const LOCAL_HOSTS = new Set(['', 'localhost', '127.0.0.1', '[::1]']);

/** The backends' CPU time between two readings; a backend that exited meanwhile is not counted. */
export function cpuSpentMs(before: Map<number, number>, after: Map<number, number>): number {
  let spent = 0;
  for (const [pid, ms] of after) spent += ms - (before.get(pid) ?? 0);
  return spent;
}

/** Undefined when the database is on another machine. */
export async function postgresCpu(url: string): Promise<DatabaseCpu | undefined> {
  if (!LOCAL_HOSTS.has(new URL(url).hostname)) return undefined;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    async read() {
      const { rows } = await client.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      const readings = new Map<number, number>();
      for (const { pid } of rows) {
        try {
          const command = await readFile(`/proc/${pid}/comm`, 'utf8');
          if (command.startsWith('postgres')) readings.set(pid, await processCpuMs(pid));
        } catch {
          // exited since the query
        }
      }
      return readings;
    },
    close: () => client.end(),
  };
}
