/**
 * `host.stress`: CPU and memory pressure with stress-ng on each picked instance's host, for at most `duration`
 * (the library's src/fleet/faults/stress.ts: a tagged wrapper leading its own process group). Journaled before
 * it is applied; the revert kills the tagged group.
 */
import {
  hostFaultRecord,
  hostsOfInstance,
  injectHostFault,
  planIssues,
  revertHostFaultRecord,
} from '../../disruptors/host-fault.js';
import { defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { stress, stressOptionsSchema } from '../../fleet/faults/index.js';

const NAME = 'host.stress';

export const hostStress = defineDisruptorPlugin({
  name: NAME,
  requires: 'host',
  description: 'Load the host with stress-ng (CPU and memory workers) for at most a duration.',
  options: stressOptionsSchema,
  checkHosts: (options, input) => planIssues(stress, options, input, true),
  revertFor(instance): RevertRecord {
    return hostFaultRecord(NAME, hostsOfInstance(instance, NAME), []);
  },
  inject: (instance, options, ctx) => injectHostFault(stress, hostsOfInstance(instance, NAME), options, ctx),
  revert: revertHostFaultRecord,
});
