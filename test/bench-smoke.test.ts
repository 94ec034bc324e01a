import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/** `npm run bench` at a tiny size, so that the load tool cannot rot. Figures (timings) are not judged here. */
describe('npm run bench --smoke', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('measures the ceiling and Parley on every store, then a big room, fairness under a flood and message search on one store each, and writes the results', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-bench-smoke-'));
    const out = path.join(dir, 'results.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--smoke', '--from-source', '--out', out],
      { timeout: 260_000, maxBuffer: 10 * 1024 * 1024 },
    );
    expect(stdout).toContain('| metric');
    expect(stdout).toContain('| big room');
    expect(stdout).toContain('| fairness');
    expect(stdout).toContain('| search');
    const report = JSON.parse(await readFile(out, 'utf8'));
    const parleys = ['parley/pglite', ...(process.env.DATABASE_URL?.startsWith('postgres') ? ['parley/postgres'] : [])];
    expect(report.results.map((r: { target: string }) => r.target)).toEqual(['ceiling', ...parleys]);
    // After capacity, each scenario runs on one store in the smoke run: PostgreSQL and PGlite in turn.
    const [first, second = first] = parleys as [string, string?];
    for (const result of report.results) {
      expect(result.saturated.ackedPerSecond).toBeGreaterThan(0);
      expect(result.saturated.errors).toBe(0);
      expect(result.openLoop.errors).toBe(0);
      expect(result.openLoop.ack.count).toBe(result.openLoop.sent);
      expect(result.openLoop.delivery.count).toBeGreaterThan(0);
      expect(result.connections.handshakesPerSecond).toBeGreaterThan(0);
      if (result.target !== 'ceiling') {
        expect(result.history.measured.count).toBe(report.settings.samples);
        expect(result.history.warmUp.count).toBeGreaterThan(0);
        expect(result.chatList.measured.count).toBe(report.settings.repeats);
        expect(result.chatList.warmUp.count).toBeGreaterThan(0);
        expect(result.chatListPage.measured.count).toBe(report.settings.repeats);
        // One measured catch-up of every missed change, page by page (the scenario checks each page).
        expect(result.sync.changes).toBe(report.settings.syncChanges);
        expect(result.sync.catchUpMs).toHaveLength(report.settings.syncRounds);
        expect(result.sync.page.measured.count).toBe((report.settings.syncChanges / 100) * report.settings.syncRounds);
      }
    }

    expect(report.bigRoom.map((r: { target: string }) => r.target)).toEqual(['ceiling', second]);
    const { members, sampled } = report.settings.room;
    const localPostgres = /@(127\.0\.0\.1|localhost)[:/]/.test(process.env.DATABASE_URL ?? '');
    for (const result of report.bigRoom) {
      expect(result.members).toBe(members);
      expect(result.connecting.settled).toBe(true);
      for (const run of [result.warmUp, result.measured]) {
        const { sample, others } = run;
        expect(sample.errors).toBe(0);
        expect(sample.ack.count).toBe(sample.sent);
        // Every member received every message: the sample in the load tool, the others in their own process.
        expect(sample.delivery.count).toBe(sample.deliveriesExpected);
        expect(others.members).toBe(members - sampled);
        expect(others.expected).toBe(sample.ack.count * others.members);
        expect(others.delivered).toBe(others.expected);
        expect(others.delivery.count).toBe(others.delivered);
        expect(others.closedByServer).toBe(0);
        expect(run.deliveries).toBe(sample.ack.count * members);
        expect(Number.isFinite(run.serverCpuUsPerDelivery)).toBe(true);
        // PostgreSQL's backends' CPU time is read when they run on this machine (as .ci/run's do).
        expect(Number.isFinite(run.databaseCpuUsPerDelivery)).toBe(
          result.target === 'parley/postgres' && localPostgres,
        );
      }
    }
    // In a room within PRESENCE_MAX_CHAT_MEMBERS (the smoke test's 30 members), Parley announces each
    // member's arrival (user_online) to the members online; the ceiling has no presence.
    for (const result of report.bigRoom.slice(1)) expect(result.connecting.events.user_online).toBeGreaterThan(0);

    expect(report.fairness.map((r: { target: string }) => r.target)).toEqual([first]);
    for (const result of report.fairness) {
      // The others chatted in both runs; every send is accounted for as acknowledged or failed.
      for (const run of [result.quiet, result.flood]) {
        expect(run.ack.count).toBeGreaterThan(0);
        expect(run.ack.count + run.errors).toBe(run.sent);
        expect(run.delivery.count).toBeGreaterThan(0);
      }
      expect(result.quiet.errors).toBe(0);
      expect(result.rss.quietPeakMiB).toBeGreaterThan(0);
      expect(result.rss.floodPeakMiB).toBeGreaterThan(0);
      // The small flood of the smoke size leaves the server up.
      expect(result.server).toBe('alive');
      // The server alone on one CPU where there are two (CI's machines), else told why not.
      expect(result.cpuPlacement).toMatch(/^(server on CPU 0; |none: )/);
      expect(result.goals.alive).toBe(true);
      // Every attacker connection opened, and each kind of request was valid: answered, served or
      // refused by a limit, never failed. The reads share one budget and run one at a time, so
      // which of them are served during the flood depends on who got there first: each read was
      // served once before it, and edits during it.
      const attacker = result.attacker;
      expect(attacker.connections.opened).toBeGreaterThanOrEqual(report.settings.fairness.attackerSockets);
      for (const kind of ['history', 'chatList', 'edits']) {
        expect(attacker.answers[kind].served + attacker.answers[kind].refused).toBeGreaterThan(0);
        expect(attacker.answers[kind].failed).toBe(0);
      }
      expect(attacker.probed).toEqual({ history: true, chatList: true });
      expect(attacker.answers.edits.served).toBeGreaterThan(0);
      expect(attacker.unread.stalled).toBeGreaterThan(0);
      expect(attacker.unread.polling).toBeGreaterThan(0);
    }

    // Search: every measured call answered (a failed one throws), each kind asked, common words found.
    expect(report.search.map((r: { target: string }) => r.target)).toEqual([second]);
    for (const result of report.search) {
      expect(result.messages).toBe(report.settings.search.messages);
      expect(result.all.count).toBe(report.settings.search.calls);
      for (const kind of ['rare', 'common', 'multi-word']) expect(result.byKind[kind].count).toBeGreaterThan(0);
      expect(result.byKind.common.hitsPerCall).toBeGreaterThan(0);
    }
  }, 270_000);
});
