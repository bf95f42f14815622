/**
 * Stopped processes a `host.process.pause` left: each pause writes a marker per process it stops (pid and start
 * time, in a directory of the remote user's own), and a revert removes it. A marker whose process is still that
 * process and still stopped is continued; every marker is removed.
 */
import { sweepPaused } from '../remote-process.js';
import type { Sweeper } from '../sweep.js';

export const sweepPausedProcesses: Sweeper = async (connections, host) =>
  (await sweepPaused(connections, host)).map((pid) => `continued stopped process ${pid}`);
