/**
 * `host.partition`: cuts hosts off from each other. The shape (shapes.ts) gives each host the peers it drops;
 * each such host gets DROP rules for those peers' addresses in INPUT and OUTPUT, tagged with the fault's comment.
 * Only traffic between the fault's hosts is cut: the machine running faultline keeps its SSH connections.
 */
import { z } from 'zod';
import { randomStream } from '../../core/random.js';
import type { Host } from '../host.js';
import { deleteRules, dropBoth, insertRules, ipv4Of, sweepRules, verifyRules } from './iptables.js';
import { PARTITION_SHAPES, type PartitionSpec, partitionGrudge } from './shapes.js';
import {
  type FleetExec,
  faultTag,
  type HostFault,
  type HostStep,
  type PlanInput,
  parseOptions,
  revertRecord,
  sh,
} from './types.js';

export const partitionOptionsSchema = z
  .strictObject({
    shape: z
      .enum(PARTITION_SHAPES)
      .optional()
      .describe(
        'isolate (the chosen hosts from all others), halves (a seeded random split), majorities-ring (every host sees a majority, no two the same), bridge (two halves joined by one host).',
      ),
    chosen: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('isolate: the hosts cut off (default: one seeded random host).'),
    groups: z
      .array(z.array(z.string().min(1)))
      .optional()
      .describe('Explicit sides, e.g. [[a, b], [c]]: each host drops the hosts of the other groups.'),
  })
  .refine((o) => (o.shape === undefined) !== (o.groups === undefined), {
    message: 'give either shape or groups',
  })
  .refine((o) => o.chosen === undefined || o.shape === 'isolate', {
    message: 'chosen goes with shape: isolate',
    path: ['chosen'],
  });
export type PartitionOptions = z.input<typeof partitionOptionsSchema>;

/** What verify looks for on a host: the peers it drops. */
export interface PartitionExpect {
  tag: string;
  peers: string[];
  addresses: string[];
}

function plan(input: PlanInput, options: unknown, field = 'with'): HostStep<PartitionExpect>[] {
  const o = parseOptions(partitionOptionsSchema, options, field);
  const tag = faultTag(input);
  const names = input.targets.map((h) => h.name);
  const spec: PartitionSpec =
    o.groups !== undefined
      ? { groups: o.groups }
      : o.shape === 'isolate'
        ? { shape: 'isolate', ...(o.chosen ? { chosen: o.chosen } : {}) }
        : { shape: o.shape as 'halves' };
  const random = randomStream(input.seed ?? 0).fork(`host.partition/${input.faultId}`);
  const grudge = partitionGrudge(names, spec, random, field);
  const byName = new Map(input.targets.map((h) => [h.name, h]));
  return input.targets.flatMap((host) => {
    const peers = [...(grudge.get(host.name) ?? [])].sort();
    if (peers.length === 0) return [];
    const addresses = peers.map((p) => ipv4Of(byName.get(p) as Host, `${field}.hosts`));
    const revert = sh(deleteRules(tag, false, dropBoth(addresses)));
    return [
      {
        host,
        command: sh(`set -e\n${insertRules(dropBoth(addresses), tag)}`),
        record: {
          type: 'host.partition',
          host: host.name,
          what: `drop all traffic with ${peers.join(', ')} (iptables, ${tag})`,
          command: revert,
          peers,
        },
        expect: { tag, peers, addresses },
      },
    ];
  });
}

export const partition: HostFault<typeof partitionOptionsSchema, PartitionExpect> = {
  name: 'host.partition',
  options: partitionOptionsSchema,
  plan,
  async apply(exec: FleetExec, step) {
    await exec.exec(step.host, step.command, { timeoutMs: 30_000 });
  },
  async verify(exec, step) {
    const listed = await verifyRules(exec, step.host, step.expect.tag, dropBoth(step.expect.addresses));
    return `${listed.length} rules dropping ${step.expect.peers.join(', ')}`;
  },
  revert: revertRecord,
  sweep: sweepRules,
};
