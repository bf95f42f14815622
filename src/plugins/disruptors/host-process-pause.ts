/**
 * `host.process.pause`: SIGSTOP to a service's processes on its host, over SSH; applied once /proc on the host
 * shows each stopped (state T). The processes (pid and start time) are journaled before any is stopped, and a
 * marker per process is left on the host, so `faultline recover` — or `recover --sweep`, without a journal —
 * continues exactly those. The revert sends SIGCONT and waits until none is stopped.
 */
import { z } from 'zod';
import { readProcesses, recordHost, requireService } from '../../disruptors/host.js';
import { defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { durationSchema, ms } from '../../experiment/duration.js';
import { withConnections } from '../../fleet/connections.js';
import { continueAndWait, findServiceProcesses, stopAndWait } from '../../fleet/remote-process.js';

const NAME = 'host.process.pause';
const CONTINUE_TIMEOUT_MS = 10_000;

export const hostProcessPause = defineDisruptorPlugin({
  name: NAME,
  requires: 'service',
  description:
    "Freeze a service's processes on its host with SIGSTOP over SSH, applied once /proc there shows each stopped; SIGCONT when the fault ends.",
  options: z.strictObject({
    wait: durationSchema
      .default('10s')
      .describe('How long the processes may take to show as stopped (default 10s).'),
  }),
  revertFor(instance): RevertRecord {
    const { host } = requireService(instance, NAME);
    return { type: NAME, host, instance: instance.id, processes: [] };
  },
  async inject(instance, options, ctx) {
    const { host, service } = requireService(instance, NAME);
    const base = this.revertFor(instance, options, ctx);
    return withConnections(ctx.fleet?.connections, async (c) => {
      const procs = await findServiceProcesses(c, host, service.selector, instance.id);
      const revert: RevertRecord = {
        ...base,
        processes: procs.map((p) => ({ pid: p.pid, startTime: p.startTime })),
      };
      ctx.updateRevert?.(revert); // the processes are on disk before any of them stops
      const note = `host=${host.name} instance=${instance.id} fault=${ctx.faultId}${ctx.fleet ? ` run=${ctx.fleet.runId}` : ''}`;
      const { stopped, left } = await stopAndWait(c, host, procs, note, ms(options.wait, 'wait'));
      if (left.length > 0)
        throw new Error(
          `${host.name}: process ${left.join(', ')} (${instance.id}) did not stop within ${options.wait}`,
        );
      if (stopped.length === 0)
        throw new Error(`${host.name}: process ${procs[0]?.pid} (${instance.id}) exited before it stopped`);
      return { revert, detail: { host: host.name, stopped } };
    });
  },
  async revert(record, ctx) {
    const procs = readProcesses(record.processes);
    if (procs.length === 0) return; // journaled before the processes were known: nothing was stopped
    const host = recordHost(record);
    const left = await withConnections(ctx?.connections, (c) =>
      continueAndWait(c, host, procs, CONTINUE_TIMEOUT_MS),
    );
    if (left.length > 0)
      throw new Error(`${host.name}: process ${left.join(', ')} still stopped after SIGCONT`);
  },
});
