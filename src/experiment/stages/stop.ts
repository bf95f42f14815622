/**
 * Stage 10, stop — the last of the cleanup: stop the target groups this run started (last first), then close
 * the run: `run.ended` in the journal, the journal closed, the run file removed, the caller's signal let go.
 */
import type { ExperimentResult } from '../run-types.js';
import type { TargetGroup } from '../targets.js';
import type { RunContext } from './context.js';
import type { OpenRun } from './open.js';

/** Stops every group, last started first; a group that fails to stop is told and the others still stopped. */
export async function stopTargets(ctx: RunContext, groups: ReadonlyMap<string, TargetGroup>): Promise<void> {
  ctx.enter('stopping');
  for (const group of [...groups.values()].reverse()) {
    try {
      await group.stop();
    } catch (err) {
      ctx.emit('target.stop-failed', `${group.name}: ${(err as Error).message}`);
    }
  }
}

/** Ends the run's records; `result` is absent when the run failed before it had one (verdict `error`). */
export function closeRun(run: OpenRun, result: ExperimentResult | undefined): void {
  run.ctx.journal.append({
    event: 'run.ended',
    verdict: result?.verdict ?? 'error',
    ...(result?.reason === undefined ? {} : { reason: result.reason }),
  });
  run.ctx.journal.close();
  run.registration.unregister();
  run.detach();
}
