/**
 * `process.kill`: sends a signal. A killed process cannot be un-killed, so the revert record only says what
 * happened; restarting an owned process afterwards is the engine's job (`restart: true`, which this runtime
 * declares through `restartsOwnedOnEnd`), not the revert's.
 */
import { processKill } from '../experiment/disruptors/process-kill.js';
import { requirePid, signalIfAlive } from './proc.js';
import { type DisruptorInstance, defineDisruptorRuntime, type RevertRecord } from './types.js';

function revertFor(instance: DisruptorInstance, signal: string): RevertRecord {
  return { type: 'process.kill', pid: requirePid(instance.pid, instance.id), signal };
}

export const processKillRuntime = defineDisruptorRuntime(processKill, {
  revertFor: (instance, options) => revertFor(instance, options.signal),
  async inject(instance, options) {
    const pid = requirePid(instance.pid, instance.id);
    const sent = signalIfAlive(pid, options.signal);
    return { revert: revertFor(instance, options.signal), detail: { pid, sent } };
  },
  async revert() {
    // nothing to undo: the signal was delivered (or the process was already gone)
  },
  restartsOwnedOnEnd: (options) => options.restart,
});
