/**
 * Host-level faults over SSH, one file per operation: partition, network (loss, delay, bandwidth), disk fill,
 * stress and freeze. Each plans purely (a revert record per host before anything runs), applies, verifies on
 * the host, reverts from its record alone and sweeps what faultline left without a record. The host.* disruptor
 * plug-ins call these; `applyHostFault` is the journal-apply-verify sequence they share.
 */
import type { z } from 'zod';
import type { Host } from '../host.js';
import { diskFill } from './disk-fill.js';
import { freeze } from './freeze.js';
import { sweepRules } from './iptables.js';
import { network } from './network.js';
import { partition } from './partition.js';
import { stress } from './stress.js';
import type {
  FleetExec,
  FleetSweep,
  HostFault,
  HostRevertRecord,
  HostStep,
  PlanInput,
  SweepOptions,
} from './types.js';

export {
  type DiskFillOptions,
  diskFill,
  diskFillOptionsSchema,
  FILL_PREFIX,
  parseSize,
} from './disk-fill.js';
export { type FreezeOptions, freeze, freezeOptionsSchema } from './freeze.js';
export { listRules, sweepRules } from './iptables.js';
export { bandwidthBytes, type NetworkOptions, network, networkOptionsSchema, TC_ROOT } from './network.js';
export { type PartitionOptions, partition, partitionOptionsSchema } from './partition.js';
export {
  bridge,
  completeGrudge,
  type Grudge,
  halves,
  isolate,
  majoritiesRing,
  majority,
  PARTITION_SHAPES,
  type PartitionShape,
  type PartitionSpec,
  partitionGrudge,
  shuffled,
} from './shapes.js';
export { STRESS_TAG, type StressOptions, stress, stressOptionsSchema } from './stress.js';
export {
  type FleetExec,
  type FleetSweep,
  faultTag,
  type HostFault,
  HostFaultError,
  type HostRevertRecord,
  type HostStep,
  MARKER_DIR,
  type PlanInput,
  revertRecord,
  type SweepOptions,
} from './types.js';

/** The operations by the disruptor type they become. */
export const hostFaults: Readonly<Record<string, HostFault>> = {
  [partition.name]: partition as HostFault,
  [network.name]: network as HostFault,
  [diskFill.name]: diskFill as HostFault,
  [stress.name]: stress as HostFault,
  [freeze.name]: freeze as HostFault,
};

/**
 * Everything a sweep removes, in order: frozen processes are continued first (a stopped process holds its
 * locks), then stress is killed, then rules, qdiscs and fill files go.
 */
export const fleetSweeps: ReadonlyArray<{ readonly name: string; readonly sweep: FleetSweep }> = [
  { name: 'freeze', sweep: freeze.sweep },
  { name: 'stress', sweep: stress.sweep },
  { name: 'iptables', sweep: sweepRules },
  { name: 'tc', sweep: network.sweep },
  { name: 'disk-fill', sweep: diskFill.sweep },
];

/** Runs every sweep on a host; resolves with what each removed, as `<sweep>: <item>`. */
export async function sweepHost(exec: FleetExec, host: Host, options?: SweepOptions): Promise<string[]> {
  const removed: string[] = [];
  for (const { name, sweep } of fleetSweeps)
    removed.push(...(await sweep(exec, host, options)).map((item) => `${name}: ${item}`));
  return removed;
}

export interface AppliedHostFault<E> {
  steps: HostStep<E>[];
  /** What verify saw on each host, by host name. */
  seen: Record<string, string>;
}

/**
 * Plans the fault, hands every revert record to `journal` (awaited) before anything runs, applies on all hosts
 * at once and verifies on each. When any host fails to apply or verify, every host is reverted (after all
 * applies settled, so none lands after its revert) and the first error is rethrown.
 */
export async function applyHostFault<S extends z.ZodType, E>(
  exec: FleetExec,
  fault: HostFault<S, E>,
  input: PlanInput,
  options: unknown,
  hooks: { journal?: (records: HostRevertRecord[]) => void | Promise<void>; field?: string } = {},
): Promise<AppliedHostFault<E>> {
  const steps = fault.plan(input, options, hooks.field);
  await hooks.journal?.(steps.map((s) => s.record));
  const outcome = await Promise.allSettled(
    steps.map(async (s) => {
      await fault.apply(exec, s);
      return fault.verify(exec, s);
    }),
  );
  const failed = outcome.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) {
    await revertHostFault(
      exec,
      steps.map((s) => s.host),
      steps.map((s) => s.record),
    ).catch(() => undefined);
    throw failed.reason;
  }
  const seen: Record<string, string> = {};
  steps.forEach((s, i) => {
    seen[s.host.name] = (outcome[i] as PromiseFulfilledResult<string>).value;
  });
  return { steps, seen };
}

/**
 * Reverts records on their hosts, all at once. Rejects (with every failure) when any revert failed: that fault
 * may still be in effect.
 */
export async function revertHostFault(
  exec: FleetExec,
  hosts: readonly Host[],
  records: readonly HostRevertRecord[],
): Promise<void> {
  const outcome = await Promise.allSettled(
    records.map((record) => {
      const host = hosts.find((h) => h.name === record.host);
      if (!host) return Promise.reject(new Error(`no host ${record.host} to revert ${record.type} on`));
      return exec.exec(host, record.command, { timeoutMs: 30_000 });
    }),
  );
  const errors = outcome.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} reverts failed`);
}
