/**
 * `process.restart`: stop the process (its stop signal, SIGKILL after the grace period) and start it again
 * through the engine's `restart` callback. Only the engine knows how to start an owned instance, so nothing is
 * left for a revert to do: the record only names what was restarted.
 */
import { z } from 'zod';
import { InvalidOptionError } from '../../core/errors.js';
import {
  isSameProcess,
  processStartTime,
  requirePid,
  signalIfAlive,
  waitUntil,
} from '../../disruptors/proc.js';
import { type DisruptorInstance, defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { signalSchema } from '../../experiment/common.js';
import { durationSchema, ms } from '../../experiment/duration.js';

// a process we did not spawn has no exit event to wait on; its /proc entry is polled
const EXIT_POLL_MS = 20;

const waitForExit = (pid: number, startTime: number | undefined, timeoutMs: number) =>
  waitUntil(() => !isSameProcess(pid, startTime), timeoutMs, EXIT_POLL_MS);

function revertFor(instance: DisruptorInstance): RevertRecord {
  return { type: 'process.restart', pid: requirePid(instance.pid, instance.id) };
}

export const processRestart = defineDisruptorPlugin({
  requires: 'local-process',
  name: 'process.restart',
  description: 'Stop the owned process (signal, then SIGKILL after grace) and start it again.',
  options: z.strictObject({
    signal: signalSchema.default('SIGTERM').describe('The stop signal (default SIGTERM).'),
    grace: durationSchema.default('5s').describe('Wait this long for exit before SIGKILL (default 5s).'),
  }),
  revertFor,
  async inject(instance, options, ctx) {
    if (ctx.restart === undefined) {
      throw new InvalidOptionError(
        'restart',
        `process.restart needs a way to start instance ${instance.id} again (only owned processes can be restarted)`,
      );
    }
    const pid = requirePid(instance.pid, instance.id);
    const startTime = processStartTime(pid);
    signalIfAlive(pid, options.signal, startTime);
    let forced = false;
    if (!(await waitForExit(pid, startTime, ms(options.grace, 'grace')))) {
      forced = signalIfAlive(pid, 'SIGKILL', startTime);
      await waitForExit(pid, startTime, 10_000);
    }
    const started = await ctx.restart(instance);
    return { revert: revertFor(instance), detail: { pid, forced, newPid: started.pid } };
  },
  async revert() {
    // the restart is complete once inject resolves
  },
});
