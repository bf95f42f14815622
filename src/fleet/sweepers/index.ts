/**
 * Every sweeper `faultline recover --sweep` runs, one file each, registered here once by name (see ../sweep.ts):
 * what `host.process.pause` left stopped, then the host-fault library's sweeps (frozen processes, stress-ng,
 * iptables rules, tc qdiscs, fill files). Add one by adding its file and a line here.
 */
import { registerSweeper, sweeperNames } from '../sweep.js';
import { hostFaultSweepers } from './host-faults.js';
import { sweepPausedProcesses } from './paused.js';

registerSweeper('paused-processes', sweepPausedProcesses);
for (const { name, sweep } of hostFaultSweepers) registerSweeper(name, sweep);

export { sweeperNames };
