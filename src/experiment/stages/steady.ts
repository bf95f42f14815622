/**
 * Stages 3 and 6, the steady-state check before and after the method (src/experiment/steady.ts does the
 * sampling). Before, a failure means the system was not ready and nothing is judged; after, it means the
 * system did not come back.
 */
import type { ExperimentSpec } from '../schema.js';
import { checkSteadyState, type SteadyStateResult } from '../steady.js';
import { type RunContext, reasonOf } from './context.js';
import type { Gate } from './start-targets.js';

type SteadySpec = NonNullable<ExperimentSpec['steady_state']>;

/** Checks the steady state before the method; `notReady` when it does not hold (and the run was not stopped). */
export async function steadyBefore(
  ctx: RunContext,
  steady: SteadySpec,
  monitors: ExperimentSpec['monitors'],
  signal: AbortSignal,
): Promise<{ result: SteadyStateResult; notReady?: string }> {
  ctx.enter('steady-before');
  const result = await checkSteadyState(steady, monitors, { clock: ctx.clock, signal, fleet: ctx.fleet });
  const notReady = !result.ok && !ctx.stop.aborted ? `steady state before: ${result.reason}` : undefined;
  ctx.emit(
    'steady.before',
    result.ok ? 'steady state holds' : `steady state does not hold: ${result.reason}`,
  );
  return notReady === undefined ? { result } : { result, notReady };
}

/**
 * Whether the method may start, once everything before it is done: a stop is `aborted` whatever else happened;
 * else a target lost before the method is the cause of whatever else failed, so it is the `notReady` reason.
 */
export function gateBeforeMethod(
  ctx: RunContext,
  notReady: string | undefined,
  lost: string | undefined,
): Gate {
  if (ctx.stop.aborted) return { notReady, aborted: reasonOf(ctx.stop) };
  return { notReady: lost ?? notReady };
}

/** Checks that the steady state came back after rollback; `hurry` cuts the wait short. */
export async function steadyAfter(
  ctx: RunContext,
  steady: SteadySpec,
  monitors: ExperimentSpec['monitors'],
): Promise<SteadyStateResult> {
  ctx.enter('steady-after');
  const result = await checkSteadyState(steady, monitors, {
    clock: ctx.clock,
    signal: ctx.hurry ?? new AbortController().signal,
    fleet: ctx.fleet,
  });
  ctx.emit(
    'steady.after',
    result.ok ? 'steady state holds again' : `steady state did not come back: ${result.reason}`,
  );
  return result;
}
