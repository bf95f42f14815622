/**
 * What the disruptors built on the host-fault library (src/fleet/faults: `host.partition`, `host.network`,
 * `host.disk-fill`, `host.stress`, `host.freeze`) share. The library's `plan` is both the validator (its option
 * errors become validation errors naming the field) and the planner; its revert records are journaled, with
 * how to reach each host, before anything is applied (through `updateRevert`); and the revert runs those
 * records' commands from the journal alone, so `faultline recover` undoes the fault after the runner died.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { FaultlineError, InvalidOptionError } from '../core/errors.js';
import { type FleetConnections, withConnections } from '../fleet/connections.js';
import {
  applyHostFault,
  type FleetExec,
  type HostFault,
  type HostRevertRecord,
  majority,
  type PlanInput,
  revertHostFault,
} from '../fleet/faults/index.js';
import type { Host } from '../fleet/host.js';
import { type HostRef, hostOfRef, isHostRef } from '../fleet/host-ref.js';
import type { DefinitionIssue, GroupPlan, HostFaultInput } from '../plugins/registry.js';
import {
  type AppliedFault,
  type Disruptor,
  type DisruptorInstance,
  defineDisruptorPlugin,
  type InjectContext,
  type Json,
  type RevertContext,
  type RevertRecord,
} from './types.js';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The library's fault id for a journal id (`<fault>.<occurrence>.<instance>`): rule comments, marker files and
 * process tags take letters, digits, `.`, `_` and `-` only, at most 64. An id that had to change gets a short
 * hash of the original, so two journal ids never meet in one.
 */
export function hostFaultId(journalId: string): string {
  if (ID_RE.test(journalId)) return journalId;
  const hash = createHash('sha256').update(journalId).digest('hex').slice(0, 8);
  const clean = journalId.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return `${clean.slice(0, 55)}-${hash}`.replace(/^-/, 'f');
}

/** Runs commands on the hosts the refs name, over `connections` (a library fault's `exec`). */
export function execOver(connections: FleetConnections, refs: readonly HostRef[]): FleetExec {
  return {
    exec(host, command, options) {
      const ref = refs.find((r) => r.name === host.name);
      if (ref === undefined)
        return Promise.reject(new FaultlineError('FLEET_UNKNOWN_HOST', `no way to reach host ${host.name}`));
      return connections.exec(ref, command, options);
    },
  };
}

/** The library's plan input for the instance hosts `refs` under the run's fleet. */
function planInput(ctx: InjectContext, refs: readonly HostRef[], name: string): PlanInput {
  const fleet = ctx.fleet;
  if (fleet === undefined)
    throw new InvalidOptionError('target', `${name} acts on hosts over SSH, but the run has no hosts`);
  return {
    fleet: [...fleet.hosts.values()],
    targets: refs.map((r) => fleet.hosts.get(r.name) ?? hostOfRef(r)),
    runId: fleet.runId,
    faultId: hostFaultId(ctx.faultId),
    seed: fleet.seed,
  };
}

/** A host fault's revert record: how to reach each host, and the library's record per host. */
export function hostFaultRecord(
  type: string,
  hosts: readonly HostRef[],
  records: readonly HostRevertRecord[],
) {
  return { type, hosts: [...hosts], records: [...records] } satisfies RevertRecord;
}

/**
 * Plans the fault on `refs`, journals the records (through `updateRevert`) before anything runs, applies on
 * every host at once and verifies on each (the library's `applyHostFault`: when one host fails, every host is
 * reverted and the error rethrown). Resolves with the record and what was seen on each host.
 */
export async function injectHostFault(
  fault: HostFault,
  refs: readonly HostRef[],
  options: unknown,
  ctx: InjectContext,
): Promise<AppliedFault & { records: HostRevertRecord[] }> {
  const input = planInput(ctx, refs, fault.name);
  let revert: RevertRecord = hostFaultRecord(fault.name, refs, []);
  let records: HostRevertRecord[] = [];
  const applied = await withConnections(ctx.fleet?.connections, (c) =>
    applyHostFault(execOver(c, refs), fault, input, options, {
      journal: (planned) => {
        records = planned;
        revert = hostFaultRecord(fault.name, refs, planned);
        ctx.updateRevert?.(revert);
      },
    }),
  );
  return {
    revert,
    records,
    detail: { hosts: refs.map((r) => r.name), seen: applied.seen as { [host: string]: Json } },
  };
}

