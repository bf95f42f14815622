/**
 * `host.partition`: cuts the hosts of its target off from each other with iptables DROP rules (the library's
 * src/fleet/faults/partition.ts), in a Jepsen shape or explicit groups. It acts on the whole group at once: one
 * occurrence partitions every host of the target, `count` and `percent` do not apply, and the hosts it leaves
 * unable to reach a majority count as unavailable for `max_unavailable`. The split is seeded (the run's seed and
 * the fault's id), so `--dry-run` prints the sides the run will make. Every host's revert command is journaled
 * before any rule goes in; `faultline recover` deletes the rules from the journal alone.
 */
import {
  groupPlanOf,
  hostFaultId,
  hostFaultRecord,
  hostsOfInstance,
  injectHostFault,
  planIssues,
  revertHostFaultRecord,
} from '../../disruptors/host-fault.js';
import { defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { partition, partitionOptionsSchema } from '../../fleet/faults/index.js';
import type { Host } from '../../fleet/host.js';
import type { GroupPlan, HostFaultInput } from '../registry.js';

const NAME = 'host.partition';

/** The split the library's plan makes of `input.targets`. */
export function partitionPlan(options: unknown, input: HostFaultInput): GroupPlan {
  const steps = partition.plan(
    {
      fleet: input.fleet,
      targets: input.targets,
      runId: 'plan',
      faultId: hostFaultId(input.faultId),
      seed: input.seed,
    },
    options,
  );
  return groupPlanOf(input.targets, new Map(steps.map((s) => [s.host.name, s.expect.peers])));
}

export const hostPartition = defineDisruptorPlugin({
  name: NAME,
  requires: 'host',
  description:
    "Partition the target's hosts from each other (iptables DROP, both ways): a seeded shape (isolate, halves, majorities-ring, bridge) or explicit groups; acts on the whole group at once.",
  options: partitionOptionsSchema,
  checkHosts: (options, input) => planIssues(partition, options, input, false),
  onGroup: partitionPlan,
  // a host cut off from the majority is gone for every service on it
  hostWide: true,
  revertFor(instance): RevertRecord {
    return hostFaultRecord(NAME, hostsOfInstance(instance, NAME), []);
  },
  async inject(instance, options, ctx) {
    const refs = hostsOfInstance(instance, NAME);
    const { revert, records, detail } = await injectHostFault(partition, refs, options, ctx);
    const hosts: Host[] = refs.map((r) => ctx.fleet?.hosts.get(r.name) as Host);
    const split = groupPlanOf(hosts, new Map(records.map((r) => [r.host, r.peers as string[]])));
    return {
      revert,
      detail: { ...detail, sides: split.sides, unavailable: split.unavailable, split: split.describe },
    };
  },
  revert: revertHostFaultRecord,
});
