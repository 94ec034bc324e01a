/** The chaos suite's fault schedule: the steps a run goes through, in order. */

export type ChaosStep =
  | { kind: 'steady'; ms: number }
  /** SIGKILL one node, start a replacement after `downMs`. */
  | { kind: 'kill'; downMs: number }
  /** Cut every connection to Redis (the suite's proxy) for `ms`, then restore it on the same port. */
  | { kind: 'cut-redis'; ms: number }
  /** Cut every connection to PostgreSQL (the suite's proxy) for `ms`, then restore it. */
  | { kind: 'cut-postgres'; ms: number }
  /** SIGTERM each node in turn, wait for its exit, start a replacement and wait for /ready. */
  | { kind: 'rolling-restart' };

export interface ScheduleOptions {
  /** Length of each steady phase; default 30 s (full) or 3 s (quick). */
  steadyMs?: number;
  /** How long a SIGKILLed node stays down; default 3 s (full) or 2 s (quick). */
  killDownMs?: number;
  /** How long each cut lasts; default 10 s (full) or 3 s (quick). */
  cutMs?: number;
}

/** The schedule of `npm run chaos`: every fault once, with steady traffic between them. */
export function fullSchedule(options: ScheduleOptions = {}): ChaosStep[] {
  const steady = options.steadyMs ?? 30_000;
  const cut = options.cutMs ?? 10_000;
  return [
    { kind: 'steady', ms: steady },
    { kind: 'kill', downMs: options.killDownMs ?? 3_000 },
    { kind: 'steady', ms: steady },
    { kind: 'cut-redis', ms: cut },
    { kind: 'steady', ms: steady },
    { kind: 'cut-postgres', ms: cut },
    { kind: 'steady', ms: steady },
    { kind: 'rolling-restart' },
    { kind: 'steady', ms: steady },
  ];
}

/** The short schedule of `npm test` and `npm run chaos -- --quick`. */
export function quickSchedule(options: ScheduleOptions = {}): ChaosStep[] {
  return fullSchedule({
    steadyMs: options.steadyMs ?? 3_000,
    killDownMs: options.killDownMs ?? 2_000,
    cutMs: options.cutMs ?? 3_000,
  });
}

export function describeStep(step: ChaosStep): string {
  switch (step.kind) {
    case 'steady':
      return `steady ${step.ms / 1000}s`;
    case 'kill':
      return `SIGKILL a node, restart after ${step.downMs / 1000}s`;
    case 'cut-redis':
      return `cut Redis ${step.ms / 1000}s`;
    case 'cut-postgres':
      return `cut PostgreSQL ${step.ms / 1000}s`;
    case 'rolling-restart':
      return 'rolling restart (SIGTERM each node in turn)';
  }
}
