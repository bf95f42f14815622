/**
 * Stage 4, the method: load, faults and monitors on one timeline for the plan's duration. The fault executor
 * (src/experiment/executor.ts) is the one place faults are scheduled; this loop only gives it the time and the
 * live samples, looks at the abort conditions and reports progress, until the end or a stop.
 */
import type { MonitorSample as AvailabilitySample } from '../../kpi/availability.js';
import type { LoadRun } from '../../load/http-runner.js';
import type { LoadSeries } from '../../load/samples.js';
import { type ConditionInputs, firstHolding } from '../../monitors/condition.js';
import type { MonitorSample } from '../../monitors/types.js';
import { FaultExecutor } from '../executor.js';
import type { ExperimentPlan } from '../plan.js';
import type { ExperimentSpec } from '../schema.js';
import type { TargetGroup } from '../targets.js';
import { type RunContext, reasonOf, sleep } from './context.js';
import type { ProgressMeter } from './progress.js';

/** Enters `method` and makes the executor, so rollback has it even when the method fails at once. */
export function createExecutor(
  ctx: RunContext,
  o: {
    spec: ExperimentSpec;
    plan: ExperimentPlan;
    groups: ReadonlyMap<string, TargetGroup>;
    faultOptions: Record<string, unknown>[];
  },
): FaultExecutor {
  ctx.enter('method');
  return new FaultExecutor({
    spec: o.spec,
    plan: o.plan,
    journal: ctx.journal,
    groups: o.groups,
    clock: ctx.clock,
    options: o.faultOptions,
    signal: ctx.stop,
    onEvent: ctx.emit,
    ...(ctx.fleet === undefined ? {} : { fleet: ctx.fleet }),
  });
}

/** When the method ran (epoch ms) and why it stopped early, if it did. */
export interface MethodOutcome {
  startMs: number;
  endMs: number;
  aborted?: string;
}

/** What {@link runMethod} reads. */
export interface MethodInputs {
  spec: ExperimentSpec;
  durationMs: number;
  loads: ReadonlyMap<string, LoadRun>;
  samples: Readonly<Record<string, MonitorSample[]>>;
  /** How often conditions and the halt marker are looked at. */
  tickMs: number;
  progressIntervalMs: number;
  meter: ProgressMeter;
}

/** What conditions are judged on; the load series only when some condition reads a KPI (they are not free). */
function conditionInputs(i: MethodInputs): () => ConditionInputs {
  const needsLoadSeries = [
    ...i.spec.abort_when,
    ...i.spec.faults.flatMap((f) => (f.when ? [f.when] : [])),
  ].some((c) => c.kpi !== undefined);
  return () => {
    const load: Record<string, LoadSeries> = {};
    if (needsLoadSeries) for (const [name, run] of i.loads) load[name] = run.series();
    return { monitors: i.samples as Record<string, AvailabilitySample[]>, load };
  };
}

/** Runs the method to its end, a stop or an abort condition; an abort is journaled and told. */
export async function runMethod(
  ctx: RunContext,
  executor: FaultExecutor,
  i: MethodInputs,
): Promise<MethodOutcome> {
  const { clock } = ctx;
  const methodStart = clock.nowMs();
  const startMs = clock.epochMs();
  executor.start(methodStart);
  const inputs = conditionInputs(i);
  let aborted: string | undefined;
  let nextProgress = methodStart + i.progressIntervalMs;
  for (;;) {
    if (ctx.stop.aborted) {
      aborted = reasonOf(ctx.stop);
      break;
    }
    const now = executor.now();
    if (now >= i.durationMs) break;
    const snapshot = inputs();
    await executor.tick(now, snapshot);
    const held = firstHolding(i.spec.abort_when, snapshot, clock.epochMs());
    if (held !== undefined) {
      aborted = `abort_when[${held.index}] held: ${held.state.reason}`;
      break;
    }
    if (clock.nowMs() >= nextProgress) {
      i.meter.report({ startMs: methodStart, executor });
      nextProgress += i.progressIntervalMs;
    }
    const wait = Math.min(i.tickMs, executor.nextDueMs() - executor.now(), i.durationMs - executor.now());
    await sleep(clock, Math.max(1, wait), ctx.stop);
  }
  const endMs = clock.epochMs();
  if (aborted === undefined) return { startMs, endMs };
  ctx.journal.append({ event: 'abort', reason: aborted });
  ctx.emit('abort', aborted);
  return { startMs, endMs, aborted };
}
