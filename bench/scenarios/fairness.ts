import type { AttackPlan, AttackSockets, AttackTally, FromAttacker, ToAttacker } from '../attacker.js';
import { forkChild } from '../child-process.js';
import { closeAll, connectClient } from '../clients.js';
import { placeForFairness } from '../cpu-placement.js';
import { now, round } from '../stats.js';
import { markdownTable } from '../table.js';
import type { Target } from '../targets.js';
import { joinAll, sendAtRate, type FanoutSetup, type OpenLoopResult } from './fanout.js';

/**
 * Fair use (issue 17): ordinary users chat at a modest rate, first alone (quiet), then while one
 * user with an ordinary account floods the server from many connections (attacker.ts). Reports the
 * others' latencies in both runs, the server's peak memory, whether it survived, and what the
 * attacker got served. Run against a server with the README's default limits.
 *
 * Bounded whatever the server does: every phase has a deadline, and a server whose resident
 * memory passes KILL_AT_BYTES is killed (reported as such) before it can take the machine down.
 */
export interface FairnessSetup {
  /** The ordinary users, by group chat (the attacker is a member of the first chat). */
  others: FanoutSetup;
  /** An ordinary user who checks after the flood that a fresh client still gets in. */
  probeToken: string;
  attack: Omit<AttackPlan, 'url'>;
}

export type ServerState = 'alive' | 'unresponsive' | 'died' | 'killed';

export interface FairnessResult {
  target: string;
  /** Which CPUs the server, the load tool and the attacker ran on (cpu-placement.ts). */
  cpuPlacement: string;
  /** A run before the quiet one, not judged: the server's first sends pay for compiling the code. */
  warmUp: OpenLoopResult;
  quiet: OpenLoopResult;
  flood: OpenLoopResult;
  rss: {
    quietPeakMiB: number;
    floodPeakMiB: number;
    /** Flood peak over quiet peak. */
    growthMiB: number;
  };
  /**
   * After the flood: alive (answers /health and lets a fresh client connect), unresponsive
   * (running, but not that), died (exited by itself), or killed (passed KILL_AT_BYTES).
   */
  server: ServerState;
  /** When killed: seconds from the attacker's start to the kill. */
  killedAfterS?: number;
  /** Undefined when the attacker's process did not report. */
  attacker: AttackTally | undefined;
  goals: FairnessGoals;
}

export interface FairnessGoals {
  /** The others' ack and delivery p99 within 2× of the quiet run's, every send acknowledged and delivered. */
  othersWithin2x: boolean;
  rssGrowthUnder200MiB: boolean;
  alive: boolean;
}

const MiB = 1024 * 1024;
/** A server past this is killed: on a build with no output caps, one attacker grows it without end. */
export const KILL_AT_BYTES = 1536 * MiB;
const RSS_SAMPLE_MS = 100;
/** The others' sends not acknowledged within this count as failed. */
const ACK_TIMEOUT_MS = 10_000;
/** From the attacker's start to the flood run's first send: the flood at full strength. */
const RAMP_MS = 2_000;
const WARM_UP_MS = 2_000;
const ATTACKER_READY_MS = 60_000;
const ATTACKER_REPORT_MS = 5_000;
const PROBE_TIMEOUT_MS = 5_000;

/**
 * The attacker's `total` connections by role: about a third stalled readers, an eighth
 * long-polling, a sixth chat lists, a twelfth edits, the rest history readers; at least one each.
 */
export function attackSockets(total: number): AttackSockets {
  const share = (fraction: number) => Math.max(1, Math.round(total * fraction));
  const sockets = { stalled: share(1 / 3), polling: share(1 / 8), chatList: share(1 / 6), edits: share(1 / 12) };
  return { ...sockets, history: Math.max(1, total - Object.values(sockets).reduce((a, b) => a + b, 0)) };
}

