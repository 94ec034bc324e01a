import { summarize } from '../bench/stats.js';
import type { Exit } from '../test/helpers/cluster-nodes.js';

/**
 * What a chaos run reports: the figures, the correctness checks that judge them (failuresOf) and
 * the Markdown table that `npm run chaos` prints and docs/chaos.md quotes (formatReport).
 */

export interface FaultFigure {
  name: string;
  /** ms since the run started. */
  startedAt: number;
  /** When the fault was removed (node restarted and ready, proxy reopened, replacement ready). */
  endedAt: number;
  /** From the fault's start until every client had a send (emitted after the start) acknowledged; null if one never did. */
  recoveryMs: number | null;
  /** The same, counted from the fault's end (0 when every client recovered before it ended). */
  recoveryAfterEndMs: number | null;
  clientsNotRecovered: number;
  /** GET /ready of each running node a quarter into a cut: 503 shows the cut took effect. */
  readyDuringFault?: Record<string, number | string>;
}

export interface LogLine {
  node: string;
  /** ms since the run started (pino's `time`, or when the line was read). */
  at: number;
  level: number | null;
  line: string;
}

export interface GracefulStop {
  node: string;
  exit: Exit | null;
  /** ms since the run started when SIGTERM was sent. */
  sigtermAt: number;
  /** Simulated clients connected to it when SIGTERM was sent. */
  clientsAtSigterm: number;
  ms: number;
  /** Error-level lines (pino level ≥ 50, or a non-JSON line naming an error) between SIGTERM and exit. */
  errorLines: number;
}