/** Undoes a host fault from its record alone: each host's command, on every host at once. */
export async function revertHostFaultRecord(record: RevertRecord, ctx?: RevertContext): Promise<void> {
  const refs = Array.isArray(record.hosts) ? record.hosts.filter(isHostRef) : [];
  const records = (Array.isArray(record.records) ? record.records : []).filter(
    (r): r is HostRevertRecord =>
      typeof r === 'object' &&
      r !== null &&
      !Array.isArray(r) &&
      typeof r.host === 'string' &&
      typeof r.command === 'string',
  );
  if (records.length === 0) return; // journaled before it was planned: nothing was applied
  await withConnections(ctx?.connections, (c) =>
    revertHostFault(execOver(c, refs), refs.map(hostOfRef), records),
  );
}

/** The instance's hosts: the group's members for a fault on a whole group, else its own host. */
export function hostsOfInstance(instance: DisruptorInstance, name: string): HostRef[] {
  const members = instance.members ?? [instance];
  const refs = members.flatMap((m) => (m.host === undefined ? [] : [m.host]));
  if (refs.length === 0 || refs.length !== members.length)
    throw new InvalidOptionError(
      'target',
      `${name} acts on hosts over SSH, but ${instance.id} is not on hosts (use a service or host target, or a group of hosts)`,
    );
  return refs;
}

/** `with.peers[0]` → `['peers', 0]`: an option error's field as a path under the options. */
function optionPath(field: string): (string | number)[] {
  return field
    .replace(/^with\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((s): s is string => s !== undefined && s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * The validator's check of a fault's options against its hosts: the library's own plan, run on them (for a
 * fault on one host at a time, on each). Options holding run-time placeholders (`{{…}}`) are checked at run time.
 */
export function planIssues(
  fault: HostFault,
  options: unknown,
  input: HostFaultInput,
  each: boolean,
): DefinitionIssue[] {
  if (JSON.stringify(options ?? {}).includes('{{')) return [];
  const groups = each ? input.targets.map((t) => [t]) : [input.targets];
  for (const targets of groups) {
    try {
      fault.plan(
        {
          fleet: input.fleet,
          targets,
          runId: 'validate',
          faultId: hostFaultId(input.faultId),
          seed: input.seed,
        },
        options,
      );
    } catch (err) {
      if (err instanceof InvalidOptionError) {
        const message = err.message.startsWith(`${err.field}: `)
          ? err.message.slice(err.field.length + 2)
          : err.message;
        return [{ path: optionPath(err.field), message }];
      }
      throw err;
    }
  }
  return [];
}

/**
 * How a grudge (each host → the peers it drops) splits `hosts`: the sides (hosts that reach exactly each other),
 * and the hosts that reach fewer than a strict majority of them, themselves included.
 */
export function groupPlanOf(
  hosts: readonly Host[],
  drops: ReadonlyMap<string, readonly string[]>,
): GroupPlan {
  const names = hosts.map((h) => h.name);
  const view = (h: string) => names.filter((n) => !(drops.get(h) ?? []).includes(n)).sort();
  const key = (v: string[]) => v.join(' ');
  const sides: string[][] = [];
  for (const h of names) {
    const v = view(h);
    const clean = v.every((o) => key(view(o)) === key(v));
    if (clean && !sides.some((s) => key(s) === key(v))) sides.push(v);
  }
  // the smaller sides first: the cut-off ones lead
  sides.sort((a, b) => a.length - b.length || (a[0] as string).localeCompare(b[0] as string));
  const need = majority(names.length);
  const unavailable = names.filter((h) => view(h).length < need);
  const inSides = new Set(sides.flat());
  const split =
    inSides.size === names.length
      ? `sides ${sides.map((s) => s.join(' ')).join(' | ')}`
      : `views ${names.map((h) => `${h} sees ${view(h).length === names.length ? 'all' : view(h).join(' ')}`).join('; ')}`;
  const down = unavailable.length === 0 ? 'none unavailable' : `unavailable: ${unavailable.join(', ')}`;
  return { sides, unavailable, describe: `${split}; ${down}` };
}

/**
 * The disruptor of a library fault that acts on each picked instance's host on its own (`host.network`,
 * `host.disk-fill`, `host.stress`): the library's options are its `with:`, its plan the validator, its records the
 * journaled revert.
 */
export function perHostDisruptor<O extends z.ZodObject>(
  fault: HostFault<O>,
  description: string,
): Disruptor<O> {
  return defineDisruptorPlugin({
    name: fault.name,
    requires: 'host',
    description,
    options: fault.options,
    checkHosts: (options, input) => planIssues(fault, options, input, true),
    revertFor: (instance): RevertRecord =>
      hostFaultRecord(fault.name, hostsOfInstance(instance, fault.name), []),
    inject: (instance, options, ctx) =>
      injectHostFault(fault, hostsOfInstance(instance, fault.name), options, ctx),
    revert: revertHostFaultRecord,
  });
}