export async function fairness(
  target: Target,
  setup: FairnessSetup,
  rate: number,
  durationMs: number,
): Promise<FairnessResult> {
  const placement = await placeForFairness(target.pid);
  const joined = await joinAll(target, setup.others);
  const memory = watchMemory(target);
  try {
    const warmUp = await sendAtRate(joined, rate, Math.min(WARM_UP_MS, durationMs), ACK_TIMEOUT_MS);
    memory.takePeak();
    const quiet = await sendAtRate(joined, rate, durationMs, ACK_TIMEOUT_MS);
    const quietPeak = memory.takePeak();
    const attacker = await startAttacker({ url: target.url, ...setup.attack });
    await placement.placeAttacker(attacker.pid);
    let flood: OpenLoopResult;
    let tally: AttackTally | undefined;
    const attackStarted = now();
    try {
      attacker.start();
      await new Promise((resolve) => setTimeout(resolve, RAMP_MS));
      flood = await sendAtRate(joined, rate, durationMs, ACK_TIMEOUT_MS);
    } finally {
      tally = await attacker.stop();
    }
    const floodPeak = memory.takePeak();
    const server = await serverState(target, memory, setup.probeToken);
    // Its figures are taken; stopping it gracefully would only wait for it to give up.
    if (server === 'unresponsive') target.kill();
    const growth = floodPeak - quietPeak;
    const within2x = (flooded: number, calm: number) => flooded <= 2 * calm;
    return {
      target: target.name,
      cpuPlacement: placement.description,
      warmUp,
      quiet,
      flood,
      rss: {
        quietPeakMiB: round(quietPeak / MiB, 1),
        floodPeakMiB: round(floodPeak / MiB, 1),
        growthMiB: round(growth / MiB, 1),
      },
      server,
      ...(memory.killedAt === undefined ? {} : { killedAfterS: round((memory.killedAt - attackStarted) / 1000, 1) }),
      attacker: tally,
      goals: {
        othersWithin2x:
          within2x(flood.ack.p99, quiet.ack.p99) &&
          within2x(flood.delivery.p99, quiet.delivery.p99) &&
          flood.errors === 0 &&
          flood.delivery.count >= flood.deliveriesExpected,
        rssGrowthUnder200MiB: growth < 200 * MiB && server !== 'killed',
        alive: server === 'alive',
      },
    };
  } finally {
    memory.stop();
    closeAll(joined.sockets);
    await placement.release();
  }
}

interface MemoryWatch {
  /** The highest resident memory read since the previous call, in bytes. */
  takePeak(): number;
  /** When the watch killed the server (performance.now()), if it did. */
  readonly killedAt: number | undefined;
  stop(): void;
}

/** Reads the server's resident memory every RSS_SAMPLE_MS; past KILL_AT_BYTES it kills the server. */
function watchMemory(target: Target): MemoryWatch {
  let peak = 0;
  let killedAt: number | undefined;
  let reading = false;
  const timer = setInterval(() => {
    if (reading || !target.running()) return;
    reading = true;
    target
      .rss()
      .then((rss) => {
        peak = Math.max(peak, rss);
        if (rss > KILL_AT_BYTES && target.running()) {
          killedAt = now();
          target.kill();
        }
      })
      // The process exited between the check and the read.
      .catch(() => {})
      .finally(() => (reading = false));
  }, RSS_SAMPLE_MS);
  return {
    takePeak() {
      const taken = peak;
      peak = 0;
      return taken;
    },
    get killedAt() {
      return killedAt;
    },
    stop: () => clearInterval(timer),
  };
}

