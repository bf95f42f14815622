/**
 * `process.pause`: SIGSTOP to the fault's scope (an owned target's whole process group by default, so a wrapper
 * and the server it spawned both stop); the revert sends SIGCONT to the same processes (checked by their start
 * times). A signal is delivered when the kernel next schedules the process, so both wait until /proc shows the
 * new state: "applied" means every process in scope is stopped, and "reverted" means each runs again.
 *
 * The record is journaled again with the processes in scope before any of them is stopped
 * (`ctx.updateRevert`), so `recover` continues exactly those.
 */
import { z } from 'zod';
import {
  hasProc,
  isSameProcess,
  processStartTime,
  readStat,
  requirePid,
  send,
  signalIfAlive,
} from '../../disruptors/proc.js';
import {
  defaultScope,
  freezeTree,
  pidList,
  recordedRefs,
  resolveScope,
  type ScopeTargets,
  scopeRecord,
  signalScope,
  stillRuns,
  stoppedOrGone,
  verifiedGroup,
  waitForEach,
} from '../../disruptors/process-scope.js';
import { type AppliedFault, defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { processScopeSchema } from '../../experiment/common.js';

const isStopped = (state: string | undefined) => state === 'T' || state === 't';

export const processPause = defineDisruptorPlugin({
  requires: 'local-process',
  name: 'process.pause',
  description:
    'Freeze the process (its whole group for an owned target) with SIGSTOP, applied once /proc shows every one stopped; SIGCONT when the fault ends.',
  options: z.strictObject({ scope: processScopeSchema.optional() }),
  revertFor(instance) {
    const pid = requirePid(instance.pid, instance.id);
    const startTime = processStartTime(pid);
    const record: RevertRecord = { type: 'process.pause', pid, signal: 'SIGCONT' };
    return startTime === undefined ? record : { ...record, startTime };
  },
  async inject(instance, options, ctx): Promise<AppliedFault> {
    const base = this.revertFor(instance, options, ctx);
    const pid = base.pid as number;
    if (!isSameProcess(pid)) throw new Error(`process ${pid} (instance ${instance.id}) is not running`);
    const t: ScopeTargets = resolveScope(instance, options.scope ?? defaultScope(instance));
    if (!hasProc()) {
      signalIfAlive(pid, 'SIGSTOP');
      return { revert: base, detail: { pid, scope: t.scope } };
    }
    const record = (members: ScopeTargets['members']): RevertRecord => ({
      ...base,
      ...scopeRecord(t, members),
    });
    let stopped: ScopeTargets['members'];
    if (t.scope === 'tree') {
      // each round of the walk is journaled before its processes are stopped
      stopped = await freezeTree(t.members, (all) => ctx.updateRevert?.(record(all)));
    } else {
      ctx.updateRevert?.(record(t.members));
      stopped = await signalScope(t, 'SIGSTOP');
    }
    const revert = record(stopped);
    const left = await waitForEach(stopped, stoppedOrGone);
    if (left.length > 0)
      throw new Error(`process ${pidList(left).join(', ')} did not stop (instance ${instance.id})`);
    const halted = stopped.filter((p) => isStopped(readStat(p.pid)?.state));
    if (halted.length === 0)
      throw new Error(`process ${pid} (instance ${instance.id}) exited before it stopped`);
    return { revert, detail: { pid, scope: t.scope, stopped: pidList(halted) } };
  },
  async revert(record) {
    const pid = record.pid as number;
    const startTime = typeof record.startTime === 'number' ? record.startTime : undefined;
    if (!hasProc() || record.scope === undefined) {
      // a record journaled before the scope was known (nothing was stopped then), or no /proc
      if (signalIfAlive(pid, 'SIGCONT', startTime) && hasProc())
        await continued([{ pid, startTime: startTime ?? (processStartTime(pid) as number) }], pid);
      return;
    }
    const known = recordedRefs(record.members);
    const targets = new Map<number, { pid: number; startTime: number }>();
    for (const [p, start] of known)
      if (stillRuns({ pid: p, startTime: start })) targets.set(p, { pid: p, startTime: start });
    if (record.scope === 'group' && typeof record.pgid === 'number') {
      const leaderStart = typeof record.groupStart === 'number' ? record.groupStart : undefined;
      const group = verifiedGroup(record.pgid, { leaderStart, known });
      // the whole group at once, members that joined it after the fault included
      if (group.length > 0) send(-record.pgid, 'SIGCONT');
      for (const p of group) targets.set(p.pid, p);
    }
    for (const p of targets.values()) send(p.pid, 'SIGCONT');
    await continued([...targets.values()], pid);
  },
});

/** Waits until each process runs again (or is gone); rejects when one is still stopped: the fault is still on. */
async function continued(procs: { pid: number; startTime: number }[], pid: number): Promise<void> {
  const left = await waitForEach(procs, (p) => {
    const s = readStat(p.pid);
    return s === undefined || s.startTime !== p.startTime || !isStopped(s.state);
  });
  if (left.length > 0)
    throw new Error(
      `process ${pidList(left).join(', ')} still stopped after SIGCONT (paused instance pid ${pid})`,
    );
}
