/**
 * Who counts as unavailable for `max_unavailable`, across targets. A fault holds instances of its own target; a
 * host-wide fault (a disruptor with `hostWide`: a partition, a freeze — faults that take a host away) also holds
 * its hosts, and a host held that way makes every instance on it unavailable, whatever its target — a partition
 * of target `etcd` that cuts n1 off leaves target `proxy`'s instance on n1 unreachable too, so a kill on `proxy`
 * with `max_unavailable: 1` must not take a second host. Pure bookkeeping, shared by the plan (holds with a time
 * window, asked about a moment) and the executor (holds added when a fault is reserved, removed when it ends).
 */

/** What the ledger needs of a target: its hosts (targets on hosts; instance i on hosts[i]) and its limit. */
export interface LedgerTarget {
  instances: number;
  maxUnavailable: number;
  hosts?: readonly string[];
}

/** What one fault holds. */
export interface Hold {
  /** The fault's name, for messages. */
  fault: string;
  target: string;
  /** Instances of `target` it makes unavailable. */
  indices: readonly number[];
  /** Hosts it makes unavailable for every target (host-wide faults). */
  hosts?: readonly string[];
  /** The plan's window, method ms: held from `startMs` up to (not including) `endMs`. */
  startMs?: number;
  endMs?: number;
}

/** A hold that would take a target past its limit. */
export interface Excess {
  target: string;
  max: number;
  instances: number;
  /** Already unavailable. */
  down: number;
  /** How many more the hold would make unavailable, and on which hosts (or instance numbers). */
  more: string[];
}

export class UnavailableLedger {
  readonly #targets: Readonly<Record<string, LedgerTarget>>;
  readonly #holds = new Set<Hold>();

  constructor(targets: Readonly<Record<string, LedgerTarget>>) {
    this.#targets = targets;
  }

  add(hold: Hold): Hold {
    this.#holds.add(hold);
    return hold;
  }

  remove(hold: Hold): void {
    this.#holds.delete(hold);
  }

  /** The holds in force at method ms `at` (every hold when `at` is not given). */
  #live(at?: number): Hold[] {
    return [...this.#holds].filter(
      (h) => at === undefined || ((h.startMs ?? 0) <= at && at < (h.endMs ?? Number.POSITIVE_INFINITY)),
    );
  }

  /** The instances of `target` that `hold` makes unavailable. */
  #of(hold: Hold, target: string): number[] {
    const out = hold.target === target ? [...hold.indices] : [];
    const hosts = this.#targets[target]?.hosts;
    if (hold.hosts !== undefined && hosts !== undefined)
      hosts.forEach((h, i) => {
        if (hold.hosts?.includes(h)) out.push(i);
      });
    return out;
  }

  /** The instances of `target` unavailable at `at`. */
  down(target: string, at?: number): Set<number> {
    return new Set(this.#live(at).flatMap((h) => this.#of(h, target)));
  }

  /** Those of {@link down} held by a fault on another target, each as `<host> by <fault> on <target>`. */
  heldFromElsewhere(target: string, at?: number): string[] {
    const hosts = this.#targets[target]?.hosts ?? [];
    const out: string[] = [];
    for (const h of this.#live(at)) {
      if (h.target === target) continue;
      for (const i of this.#of(h, target)) out.push(`${hosts[i]} by ${h.fault} on ${h.target}`);
    }
    return [...new Set(out)];
  }

  /** How many more of `target` may be unavailable at `at`. */
  room(target: string, at?: number): number {
    const t = this.#targets[target];
    return t === undefined ? 0 : Math.max(0, t.maxUnavailable - this.down(target, at).size);
  }

  /** The first target `hold` would take past its limit at `at` (its own first), or undefined when it fits. */
  excess(hold: Hold, at?: number): Excess | undefined {
    const names = [hold.target, ...Object.keys(this.#targets).filter((n) => n !== hold.target)];
    for (const name of names) {
      const t = this.#targets[name] as LedgerTarget;
      const down = this.down(name, at);
      const more = [...new Set(this.#of(hold, name))].filter((i) => !down.has(i));
      if (more.length > 0 && down.size + more.length > t.maxUnavailable)
        return {
          target: name,
          max: t.maxUnavailable,
          instances: t.instances,
          down: down.size,
          more: more.map((i) => t.hosts?.[i] ?? String(i)),
        };
    }
    return undefined;
  }

  /** The earliest end of a hold after `at` (Infinity when none). */
  nextEnd(at: number): number {
    return Math.min(
      ...[...this.#holds].map((h) => h.endMs ?? Number.POSITIVE_INFINITY).filter((e) => e > at),
      Number.POSITIVE_INFINITY,
    );
  }

  /** Whether `hold` makes any instance of `target` unavailable. */
  touches(hold: Hold, target: string): boolean {
    return this.#of(hold, target).length > 0;
  }
}

/** `max_unavailable 1 of 3: 1 already unavailable (n1 by cut on etcd)`, for a target with no room. */
export function describeFull(
  ledger: UnavailableLedger,
  target: string,
  t: LedgerTarget,
  at?: number,
): string {
  const elsewhere = ledger.heldFromElsewhere(target, at);
  return `max_unavailable ${t.maxUnavailable} of ${t.instances}: ${ledger.down(target, at).size} already unavailable${elsewhere.length ? ` (${elsewhere.join(', ')})` : ''}`;
}

/** Why `hold` does not fit: `max_unavailable 1 of 3: 1 already unavailable, and host.partition would leave 1 more (n2)`. */
export function describeExcess(e: Excess, holdTarget: string, disruptor: string): string {
  const of = e.target === holdTarget ? '' : ` on target ${e.target}`;
  return `max_unavailable ${e.max} of ${e.instances}${of}: ${e.down} already unavailable, and ${disruptor} would leave ${e.more.length} more (${e.more.join(', ')})`;
}
