import { readFile } from 'node:fs/promises';

/** CPU time process `pid` has used so far (user + system), in ms. */
export async function processCpuMs(pid: number): Promise<number> {
  // /proc/PID/stat: utime and stime, in clock ticks (100 per second on Linux, so 10 ms steps),
  // are the 12th and 13th fields after the parenthesised command name.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
