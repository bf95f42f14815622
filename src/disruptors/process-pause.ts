/** `process.pause`: SIGSTOP; the revert sends SIGCONT to the same process (checked by its start time). */
import { processPause } from '../experiment/disruptors/process-pause.js';
import { isSameProcess, processStartTime, requirePid, signalIfAlive } from './proc.js';
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
    return { revert };
  },
  async revert(record) {
    signalIfAlive(
      record.pid as number,
      'SIGCONT',
      typeof record.startTime === 'number' ? record.startTime : undefined,
    );
  },
});
