/**
 * The fleet: hosts from Ansible inventories, SSH connections to them (one pooled `ssh2` connection per host,
 * host keys checked against known_hosts), processes on them, what a run hands plug-ins that act on hosts, and
 * the sweepers `faultline recover --sweep` runs.
 */

export { shellQuote } from './command-output.js';
export { FleetConnections, withConnections } from './connections.js';
export { createFleetContext, type FleetContext, type FleetContextOptions } from './context.js';
export { InventoryError, SshError, type SshErrorCode } from './errors.js';
export { type Forwarder, hostFailpointClient } from './failpoint-client.js';
export type { Host } from './host.js';
export { type HostKeyPolicy, verifyHostKey } from './host-key.js';
export { type ConnectionSettings, type HostRef, hostOfRef, hostRef, isHostRef } from './host-ref.js';
export { type InventoryOptions, parseIniInventory, parseInventory, parseYamlInventory } from './inventory.js';
export { type ExecOptions, type ExecResult, type PoolOptions, SshPool } from './pool.js';
export {
  continueAndWait,
  describeSelector,
  findProcesses,
  PAUSED_DIR,
  type ProcessSelector,
  pausedDirOf,
  type RemoteProcess,
  signalAndWaitGone,
  startAndWait,
  stopAndWait,
} from './remote-process.js';
export { describeFleet, groupsOf, selectHosts } from './select.js';
export { Ssh2Connector, type Ssh2ConnectorOptions } from './ssh2-connector.js';

// the built-in sweepers, registered once
import './sweepers/index.js';

export { registerSweeper, type Sweeper, type SweepOutcome, sweeperNames, sweepHosts } from './sweep.js';
