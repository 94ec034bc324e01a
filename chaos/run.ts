import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport } from './report.js';
import { runChaos } from './run-chaos.js';
import { fullSchedule, quickSchedule } from './schedule.js';

/**
 * `npm run chaos` — Parley's chaos suite against DATABASE_URL (PostgreSQL) and REDIS_URL.
 *
 *   npm run chaos                       the full schedule (~4 min): 30 s steady phases, 10 s cuts
 *   npm run chaos -- --quick            the short schedule of `npm test` (~1 min)
 *   npm run chaos -- --out run.json     also write the whole report (examples included) as JSON
 *   npm run chaos -- --seed 42 --steady 20 --cut 10 --interval 200
 *
 * Prints the figures as a Markdown table and exits 1 if a correctness check failed (lost,
 * duplicated, backwards/repeated versions, views differing from the database, error lines during
 * graceful shutdowns), 2 if the run itself could not be carried out.
 */

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    seed: { type: 'string' },
    steady: { type: 'string' },
    cut: { type: 'string' },
    interval: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const seconds = (value: string | undefined) => (value === undefined ? undefined : Number(value) * 1000);
const scheduleOptions = { steadyMs: seconds(values.steady), cutMs: seconds(values.cut) };

if (!process.env.DATABASE_URL?.match(/^postgres(ql)?:/) || !process.env.REDIS_URL?.match(/^rediss?:/)) {
  console.error(
    'npm run chaos needs DATABASE_URL=postgres://… and REDIS_URL=redis://… (it cuts them through proxies of its own).',
  );
  process.exit(2);
}

try {
  const report = await runChaos({
    schedule: values.quick ? quickSchedule(scheduleOptions) : fullSchedule(scheduleOptions),
    seed: values.seed === undefined ? undefined : Number(values.seed),
    sendIntervalMs: values.interval === undefined ? undefined : Number(values.interval),
    log: values.quiet ? undefined : (line) => console.log(line),
  });
  console.log(`\n${formatReport(report)}\n`);
  const noteworthy = Object.entries(report.examples);
  if (noteworthy.length > 0) {
    console.log('Examples (first few of each):');
    for (const [kind, list] of noteworthy) {
      console.log(`  ${kind}:`);
      for (const example of list.slice(0, 3)) console.log(`    ${JSON.stringify(example)}`);
    }
  }
  if (report.logs.shutdownErrorExamples.length > 0) {
    console.log('\nError-level lines during graceful shutdowns (first few, verbatim):');
    for (const line of report.logs.shutdownErrorExamples) {
      const stop = report.logs.gracefulStops.find((s) => s.node === line.node);
      const after = stop ? ` ${line.at - stop.sigtermAt} ms after SIGTERM` : '';
      console.log(`  [${line.node}${after}] ${line.line}`);
    }
  }
  if (report.logs.errorExamples.length > 0) {
    console.log('\nError-level node log lines (first few, verbatim):');
    for (const line of report.logs.errorExamples)
      console.log(`  [${line.node} +${(line.at / 1000).toFixed(1)}s] ${line.line}`);
  }
  if (values.out) {
    await mkdir(path.dirname(path.resolve(values.out)), { recursive: true });
    await writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nreport written to ${values.out}`);
  }
  process.exit(report.failures.length === 0 ? 0 : 1);
} catch (error) {
  console.error('chaos run could not be carried out:', error);
  process.exit(2);
}