async function serverState(target: Target, memory: MemoryWatch, probeToken: string): Promise<ServerState> {
  let answered = false;
  try {
    const health = await fetch(`${target.url}/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    closeAll([await connectClient(target.url, probeToken, PROBE_TIMEOUT_MS)]);
    answered = health.ok;
  } catch {
    // not answered
  }
  // Its memory may still be growing: the watch can kill it during the probe.
  if (memory.killedAt !== undefined) return 'killed';
  if (answered) return 'alive';
  return target.running() ? 'unresponsive' : 'died';
}

interface Attacker {
  pid: number;
  start(): void;
  /** Stops the attack; its tally, or undefined when the process does not report in time. */
  stop(): Promise<AttackTally | undefined>;
}

/** Starts attacker.ts in a process of its own; resolves once its connections are open. */
async function startAttacker(plan: AttackPlan): Promise<Attacker> {
  const child = forkChild<ToAttacker, FromAttacker>('bench/attacker.ts');
  try {
    const ready = child.next('ready', ATTACKER_READY_MS);
    child.send({ type: 'plan', plan });
    await ready;
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    pid: child.pid,
    start: () => child.send({ type: 'start' }),
    async stop() {
      const reported = child.next('tally', ATTACKER_REPORT_MS);
      child.send({ type: 'stop' });
      const tally = await reported.then(
        (message) => message.tally,
        () => undefined,
      );
      child.kill();
      return tally;
    },
  };
}

/** The fairness figures of each target, quiet against flood, each goal beside its figure. */
export function fairnessTable(results: FairnessResult[]): string {
  const change = (quiet: number, flood: number) =>
    `${quiet} → ${flood}${Number.isFinite(flood / quiet) ? ` (${round(flood / quiet)}×)` : ''}`;
  const mark = (met: boolean) => (met ? '✓' : '✗');
  const codes = (counts: Record<string, number>) => {
    const entries = Object.entries(counts);
    return entries.length === 0 ? '' : ` (${entries.map(([code, count]) => `${code}: ${count}`).join(', ')})`;
  };
  const answers = (tally: AttackTally) => {
    const all = Object.values(tally.answers);
    const sum = (outcome: 'served' | 'refused' | 'failed') => all.reduce((total, counts) => total + counts[outcome], 0);
    return `${sum('served')} / ${sum('refused')} / ${sum('failed')}${codes(tally.failedCodes)} / ${tally.unanswered}`;
  };
  const rows: Array<[string, (r: FairnessResult) => string]> = [
    ["others' send ack p50 ms, quiet → flood", (r) => change(r.quiet.ack.p50, r.flood.ack.p50)],
    ["others' send ack p99 ms (goal ≤ 2×)", (r) => change(r.quiet.ack.p99, r.flood.ack.p99)],
    ["others' delivery p50 ms", (r) => change(r.quiet.delivery.p50, r.flood.delivery.p50)],
    ["others' delivery p99 ms (goal ≤ 2×)", (r) => change(r.quiet.delivery.p99, r.flood.delivery.p99)],
    [
      `others' sends failed or unanswered in ${ACK_TIMEOUT_MS / 1000} s, flood`,
      (r) => `${r.flood.errors} of ${r.flood.sent}${codes(r.flood.errorCodes)}`,
    ],
    [
      "others' deliveries missing, flood",
      (r) => `${Math.max(0, r.flood.deliveriesExpected - r.flood.delivery.count)} of ${r.flood.deliveriesExpected}`,
    ],
    [
      'server peak RSS MiB, quiet → flood (goal: growth < 200)',
      (r) => `${r.rss.quietPeakMiB} → ${r.rss.floodPeakMiB} (${r.rss.growthMiB >= 0 ? '+' : ''}${r.rss.growthMiB})`,
    ],
    [
      'server after the flood (goal: alive)',
      (r) =>
        r.server === 'killed'
          ? `killed at ${KILL_AT_BYTES / MiB} MiB RSS, ${r.killedAfterS} s after the attacker started`
          : r.server,
    ],
    [
      'attacker answers served / RATE_LIMITED / other / unanswered',
      (r) => (r.attacker ? answers(r.attacker) : 'no report'),
    ],
    [
      'attacker requests never read: stalled WebSocket / polling',
      (r) => (r.attacker ? `${r.attacker.unread.stalled} / ${r.attacker.unread.polling}` : '—'),
    ],
    [
      'attacker connections opened / refused / closed by the server',
      (r) => {
        if (!r.attacker) return '—';
        const { opened, refused, closedByServer } = r.attacker.connections;
        return `${opened} / ${refused} / ${closedByServer}`;
      },
    ],
    ['CPUs', (r) => r.cpuPlacement],
    [
      'goals: others ≤ 2× · RSS growth < 200 MiB · alive',
      (r) => `${mark(r.goals.othersWithin2x)} · ${mark(r.goals.rssGrowthUnder200MiB)} · ${mark(r.goals.alive)}`,
    ],
  ];
  return markdownTable(
    ['fairness', ...results.map((r) => r.target)],
    rows.map(([name, pick]) => [name, ...results.map(pick)]),
  );
}
