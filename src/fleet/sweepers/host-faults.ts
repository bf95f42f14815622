/**
 * The host-fault library's sweeps (src/fleet/faults: `fleetSweeps`) as sweepers, one per kind of leftover in the
 * library's order — frozen processes, stress-ng, iptables rules, tc qdiscs, fill files — so `recover --sweep`
 * removes everything a partition, network fault, disk fill, stress or freeze left on a host, journal or not.
 */
import { fleetSweeps } from '../faults/index.js';
import { hostOfRef } from '../host-ref.js';
import type { Sweeper } from '../sweep.js';

/** Each library sweep by name, run over the connections for the host's known_hosts and policy. */
export const hostFaultSweepers: ReadonlyArray<{ name: string; sweep: Sweeper }> = fleetSweeps.map(
  ({ name, sweep }) => ({
    name,
    sweep: (connections, host) => sweep(connections.pool(host.knownHosts, host.hostKey), hostOfRef(host)),
  }),
);
