import type { ClusterNode } from '../test/helpers/cluster-nodes.js';
import { EXAMPLES_KEPT } from './helpers.js';
import type { GracefulStop, LogFigures, LogLine } from './report.js';

const ERROR_WORDS = /\b(error|unhandled|exception|fatal)\b/i;

/** Follows a node's output (test/helpers keeps its last 20 KB) and keeps every line, classified. */
export class LogWatcher {
  private seen = '';
  private partial = '';
  readonly lines: LogLine[] = [];
  overflows = 0;

  constructor(
    readonly nodeName: string,
    private readonly node: ClusterNode,
    private readonly t0: number,
  ) {}

  poll(): void {
    const now = this.node.output();
    if (now === this.seen) return;
    let fresh: string;
    if (now.startsWith(this.seen)) {
      fresh = now.slice(this.seen.length);
    } else {
      // The buffer dropped its head: find where the text already read ends.
      const tail = this.seen.slice(-2_000);
      const at = tail ? now.lastIndexOf(tail) : -1;
      if (at >= 0) {
        fresh = now.slice(at + tail.length);
      } else {
        this.overflows++;
        fresh = now;
        this.partial = '';
      }
    }
    this.seen = now;
    const parts = (this.partial + fresh).split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.add(part);
  }

  flush(): void {
    this.poll();
    if (this.partial) this.add(this.partial);
    this.partial = '';
  }

  private add(raw: string): void {
    const line = raw.trim();
    if (!line) return;
    let level: number | null = null;
    let at = Date.now() - this.t0;
    try {
      const parsed = JSON.parse(line) as { level?: unknown; time?: unknown };
      if (typeof parsed.level === 'number') level = parsed.level;
      if (typeof parsed.time === 'number') at = parsed.time - this.t0;
    } catch {
      // not a pino line (a crash trace, a Node warning): kept as it is
    }
    this.lines.push({ node: this.nodeName, at, level, line: line.length > 2_000 ? `${line.slice(0, 2_000)}…` : line });
  }
}

function isErrorLine(line: LogLine): boolean {
  return line.level !== null ? line.level >= 50 : ERROR_WORDS.test(line.line);
}

/**
 * Every node's lines, read to the end, as the report's figures. Sets each graceful stop's
 * `errorLines`: the error-level lines its node logged from SIGTERM on.
 */
export function logFigures(watchers: LogWatcher[], gracefulStops: GracefulStop[]): LogFigures {
  for (const watcher of watchers) watcher.flush();
  const lines = watchers.flatMap((watcher) => watcher.lines);
  const errors = lines.filter(isErrorLine);
  const shutdownErrors: LogLine[] = [];
  for (const stopped of gracefulStops) {
    const during = errors.filter((line) => line.node === stopped.node && line.at >= stopped.sigtermAt - 5);
    stopped.errorLines = during.length;
    shutdownErrors.push(...during);
  }
  const warnings = lines.filter((line) => line.level === 40);
  return {
    errorLines: errors.length,
    errorExamples: errors.slice(0, EXAMPLES_KEPT),
    shutdownErrorLines: shutdownErrors.length,
    shutdownErrorExamples: shutdownErrors.slice(0, EXAMPLES_KEPT),
    warnExamples: warnings.slice(0, EXAMPLES_KEPT),
    gracefulStops,
    outputOverflows: watchers.reduce((sum, watcher) => sum + watcher.overflows, 0),
    warnLines: warnings.length,
  };
}
