/**
 * `faultline recover --sweep --hosts GROUP_OR_NAMES [--inventory FILE] [JOURNAL]`: undoes what faultline left on
 * hosts, journal or not — every registered sweeper (src/fleet/sweepers/) on every host named. The hosts come
 * from the inventory, else from the `fleet` record of the journal (given, or the newest). Exit 1 when a host
 * could not be swept (it is named; sweep again once it is back).
 */
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { InvalidOptionError } from '../../core/errors.js';
import { stateDir } from '../../experiment/halt.js';
import { expandPath } from '../../experiment/hosts.js';
import { openRecoveryJournal } from '../../experiment/recovery.js';
import { FleetConnections } from '../../fleet/connections.js';
import type { Host } from '../../fleet/host.js';
import { type HostRef, hostOfRef, hostRef } from '../../fleet/host-ref.js';
import { parseInventory } from '../../fleet/inventory.js';
import { describeFleet, selectHosts } from '../../fleet/select.js';
import { sweepHosts } from '../../fleet/sweep.js';
import '../../fleet/sweepers/index.js';

/** `--inventory FILE [--known-hosts FILE] [--host-key P]`: where hosts come from and how they are trusted. */
export interface InventoryCliOptions {
  inventory?: string;
  knownHosts?: string;
  hostKey: string;
}

export interface SweepCliOptions extends InventoryCliOptions {
  sweep?: boolean;
  hosts?: string;
}

/** Hosts to choose from: their refs (how to reach them) and, for groups, the hosts themselves. */
export interface Candidates {
  refs: HostRef[];
  hosts: Host[];
}

/** The hosts of `--inventory`, with `--known-hosts` and `--host-key`; bad input is an InvalidOptionError. */
export function hostsFromInventory(o: InventoryCliOptions & { inventory: string }): Candidates {
  if (o.hostKey !== 'strict' && o.hostKey !== 'accept-new')
    throw new InvalidOptionError('--host-key', `expected strict or accept-new, got '${o.hostKey}'`);
  let text: string;
  try {
    text = readFileSync(o.inventory, 'utf8');
  } catch (err) {
    throw new InvalidOptionError('--inventory', `cannot read ${o.inventory}: ${(err as Error).message}`);
  }
  let hosts: Host[];
  try {
    hosts = parseInventory(text, { defaultUser: userInfo().username });
  } catch (err) {
    throw new InvalidOptionError('--inventory', `${o.inventory}: ${(err as Error).message}`);
  }
  const knownHosts = expandPath(o.knownHosts ?? `${homedir()}/.ssh/known_hosts`, process.cwd());
  const refs = hosts.map((h) => {
    if (h.identity !== undefined) h.identity = expandPath(h.identity, dirname(o.inventory));
    return hostRef(h, { knownHosts, hostKey: o.hostKey as 'strict' | 'accept-new' });
  });
  return { refs, hosts };
}

/** The hosts a run journaled (its `fleet` record; no groups but `all`), from a journal recover may act on. */
function hostsFromJournal(path: string): Candidates {
  const journal = openRecoveryJournal(path, stateDir());
  const fleet = journal.events.findLast((e) => e.event === 'fleet');
  if (fleet === undefined || fleet.event !== 'fleet')
    throw new InvalidOptionError('--sweep', `${path} names no hosts (its run had none); give --inventory`);
  return { refs: fleet.hosts, hosts: fleet.hosts.map(hostOfRef) };
}

/** The hosts `--hosts` names (hosts or groups, comma-separated), in inventory order. */
export function pickHosts(c: Candidates, hosts: string): HostRef[] {
  const names = hosts
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const { hosts: picked, unknown } = selectHosts(names, c.hosts);
  if (unknown.length > 0)
    throw new InvalidOptionError(
      '--hosts',
      `no host or group '${unknown.join("', '")}'; ${describeFleet(c.hosts)}`,
    );
  return picked.map((n) => c.refs.find((r) => r.name === n) as HostRef);
}

export async function runSweep(
  journal: string | undefined,
  o: SweepCliOptions,
  say: (line: string) => void,
): Promise<void> {
  if (o.hosts === undefined || o.hosts.trim() === '')
    throw new InvalidOptionError('--hosts', 'with --sweep: the hosts or groups to sweep (all: every host)');
  let c: Candidates;
  if (o.inventory !== undefined) c = hostsFromInventory({ ...o, inventory: o.inventory });
  else if (journal !== undefined) c = hostsFromJournal(journal);
  else
    throw new InvalidOptionError(
      '--inventory',
      'with --sweep: give --inventory or a journal naming the hosts',
    );
  const targets = pickHosts(c, o.hosts);
  const connections = new FleetConnections({ connectTimeoutMs: 10_000 });
  let failed = 0;
  try {
    const outcomes = await sweepHosts(connections, targets);
    for (const out of outcomes) {
      if (!out.ok) {
        failed++;
        say(`FAILED to sweep ${out.sweeper} on ${out.host}: ${out.error}`);
      } else if (out.undone.length === 0) say(`${out.host}: ${out.sweeper}: nothing left`);
      else for (const u of out.undone) say(`${out.host}: ${out.sweeper}: ${u}`);
    }
  } finally {
    await connections.close();
  }
  const swept = new Set(targets.map((t) => t.name)).size;
  if (failed === 0) say(`swept ${swept} host(s)`);
  else {
    say(`${failed} sweep(s) failed: run \`faultline recover --sweep\` again once the host(s) named answer`);
    process.exitCode = 1;
  }
}
