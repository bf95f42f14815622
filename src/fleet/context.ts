/**
 * What a run hands everything that acts on hosts — target groups, disruptors, monitors: the resolved hosts and
 * groups, one set of SSH connections for the whole run, the settings journaled with every remote fault, the run
 * id and a seeded random stream. Making one connects to nothing; `close` ends every connection.
 */

import { FaultlineError } from '../core/errors.js';
import { type RandomStream, randomStream } from '../core/random.js';
import { FleetConnections } from './connections.js';
import type { Host } from './host.js';
import { type ConnectionSettings, type HostRef, hostRef } from './host-ref.js';
import type { ExecOptions, ExecResult, PoolOptions, SshPool } from './pool.js';
import { describeFleet, groupsOf, selectHosts } from './select.js';

export interface FleetContext {
  readonly connections: FleetConnections;
  /** The run's pool (the connections for its settings). */
  readonly pool: SshPool;
  readonly settings: ConnectionSettings;
  /** Every host by name, in definition order. */
  readonly hosts: ReadonlyMap<string, Host>;
  /** Group → host names; `all` holds every host. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly runId: string;
  /** The run's seed (host faults derive their seeded choices from it, as the dry run does). */
  readonly seed: number;
  /** The run's seeded stream; fork it by purpose (`fleet/<what>`) so draws stay independent. */
  readonly random: RandomStream;
  /** The host (or host name) as a revert record journals it. */
  ref(host: Host | string): HostRef;
  /** The hosts a name, a group or a list of them means. @throws FaultlineError for a name that means none. */
  resolve(names: string | readonly string[]): Host[];
  exec(host: Host | string, command: string, options?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}

export interface FleetContextOptions {
  hosts: readonly Host[];
  settings: ConnectionSettings;
  runId: string;
  seed: number;
  pool?: PoolOptions;
}

export function createFleetContext(o: FleetContextOptions): FleetContext {
  const connections = new FleetConnections(o.pool);
  const pool = connections.pool(o.settings.knownHosts, o.settings.hostKey);
  const hosts = new Map(o.hosts.map((h) => [h.name, h]));
  const groups = groupsOf(o.hosts);
  const host = (h: Host | string): Host => {
    if (typeof h !== 'string') return h;
    const found = hosts.get(h);
    if (!found) throw new FaultlineError('FLEET_UNKNOWN_HOST', `no host '${h}'; ${describeFleet(o.hosts)}`);
    return found;
  };
  return {
    connections,
    pool,
    settings: o.settings,
    hosts,
    groups,
    runId: o.runId,
    seed: o.seed,
    random: randomStream(o.seed).fork('fleet'),
    ref: (h) => hostRef(host(h), o.settings),
    resolve(names) {
      const { hosts: picked, unknown } = selectHosts(names, o.hosts, groups);
      if (unknown.length > 0)
        throw new FaultlineError(
          'FLEET_UNKNOWN_HOST',
          `no host or group '${unknown.join("', '")}'; ${describeFleet(o.hosts)}`,
        );
      return picked.map(host);
    },
    exec: (h, command, options) => pool.exec(host(h), command, options),
    close: () => connections.close(),
  };
}
