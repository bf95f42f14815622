/**
 * Sweeping hosts: undoing whatever faultline left on a host, with or without a journal — a runner killed
 * before it journaled, a journal lost with its machine. Each kind of leftover has one sweeper (a file under
 * src/fleet/sweepers/, registered by name in its index.ts); `faultline recover --sweep` runs every sweeper on
 * every host asked for. A sweeper finds its leftovers by the marks faultline leaves on the host (a marker file,
 * a tagged rule), never by guessing, and is idempotent: a second sweep finds nothing.
 */
import { FaultlineError } from '../core/errors.js';
import type { FleetConnections } from './connections.js';
import type { HostRef } from './host-ref.js';

/** Undoes one kind of leftover on one host; resolves with what it undid, one short phrase each. */
export type Sweeper = (connections: FleetConnections, host: HostRef) => Promise<string[]>;

const sweepers = new Map<string, Sweeper>();

/** Adds a sweeper; a name registered twice is an error. */
export function registerSweeper(name: string, sweep: Sweeper): void {
  if (sweepers.has(name))
    throw new FaultlineError('FAULTLINE_DUPLICATE_TYPE', `sweeper '${name}' is registered twice`);
  sweepers.set(name, sweep);
}

export function sweeperNames(): string[] {
  return [...sweepers.keys()];
}

/** What one sweeper did on one host. */
export interface SweepOutcome {
  host: string;
  sweeper: string;
  ok: boolean;
  /** What it undid. */
  undone: string[];
  /** Why it failed (the host could not be reached, a command failed). */
  error?: string;
}

/** Runs every sweeper on every host (hosts at once, sweepers in order on each); never rejects. */
export async function sweepHosts(
  connections: FleetConnections,
  hosts: readonly HostRef[],
): Promise<SweepOutcome[]> {
  const perHost = await Promise.all(
    hosts.map(async (host) => {
      const out: SweepOutcome[] = [];
      for (const [name, sweep] of sweepers) {
        try {
          out.push({ host: host.name, sweeper: name, ok: true, undone: await sweep(connections, host) });
        } catch (err) {
          out.push({ host: host.name, sweeper: name, ok: false, undone: [], error: (err as Error).message });
        }
      }
      return out;
    }),
  );
  return perHost.flat();
}
