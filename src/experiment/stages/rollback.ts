/**
 * Stage 5, rollback — in `finally`, whatever happened before: stop injecting, revert every fault still applied
 * (last in, first out), stop sending load and let what is in flight finish (unless hurried), and keep each
 * runner's series as it ended.
 */
import type { RevertOutcome } from '../../disruptors/apply.js';
import type { LoadRun } from '../../load/http-runner.js';
import type { LoadSeries } from '../../load/samples.js';
import type { FaultExecutor } from '../executor.js';
import type { RunContext } from './context.js';

/** The reverts done, and the load series by runner name. */
export interface RollbackOutcome {
  reverts: RevertOutcome[];
  loadSeries: Record<string, LoadSeries>;
}

/** Rolls back `executor` (when the method got as far as making one) and stops `loads`. */
export async function rollback(
  ctx: RunContext,
  executor: FaultExecutor | undefined,
  loads: ReadonlyMap<string, LoadRun>,
): Promise<RollbackOutcome> {
  let reverts: RevertOutcome[] = [];
  if (executor) {
    executor.stopInjecting();
    ctx.enter('rollback');
    reverts = await executor.rollback();
  }
  for (const run of loads.values()) run.stop();
  const hurry = ctx.hurry;
  if (!hurry?.aborted && loads.size > 0) {
    const drained = Promise.all([...loads.values()].map((r) => r.done.catch(() => undefined)));
    await Promise.race([drained, new Promise((r) => hurry?.addEventListener('abort', r, { once: true }))]);
  }
  const loadSeries = Object.fromEntries([...loads].map(([name, run]) => [name, run.series()]));
  return { reverts, loadSeries };
}
