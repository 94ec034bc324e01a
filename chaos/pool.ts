import type { ClusterNode } from '../test/helpers/cluster-nodes.js';

/** A running node as the suite's "load balancer" sees it. */
export interface Slot {
  name: string;
  node: ClusterNode;
  /** The load balancer sends new connections here. */
  accepting: boolean;
  clients: number;
}

/** The "load balancer": a new connection goes to the accepting node with the fewest clients. */
export class Pool {
  readonly slots: Slot[] = [];

  constructor(private readonly rng: () => number) {}

  /** Ties are broken by the seeded generator; `avoid` (the node just left) is skipped while another accepts. */
  pick(avoid: Slot | undefined): Slot | undefined {
    let candidates = this.slots.filter((slot) => slot.accepting && slot.node.running);
    if (candidates.length > 1 && avoid) candidates = candidates.filter((slot) => slot !== avoid);
    if (candidates.length === 0) return undefined;
    const fewest = Math.min(...candidates.map((slot) => slot.clients));
    const best = candidates.filter((slot) => slot.clients === fewest);
    return best[Math.floor(this.rng() * best.length)];
  }

  remove(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
  }
}
