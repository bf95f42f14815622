/**
 * `process.pause`: SIGSTOP; the revert sends SIGCONT to the same process (checked by its start time). A signal
 * is delivered when the kernel next schedules the process, so both wait (briefly) until /proc shows the new
 * state: "applied" then means stopped, and "reverted" means running again.
 */
import { processPause } from '../experiment/disruptors/process-pause.js';
import {
  isSameProcess,
  processStartTime,
  processState,
  requirePid,
  signalIfAlive,
  waitUntil,
} from './proc.js';
import { defineDisruptorRuntime, type RevertRecord } from './types.js';

export const processPauseRuntime = defineDisruptorRuntime(processPause, {
  revertFor(instance) {
    const pid = requirePid(instance.pid, instance.id);
    const startTime = processStartTime(pid);
    const record: RevertRecord = { type: 'process.pause', pid, signal: 'SIGCONT' };
    return startTime === undefined ? record : { ...record, startTime };
  },
  async inject(instance, options, ctx) {
    const revert = this.revertFor(instance, options, ctx);
    const pid = revert.pid as number;
    if (!isSameProcess(pid)) throw new Error(`process ${pid} (instance ${instance.id}) is not running`);
    signalIfAlive(pid, 'SIGSTOP');
    const stopped = await settle(pid, (s) => s === 'T' || s === 't');
    return { revert, detail: { pid, stopped } };
  },
  async revert(record) {
    const pid = record.pid as number;
    const startTime = typeof record.startTime === 'number' ? record.startTime : undefined;
    if (signalIfAlive(pid, 'SIGCONT', startTime)) await settle(pid, (s) => s !== 'T');
  },
});

// no event tells when a signal has taken effect on another process; its /proc state is polled, briefly
const SETTLE_POLL_MS = 2;
const SETTLE_MAX_MS = 1000;

/** Waits until `pid`'s state satisfies `done` (or it is gone), at most a second; true when it did. */
async function settle(pid: number, done: (state: string) => boolean): Promise<boolean> {
  let state: string | undefined;
  const ok = await waitUntil(
    () => {
      state = processState(pid);
      return state === undefined || done(state);
    },
    SETTLE_MAX_MS,
    SETTLE_POLL_MS,
  );
  return ok && state !== undefined;
}
