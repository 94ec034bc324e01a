import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/** `npm run bench` at a tiny size, so that the load tool cannot rot. Figures are not judged here. */
describe('npm run bench --smoke', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('measures the ceiling and Parley on every store and writes the results', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-bench-smoke-'));
    const out = path.join(dir, 'results.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--smoke', '--from-source', '--out', out],
      { timeout: 170_000, maxBuffer: 10 * 1024 * 1024 },
    );
    expect(stdout).toContain('| metric');
    const report = JSON.parse(await readFile(out, 'utf8'));
    const expected = ['ceiling', 'parley/pglite', ...(process.env.DATABASE_URL?.startsWith('postgres') ? ['parley/postgres'] : [])];
    expect(report.results.map((r: { target: string }) => r.target)).toEqual(expected);
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
        // One measured catch-up of every missed change, page by page (the scenario checks each page).
        expect(result.sync.changes).toBe(report.settings.syncChanges);
        expect(result.sync.catchUpMs).toHaveLength(report.settings.syncRounds);
        expect(result.sync.page.measured.count).toBe((report.settings.syncChanges / 100) * report.settings.syncRounds);
      }
    }
  }, 180_000);
});