export interface Distribution {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** Edits or deletes: how many the clients tried, how many were acknowledged. */
export interface ChangeFigures {
  attempted: number;
  acked: number;
}

/** What the clients' sockets received live. */
export interface LiveFigures {
  events: number;
  newMessage: number;
  updated: number;
  deleted: number;
  /** A socket received a version of a chat lower than one it had (or its join_chat version). */
  backwards: number;
  /** A socket received the same version of a chat twice. */
  repeated: number;
  /** A version jumped (> last + 1): a client would have been told to sync. */
  gapsSeen: number;
  /** Jumps over versions all superseded by later changes of the same messages (delivered in their current state). */
  gapsSuperseded: number;
  /**
   * Jumps over a change whose state is still current in the database: that state never reached
   * the socket live (a reconnect's sync may have repaired it since). Counted per skipped message.
   */
  liveMissed: number;
  /** An event for a chat before that socket's join_chat answered (should not happen). */
  beforeJoin: number;
}

export interface ConnectionFigures {
  opened: number;
  connectFailures: number;
  recipeFailures: number;
  disconnects: number;
  chatListMismatches: number;
}

export interface LogFigures {
  errorLines: number;
  errorExamples: LogLine[];
  shutdownErrorLines: number;
  shutdownErrorExamples: LogLine[];
  warnExamples: LogLine[];
  gracefulStops: GracefulStop[];
  /** A node wrote more than its output buffer between two reads: some lines were not seen. */
  outputOverflows: number;
  warnLines: number;
}

export interface ChaosReport {
  runId: string;
  seed: number;
  schedule: string[];
  setup: {
    nodes: number;
    users: number;
    chats: number;
    membersPerChat: number;
    sendIntervalMs: number;
    targetMessagesPerSecond: number;
  };
  durationMs: number;
  /** send_message emits, retries included. */
  sent: number;
  /** Distinct messages (clientMessageIds) the clients tried to send. */
  messages: number;
  acked: number;
  /** Messages in the database for the run's chats. */
  stored: number;
  /** Acknowledged but not in the database (or stored under another id than the one acknowledged). */
  lost: number;
  /** clientMessageIds stored more than once. */
  duplicated: number;
  /** A retry answered with a different message id than the one stored for its clientMessageId. */
  ackIdMismatches: number;
  /** Stored although never acknowledged (the client gave up at the end of the drain). */
  storedNotAcked: number;
  unackedAtEnd: number;
  sendFailures: Record<string, number>;
  edits: ChangeFigures;
  deletes: ChangeFigures;
  live: LiveFigures;
  /** Client × chat pairs, for clients connected at the end, whose view (before a final sync) differs from the database. */
  missedAtEnd: number;
  missedMessages: { missing: number; stale: number; extra: number };
  /** Client × chat pairs whose view differs from the database after a final sync. */
  finalViewMismatches: number;
  clientsCheckedAtEnd: number;
  clientsNotConnectedAtEnd: number;
  late: { thresholdMs: number; count: number; maxMs: number | null };
  /** new_message arrival − createdAt in the first steady phase, before any fault. */
  steadyDelivery: Distribution;
  /** The same over the whole run. */
  runDelivery: Distribution;
  faults: FaultFigure[];
  connections: ConnectionFigures;
  logs: LogFigures;
  /** The database changed between the two reads of the final check (a straggling commit). */
  databaseChangedDuringCheck: boolean;
  /** Concrete cases behind every failing figure (first few of each). */
  examples: Record<string, unknown[]>;
  /** One line per failing correctness check; empty when everything held. */
  failures: string[];
}

/** p50, p99 and max of whole-millisecond samples (null for none). */
export function distribution(samples: number[]): Distribution {
  if (samples.length === 0) return { count: 0, p50Ms: null, p99Ms: null, maxMs: null };
  const summary = summarize(samples);
  return { count: summary.count, p50Ms: summary.p50, p99Ms: summary.p99, maxMs: summary.max };
}

/** The correctness checks (figures like latency and recovery are reported, not judged). */
export function failuresOf(report: ChaosReport): string[] {
  const failures: string[] = [];
  const check = (ok: boolean, line: string) => {
    if (!ok) failures.push(line);
  };
  check(report.lost === 0, `lost: ${report.lost} acknowledged message(s) not stored`);
  check(
    report.ackIdMismatches === 0,
    `ackIdMismatches: ${report.ackIdMismatches} acknowledgement(s) name another message than the one stored`,
  );
  check(report.duplicated === 0, `duplicated: ${report.duplicated} clientMessageId(s) stored more than once`);
  check(
    report.live.backwards === 0,
    `backwards: ${report.live.backwards} live event(s) with a version lower than one the socket had`,
  );
  check(
    report.live.repeated === 0,
    `repeated: ${report.live.repeated} live event(s) with a version the socket had already received`,
  );
  check(
    report.live.liveMissed === 0,
    `liveMissed: ${report.live.liveMissed} change(s) skipped by a socket's live stream although still current in the database (never delivered live)`,
  );
  check(
    report.missedAtEnd === 0,
    `missedAtEnd: ${report.missedAtEnd} client×chat view(s) differ from the database before a final sync (${JSON.stringify(report.missedMessages)})`,
  );
  check(
    report.finalViewMismatches === 0,
    `finalViewMismatches: ${report.finalViewMismatches} client×chat view(s) differ from the database after a final sync`,
  );
  check(
    report.clientsNotConnectedAtEnd === 0,
    `clientsNotConnectedAtEnd: ${report.clientsNotConnectedAtEnd} client(s) not connected and synced at the end`,
  );
  check(
    report.logs.shutdownErrorLines === 0,
    `shutdownErrorLines: ${report.logs.shutdownErrorLines} error-level log line(s) during graceful shutdowns`,
  );
  const badExits = report.logs.gracefulStops.filter((stop) => !stop.exit || stop.exit.code !== 0);
  check(
    badExits.length === 0,
    `gracefulExits: ${badExits.map((stop) => `${stop.node} ${JSON.stringify(stop.exit)}`).join(', ')} (SIGTERM must exit 0)`,
  );
  return failures;
}

const ms = (value: number | null) => (value === null ? '—' : `${Math.round(value)} ms`);

const describeDistribution = (figure: Distribution) =>
  `p50 ${ms(figure.p50Ms)}, p99 ${ms(figure.p99Ms)}, max ${ms(figure.maxMs)} (${figure.count} deliveries)`;

function describeRecovery(fault: FaultFigure): string {
  if (fault.recoveryMs === null) return `not recovered (${fault.clientsNotRecovered} client(s) never acked again)`;
  const ready = fault.readyDuringFault
    ? `; GET /ready during the cut: ${Object.entries(fault.readyDuringFault)
        .map(([node, status]) => `${node} ${status}`)
        .join(', ')}`
    : '';
  return `${ms(fault.recoveryMs)} from start (${ms(fault.recoveryAfterEndMs)} after end; fault lasted ${ms(fault.endedAt - fault.startedAt)})${ready}`;
}

/** The figures as a Markdown table (what `npm run chaos` prints and docs/chaos.md quotes). */
export function formatReport(report: ChaosReport): string {
  const rows: [string, string][] = [
    ['run', `${report.runId}, seed ${report.seed}, ${(report.durationMs / 1000).toFixed(1)} s`],
    [
      'setup',
      `${report.setup.nodes} nodes, ${report.setup.users} clients, ${report.setup.chats} chats × ${report.setup.membersPerChat} members, ` +
        `1 send / ${report.setup.sendIntervalMs} ms per client (≤ ${report.setup.targetMessagesPerSecond} msg/s)`,
    ],
    ['sent (attempts, retries included)', String(report.sent)],
    ['messages (distinct clientMessageIds)', String(report.messages)],
    ['acked', String(report.acked)],
    ['stored', String(report.stored)],
    ['lost (acked, not stored)', String(report.lost)],
    ['duplicated (clientMessageId stored twice)', String(report.duplicated)],
    ['ack names another message', String(report.ackIdMismatches)],
    ['stored, never acked', String(report.storedNotAcked)],
    ['unacked at the end', String(report.unackedAtEnd)],
    [
      'send failures',
      Object.entries(report.sendFailures)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '0',
    ],
    [
      'edits / deletes acked',
      `${report.edits.acked}/${report.edits.attempted} / ${report.deletes.acked}/${report.deletes.attempted}`,
    ],
    [
      'live events (new / updated / deleted)',
      `${report.live.events} (${report.live.newMessage} / ${report.live.updated} / ${report.live.deleted})`,
    ],
    ['live versions backwards', String(report.live.backwards)],
    ['live versions repeated', String(report.live.repeated)],
    [
      'live version jumps (gapsSeen)',
      `${report.live.gapsSeen} (${report.live.gapsSuperseded} over superseded versions only)`,
    ],
    ['changes skipped live, still current (liveMissed)', String(report.live.liveMissed)],
    ['live events before join answered', String(report.live.beforeJoin)],
    [
      'missedAtEnd (views ≠ database before final sync)',
      `${report.missedAtEnd} (missing ${report.missedMessages.missing}, stale ${report.missedMessages.stale}, extra ${report.missedMessages.extra})`,
    ],
    ['finalViewMismatches (after final sync)', String(report.finalViewMismatches)],
    ['clients checked / not connected at end', `${report.clientsCheckedAtEnd} / ${report.clientsNotConnectedAtEnd}`],
    [`delivered late (> ${report.late.thresholdMs} ms)`, `${report.late.count}, max ${ms(report.late.maxMs)}`],
    ['delivery, steady state before faults', describeDistribution(report.steadyDelivery)],
    ['delivery, whole run', describeDistribution(report.runDelivery)],
    ...report.faults.map((fault): [string, string] => [`recovery: ${fault.name}`, describeRecovery(fault)]),
    [
      'connections (opened / connect failures / recipe failures / disconnects)',
      `${report.connections.opened} / ${report.connections.connectFailures} / ${report.connections.recipeFailures} / ${report.connections.disconnects}`,
    ],
    [
      'graceful stops (node: exit code, ms to exit, clients on it, error lines)',
      report.logs.gracefulStops
        .map(
          (s) =>
            `${s.node}: ${s.exit ? (s.exit.code ?? s.exit.signal) : 'timeout'}, ${s.ms} ms, ${s.clientsAtSigterm}, ${s.errorLines}`,
        )
        .join('; ') || '—',
    ],
    ['error-level log lines (whole run)', String(report.logs.errorLines)],
    ['error-level log lines during graceful shutdowns', String(report.logs.shutdownErrorLines)],
    ['warn-level log lines', String(report.logs.warnLines)],
    ['node output overflows (lines unseen)', String(report.logs.outputOverflows)],
    ['database changed during the final check', report.databaseChangedDuringCheck ? 'yes' : 'no'],
    ['verdict', report.failures.length === 0 ? 'PASS' : `FAIL: ${report.failures.length} check(s)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = ['| figure | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`)];
  if (report.failures.length > 0) lines.push('', 'Failing checks:', ...report.failures.map((f) => `- ${f}`));
  return lines.join('\n');
}
