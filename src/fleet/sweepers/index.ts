/**
 * Every sweeper `faultline recover --sweep` runs, one file each, registered here once by name (see ../sweep.ts).
 * Add one by adding its file and a line here.
 */
import { registerSweeper, sweeperNames } from '../sweep.js';
import { sweepPausedProcesses } from './paused.js';

registerSweeper('paused-processes', sweepPausedProcesses);

export { sweeperNames };
