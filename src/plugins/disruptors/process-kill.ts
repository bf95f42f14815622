/**
 * `process.kill`: sends a signal to the fault's scope (an owned target's whole process group by default, so a
 * wrapper such as `sh -c` and the server it spawned both get it) and counts as applied once every process that
 * takes the signal's default action is gone, read from /proc. A process that handles the signal has it
 * delivered (what it does then is its own business); one that ignores it is not affected, and a fault where
 * every process ignores it did not apply.
 *
 * A killed process cannot be un-killed, so the revert record only says what happened; restarting an owned
 * process afterwards is the engine's job (`restart: true`, declared through `restartsOwnedOnEnd`).
 */
import { z } from 'zod';
import { hasProc, requirePid, send, signalIfAlive } from '../../disruptors/proc.js';
import {
  byDisposition,
  defaultScope,
  freezeTree,
  pidList,
  resolveScope,
  type ScopeTargets,
  scopeRecord,
  sendEach,
  stillRuns,
  waitForEach,
} from '../../disruptors/process-scope.js';
import { type DisruptorInstance, defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { processScopeSchema, signalSchema } from '../../experiment/common.js';

function revertFor(instance: DisruptorInstance, signal: string): RevertRecord {
  return { type: 'process.kill', pid: requirePid(instance.pid, instance.id), signal };
}

export const processKill = defineDisruptorPlugin({
  requires: 'local-process',
  name: 'process.kill',
  description:
    'Send a signal (default SIGKILL) to the process (its whole group for an owned target) and wait until the processes it terminates are gone; an owned process is restarted when the fault ends.',
  options: z.strictObject({
    signal: signalSchema.default('SIGKILL').describe('The signal to send (default SIGKILL).'),
    restart: z
      .boolean()
      .default(true)
      .describe('Restart an owned process when the fault ends (default true); ignored for attached ones.'),
    scope: processScopeSchema.optional(),
  }),
  revertFor: (instance, options) => revertFor(instance, options.signal),
  async inject(instance, options) {
    const pid = requirePid(instance.pid, instance.id);
    const signal = options.signal;
    const t: ScopeTargets = resolveScope(instance, options.scope ?? defaultScope(instance));
    if (!hasProc()) {
      const sent = signalIfAlive(pid, signal);
      return { revert: revertFor(instance, signal), detail: { pid, sent, scope: t.scope } };
    }
    // a tree is stopped first so no child escapes the walk; dispositions are read while every process exists
    const members = t.scope === 'tree' ? await freezeTree(t.members) : t.members;
    const { terminate, handle, ignore } = byDisposition(members, signal);
    if (t.scope === 'group') send(-(t.pgid as number), signal);
    else sendEach(members, signal);
    if (t.scope === 'tree' && signal !== 'SIGKILL') sendEach(members, 'SIGCONT');
    if (terminate.length === 0 && handle.length === 0)
      throw new Error(`process ${pidList(ignore).join(', ')} (instance ${instance.id}) ignores ${signal}`);
    const left = await waitForEach(terminate, (p) => !stillRuns(p));
    if (left.length > 0)
      throw new Error(
        `process ${pidList(left).join(', ')} (instance ${instance.id}) still runs after ${signal}`,
      );
    return {
      revert: { ...revertFor(instance, signal), ...scopeRecord(t, members) },
      detail: {
        pid,
        sent: true,
        scope: t.scope,
        killed: pidList(terminate),
        ...(handle.length > 0 ? { handled: pidList(handle) } : {}),
        ...(ignore.length > 0 ? { ignored: pidList(ignore) } : {}),
      },
    };
  },
  async revert() {
    // nothing to undo: the signal was delivered (or the process was already gone)
  },
  restartsOwnedOnEnd: (options) => options.restart,
});
