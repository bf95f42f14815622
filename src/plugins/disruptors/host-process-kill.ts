/**
 * `host.process.kill`: a signal (default SIGKILL) to a service's processes on its host, over SSH; applied once
 * /proc on the host shows every one gone. When the fault ends the service is started again — its target's
 * `start` command, or `systemctl start` for a unit — unless `restart: false`; the way to start it is in the
 * journaled record, so `faultline recover` starts it too.
 */
import { z } from 'zod';
import { pidsOf, readStartRecord, recordHost, requireService, startRecord } from '../../disruptors/host.js';
import { defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { signalSchema } from '../../experiment/common.js';
import { durationSchema, ms } from '../../experiment/duration.js';
import { withConnections } from '../../fleet/connections.js';
import {
  findProcesses,
  findServiceProcesses,
  signalAndWaitGone,
  startAndWait,
} from '../../fleet/remote-process.js';

const NAME = 'host.process.kill';
const START_TIMEOUT_MS = 30_000;

export const hostProcessKill = defineDisruptorPlugin({
  name: NAME,
  requires: 'service',
  description:
    "Send a signal (default SIGKILL) to a service's processes on its host over SSH and wait until /proc there shows them gone; start the service again when the fault ends.",
  options: z.strictObject({
    signal: signalSchema.default('SIGKILL').describe('The signal to send (default SIGKILL).'),
    restart: z
      .boolean()
      .default(true)
      .describe(
        "Start the service again when the fault ends: the target's start command, or systemctl start (default true).",
      ),
    wait: durationSchema
      .default('10s')
      .describe('How long the processes may take to exit; still running after it, the fault did not apply.'),
  }),
  revertFor(instance, options): RevertRecord {
    const { host, service } = requireService(instance, NAME);
    return {
      type: NAME,
      host,
      instance: instance.id,
      signal: options.signal,
      restart: options.restart ? startRecord(instance.id, service) : null,
    };
  },
  async inject(instance, options, ctx) {
    const { host, service } = requireService(instance, NAME);
    const base = this.revertFor(instance, options, ctx);
    return withConnections(ctx.fleet?.connections, async (c) => {
      const procs = await findServiceProcesses(c, host, service.selector, instance.id);
      const revert = { ...base, killed: pidsOf(procs) };
      ctx.updateRevert?.(revert);
      const left = await signalAndWaitGone(c, host, procs, options.signal, ms(options.wait, 'wait'));
      if (left.length > 0)
        throw new Error(
          `${host.name}: process ${left.join(', ')} (${instance.id}) still runs ${options.wait} after ${options.signal}`,
        );
      return { revert, detail: { host: host.name, killed: pidsOf(procs) } };
    });
  },
  async revert(record, ctx) {
    const start = readStartRecord(record.restart);
    if (start === null) return; // a kill cannot be undone; nothing was asked to start again
    const host = recordHost(record);
    await withConnections(ctx?.connections, async (c) => {
      // already running (started by hand, or a revert before this one): nothing to do
      if ((await findProcesses(c, host, start.selector)).length > 0) return;
      await startAndWait(c, host, {
        selector: start.selector,
        start: start.start,
        systemdVerb: 'start',
        log: start.log,
        timeoutMs: START_TIMEOUT_MS,
      });
    });
  },
});
