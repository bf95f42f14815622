/**
 * `host.freeze`: a hung node. On each picked instance's host, SIGSTOP every process of the target — a service
 * target's own processes (its `match` pattern, or the pids its pid file or unit gives) unless `pids` or
 * `patterns` say otherwise — and drop the host's traffic with its peers (the library's
 * src/fleet/faults/freeze.ts). The stopped processes are listed in a marker on the host before any stops, and
 * the record is journaled before anything runs: the revert (or `recover`, or a sweep) continues exactly those.
 */
import { z } from 'zod';
import { InvalidOptionError } from '../../core/errors.js';
import {
  hostFaultRecord,
  hostsOfInstance,
  injectHostFault,
  planIssues,
  revertHostFaultRecord,
} from '../../disruptors/host-fault.js';
import { type DisruptorInstance, defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { withConnections } from '../../fleet/connections.js';
import { type FreezeOptions, freeze, freezeOptionsSchema } from '../../fleet/faults/index.js';
import { findServiceProcesses } from '../../fleet/remote-process.js';

const NAME = 'host.freeze';

// the library's fields; its "pids or patterns" rule is the plan's, once a service target filled in its own
const options = z.strictObject(freezeOptionsSchema.shape);

/** The options with a service's own processes when neither pids nor patterns are given. */
async function withProcesses(
  instance: DisruptorInstance,
  o: FreezeOptions,
  fleet: Parameters<typeof withConnections>[0],
): Promise<FreezeOptions> {
  if (o.pids !== undefined || o.patterns !== undefined) return o;
  const service = instance.service;
  if (service === undefined || instance.host === undefined)
    throw new InvalidOptionError(
      'with',
      `give pids or patterns: ${instance.id} is a host, with no processes of its own to stop`,
    );
  if (service.selector.match !== undefined) return { ...o, patterns: [service.selector.match] };
  const host = instance.host;
  const found = await withConnections(fleet, (c) =>
    findServiceProcesses(c, host, service.selector, instance.id),
  );
  return { ...o, pids: found.map((p) => p.pid) };
}

export const hostFreeze = defineDisruptorPlugin({
  name: NAME,
  requires: 'host',
  // a hung node: its peers lose every service on it
  hostWide: true,
  description:
    "Hang the host: SIGSTOP the target's processes there (a service's own, or pids/patterns) and drop its traffic with its peers.",
  options,
  checkHosts(o, input) {
    if (o.pids === undefined && o.patterns === undefined) {
      if (input.target?.type !== 'service')
        return [{ path: [], message: 'give pids or patterns: a host target has no processes of its own' }];
      // a service's own processes, found at run time: check the rest with a stand-in pattern
      return planIssues(freeze, { ...o, patterns: ['.'] }, input, true);
    }
    return planIssues(freeze, o, input, true);
  },
  revertFor(instance): RevertRecord {
    return hostFaultRecord(NAME, hostsOfInstance(instance, NAME), []);
  },
  async inject(instance, o, ctx) {
    const refs = hostsOfInstance(instance, NAME);
    return injectHostFault(freeze, refs, await withProcesses(instance, o, ctx.fleet?.connections), ctx);
  },
  revert: revertHostFaultRecord,
});
