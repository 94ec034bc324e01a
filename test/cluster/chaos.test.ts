import { describe, expect, it } from 'vitest';
import { formatReport, type ChaosReport } from '../../chaos/report.js';
import { runChaos } from '../../chaos/run-chaos.js';
import { quickSchedule } from '../../chaos/schedule.js';
import { clusterEnv } from '../helpers/cluster-nodes.js';

/**
 * Issue 16 item 7, the short version of `npm run chaos` (docs/chaos.md): three nodes on real
 * PostgreSQL and Redis, each reached through a proxy this suite owns, under steady load from 12
 * clients that follow the reconnect recipe and retry with the same clientMessageId; a node
 * SIGKILLed and restarted, Redis cut, PostgreSQL cut, a rolling restart. Nothing acknowledged may
 * be lost or stored twice, no socket may see a chat's versions go backwards or repeat, every
 * client connected at the end must hold the database's state without having been told to sync,
 * and a graceful shutdown must log no error.
 */
describe.skipIf(!clusterEnv)('chaos (short schedule)', () => {
  it('loses nothing, stores nothing twice, delivers in version order and leaves every view equal to history', async () => {
    const report: ChaosReport = await runChaos({
      schedule: quickSchedule({ steadyMs: 3_000, killDownMs: 2_000, cutMs: 3_000 }),
      sendIntervalMs: 250,
      drainMs: 10_000,
      settleMs: 15_000,
    });
    // The whole table and the examples when something fails: the figures are the evidence.
    const lines = (list: { node: string; line: string }[]) =>
      list.map((l) => `[${l.node}] ${l.line.slice(0, 1_500)}`).join('\n');
    const evidence =
      `${formatReport(report)}\n\nexamples: ${JSON.stringify(report.examples, null, 1)}\n\n` +
      `error-level node log lines (whole run, first few):\n${lines(report.logs.errorExamples)}\n\n` +
      `error-level log lines during graceful shutdowns:\n${lines(report.logs.shutdownErrorExamples)}`;

    expect(report.acked, evidence).toBeGreaterThan(300);
    expect(report.lost, evidence).toBe(0);
    expect(report.ackIdMismatches, evidence).toBe(0);
    expect(report.duplicated, evidence).toBe(0);
    expect(report.live.backwards, evidence).toBe(0);
    expect(report.live.repeated, evidence).toBe(0);
    expect(report.live.liveMissed, evidence).toBe(0);
    expect(report.clientsNotConnectedAtEnd, evidence).toBe(0);
    expect(report.missedAtEnd, evidence).toBe(0);
    expect(report.finalViewMismatches, evidence).toBe(0);
    expect(
      report.logs.gracefulStops.map((stop) => stop.exit?.code),
      evidence,
    ).toEqual([0, 0, 0]);
    // Verbatim lines are in `evidence`; the assertion names them briefly.
    expect(
      report.logs.shutdownErrorExamples.map((line) => `[${line.node}] ${line.line.slice(0, 240)}`),
      evidence,
    ).toEqual([]);
    expect(report.failures, evidence).toEqual([]);
  }, 180_000);
});
