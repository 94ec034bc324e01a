import { readyStatus, type Exit } from '../test/helpers/cluster-nodes.js';
import type { ChaosClient } from './chaos-client.js';
import type { ChaosCluster } from './cluster.js';
import { sleep } from './helpers.js';
import type { FaultFigure, GracefulStop } from './report.js';
import { rel, type RunContext } from './run-context.js';
import type { ChaosStep } from './schedule.js';

/** A fault as it happened. Times are Date.now() values. */
export interface Fault {
  name: string;
  start: number;
  /** When the fault was removed (node restarted and ready, proxy reopened, replacement ready). */
  end: number;
  readyDuringFault?: Record<string, number | string>;
}

type FaultStep = Exclude<ChaosStep, { kind: 'steady' }>;

/** What a fault step needs, and where it records what happened. */
export interface FaultScene {
  cluster: ChaosCluster;
  clients: ChaosClient[];
  ctx: RunContext;
  say: (line: string) => void;
  faults: Fault[];
  gracefulStops: GracefulStop[];
}

export async function injectFault(step: FaultStep, scene: FaultScene): Promise<void> {
  if (step.kind === 'kill') await killNode(step.downMs, scene);
  else if (step.kind === 'rolling-restart') await rollingRestart(scene);
  else await cutConnections(step.kind === 'cut-redis' ? 'Redis' : 'PostgreSQL', step.ms, scene);
}

/** SIGKILL a node picked by the seed; start a replacement after `downMs`. */
async function killNode(downMs: number, { cluster, ctx, say, faults }: FaultScene): Promise<void> {
  const { pool } = cluster;
  const victim = pool.slots[Math.floor(ctx.rng() * pool.slots.length)]!;
  const start = Date.now();
  victim.accepting = false;
  await victim.node.stop('SIGKILL', 10_000);
  pool.remove(victim);
  say(`${victim.name} killed (SIGKILL)`);
  await sleep(downMs);
  await cluster.addNode();
  faults.push({ name: `SIGKILL ${victim.name}, restart after ${downMs / 1000}s`, start, end: Date.now() });
}

/** Cut every connection through one proxy for `ms`, probing each node's GET /ready a quarter in. */
async function cutConnections(
  what: 'Redis' | 'PostgreSQL',
  ms: number,
  { cluster, say, faults }: FaultScene,
): Promise<void> {
  const proxy = what === 'Redis' ? cluster.redisProxy : cluster.postgresProxy;
  const start = Date.now();
  await proxy.cut();
  say(`${what} cut`);
  // Shows the cut took effect, without lengthening it: an answer that comes after the restore says so.
  await sleep(ms / 4);
  let restored = false;
  const probe = Promise.all(
    cluster.pool.slots.map(async (slot) => {
      const status = await readyStatus(slot.node);
      return [slot.name, restored ? `${status} (answered after the restore)` : status] as const;
    }),
  );
  await sleep(start + ms - Date.now());
  await proxy.open();
  restored = true;
  const readyDuringFault: Record<string, number | string> = Object.fromEntries(await probe);
  say(`${what} restored; GET /ready during the cut: ${JSON.stringify(readyDuringFault)}`);
  faults.push({ name: `cut ${what} ${ms / 1000}s`, start, end: Date.now(), readyDuringFault });
}

/** Each node in turn: no new connections, SIGTERM, wait for the exit, start a replacement. */
async function rollingRestart({ cluster, clients, ctx, say, faults, gracefulStops }: FaultScene): Promise<void> {
  const { pool } = cluster;
  for (const slot of [...pool.slots]) {
    const start = Date.now();
    slot.accepting = false;
    const sigtermAt = Date.now();
    const clientsAtSigterm = clients.filter((client) => client.slot === slot && client.socket?.connected).length;
    let exit: Exit | null = null;
    try {
      exit = await slot.node.stop('SIGTERM', 20_000);
    } catch {
      ctx.examples.add('gracefulTimeout', { node: slot.name, at: rel(ctx) });
      await slot.node.stop('SIGKILL', 10_000).catch(() => undefined);
    }
    const exitAt = Date.now();
    pool.remove(slot);
    say(`${slot.name} stopped (SIGTERM): ${JSON.stringify(exit)} after ${exitAt - sigtermAt} ms`);
    gracefulStops.push({
      node: slot.name,
      exit,
      sigtermAt: rel(ctx, sigtermAt),
      clientsAtSigterm,
      ms: exitAt - sigtermAt,
      errorLines: 0,
    });
    await cluster.addNode();
    faults.push({ name: `SIGTERM ${slot.name}, start a replacement`, start, end: Date.now() });
  }
}

/** Recovery per fault: until every client had a send, emitted after the fault began, acknowledged. */
export function recoveryFigures(faults: Fault[], clients: ChaosClient[], ctx: RunContext): FaultFigure[] {
  return faults.map((fault) => {
    let worst = 0;
    let notRecovered = 0;
    for (const client of clients) {
      let first: number | undefined;
      for (const ack of ctx.acks) {
        if (!ack.clientMessageId.startsWith(client.clientMessageIdPrefix) || ack.emitAt < fault.start) continue;
        if (first === undefined || ack.ackAt < first) first = ack.ackAt;
      }
      if (first === undefined) notRecovered++;
      else worst = Math.max(worst, first - fault.start);
    }
    const recovered = notRecovered === 0;
    return {
      name: fault.name,
      startedAt: rel(ctx, fault.start),
      endedAt: rel(ctx, fault.end),
      recoveryMs: recovered ? worst : null,
      recoveryAfterEndMs: recovered ? Math.max(0, fault.start + worst - fault.end) : null,
      clientsNotRecovered: notRecovered,
      ...(fault.readyDuringFault ? { readyDuringFault: fault.readyDuringFault } : {}),
    };
  });
}
