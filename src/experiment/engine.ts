/**
 * The experiment engine: one run of an experiment from a validated spec to a verdict, with nothing left behind.
 * {@link runExperiment} is the list of stages, each in src/experiment/stages/:
 *
 *   start targets → warm-up → steady state before → method: load, faults and monitors on one timeline →
 *   roll back every fault still applied (last in, first out) → steady state after → KPIs → verdict →
 *   result.json, junit.xml, report.html → stop targets
 *
 * Everything that changes the world goes through the journal first (targets started, faults applied), so
 * `faultline recover` can undo it if this process dies. Cleanup runs in `finally`: an abort (a condition, a
 * signal, `faultline halt`) or a bug still rolls back and stops what was started. The run's decisions come from
 * the seed (the plan) and the live samples (`when:` faults, abort conditions); time comes from one clock.
 */
import { join } from 'node:path';
import { systemClock } from '../load/clock.js';
import type { LoadRun } from '../load/http-runner.js';
import type { FaultExecutor } from './executor.js';
import { planExperiment } from './plan.js';
import type { ExperimentSpec } from './schema.js';
import { createExecutor, type MethodOutcome, runMethod } from './stages/method.js';
import { type RunMonitors, startRunMonitors } from './stages/monitors.js';
import { type OpenRun, openRun } from './stages/open.js';
import { writeOutputs } from './stages/outputs.js';
import { progressMeter } from './stages/progress.js';
import { buildResult, lagWarnings, methodSeries, type ResultInputs } from './stages/results.js';
import { type RollbackOutcome, rollback } from './stages/rollback.js';
import { selectInstances } from './stages/select.js';
import {
  type Gate,
  type ResolvedSpecs,
  resolvePlaceholders,
  startTargets,
  watchTargetLoss,
} from './stages/start-targets.js';
import { gateBeforeMethod, steadyAfter, steadyBefore } from './stages/steady.js';
import { closeRun, stopTargets } from './stages/stop.js';
import { settleLoad, startLoad } from './stages/warmup.js';
import type { SteadyStateResult } from './steady.js';
import type { TargetGroup } from './targets.js';
import type { WarmupResult } from './warmup.js';

export type {
  ExperimentResult,
  RunEvent,
  RunExperimentOptions,
  RunExperimentResult,
  RunPhase,
  RunProgress,
} from './run-types.js';

import type { ExperimentResult, RunExperimentOptions, RunExperimentResult } from './run-types.js';

/** What cleanup has to undo: each stage registers what it makes as it makes it, so a throw leaves nothing. */
interface Held {
  groups: Map<string, TargetGroup>;
  loads: Map<string, LoadRun>;
  monitors?: RunMonitors;
  executor?: FaultExecutor;
}

/** What the stages found, for the steady state after and the result. */
interface Found {
  /** Why the method did not run, if it did not. */
  gate: Gate;
  resolved?: ResolvedSpecs;
  warmup?: WarmupResult;
  steadyBefore?: SteadyStateResult;
  method?: MethodOutcome;
  steadyAfter?: SteadyStateResult;
}

const ready = (g: Gate) => g.notReady === undefined && g.aborted === undefined;

/**
 * Runs an experiment. Resolves with the verdict once everything is rolled back and stopped; rejects only for
 * bad input found at run time (e.g. a placeholder with no value) or a halt in force — after cleaning up too.
 */
export async function runExperiment(
  spec: ExperimentSpec,
  options: RunExperimentOptions = {},
): Promise<RunExperimentResult> {
  // the run's own copy: `select:` narrows its targets' hosts, and result.json's spec shows what was chosen
  spec = structuredClone(spec);
  const run = openRun(spec, options, options.clock ?? systemClock, Math.random);
  const { ctx } = run;
  const held: Held = { groups: new Map(), loads: new Map() };
  const found: Found = { gate: {} };
  let fatal: unknown;
  let result: ExperimentResult | undefined;
  try {
    await throughTheMethod(run, spec, options, held, found);
  } catch (err) {
    fatal = err;
  } finally {
    run.stopHaltWatch();
    // whatever happened above: roll back, check the steady state came back, results; then stop and close
    try {
      const rolledBack = await rollback(ctx, held.executor, held.loads);
      const steady = found.resolved?.steady;
      if (fatal === undefined && held.executor && steady && !ctx.hurry?.aborted)
        found.steadyAfter = await steadyAfter(ctx, steady, found.resolved?.monitors ?? spec.monitors);
      await held.monitors?.stop();
      if (fatal === undefined) {
        ctx.enter('results');
        const inputs = resultInputs(run, spec, held, found, rolledBack);
        for (const w of lagWarnings(methodSeries(inputs))) ctx.emit('load.lagging', w);
        result = buildResult(inputs);
        writeOutputs(run.outDir, result, options.report !== false);
      }
    } catch (err) {
      fatal ??= err;
    } finally {
      await stopTargets(ctx, held.groups);
      await ctx.fleet?.close();
      closeRun(run, result);
    }
  }
  if (fatal !== undefined || result === undefined) throw fatal;
  return {
    verdict: result.verdict,
    reason: result.reason ?? '',
    exitCode: result.exitCode,
    outDir: run.outDir,
    resultPath: join(run.outDir, 'result.json'),
    junitPath: join(run.outDir, 'junit.xml'),
    journalPath: run.journalPath,
    ...(options.report === false ? {} : { reportPath: join(run.outDir, 'report.html') }),
    result,
  };
}

/**
 * Start targets → warm-up → steady state before → method, each only if the one before let the run go on. What
 * they make goes into `held` at once (for cleanup), what they find into `found` (for the result).
 */
async function throughTheMethod(
  run: OpenRun,
  spec: ExperimentSpec,
  options: RunExperimentOptions,
  held: Held,
  found: Found,
): Promise<void> {
  const { ctx, seed } = run;
  const selection = await selectInstances(ctx, spec);
  if (selection.notReady !== undefined) {
    found.gate = { notReady: selection.notReady };
    return;
  }
  // the same seed over the chosen hosts: picks, splits and limits as the narrowed targets give them
  if (selection.changed) run.plan = planExperiment(spec, seed);
  const { plan } = run;
  const { durationMs } = plan;
  const { loads } = held;
  const interval = options.progressIntervalMs ?? 1000;
  const loss = watchTargetLoss(ctx.stop);
  const targets = await startTargets(ctx, spec, held.groups, { logDir: join(run.outDir, 'targets'), loss });
  found.gate = targets;
  if (!ready(found.gate)) return;

  const resolved = resolvePlaceholders(spec, targets.started);
  found.resolved = resolved;
  held.monitors = startRunMonitors(ctx, resolved.monitors);
  const bounds = startLoad(ctx, {
    spec,
    load: resolved.load,
    steady: resolved.steady,
    durationMs,
    seed,
    loads,
  });
  const meter = progressMeter(ctx, {
    loads,
    runStartMs: run.runStartMs,
    durationMs,
    onProgress: options.onProgress,
  });
  const signal = loss.beforeMethod; // the run's stop, or an owned target gone
  found.warmup = await settleLoad(ctx, {
    bounds,
    loads,
    signal,
    tickMs: interval,
    onTick: () => meter.report(),
  });

  let notReady: string | undefined;
  if (!signal.aborted && resolved.steady) {
    const before = await steadyBefore(ctx, resolved.steady, resolved.monitors, signal);
    found.steadyBefore = before.result;
    notReady = before.notReady;
  }
  found.gate = gateBeforeMethod(ctx, notReady, loss.lost());
  if (!ready(found.gate)) return;

  loss.methodStarts();
  held.executor = createExecutor(ctx, {
    spec,
    plan,
    groups: held.groups,
    faultOptions: resolved.faultOptions,
  });
  found.method = await runMethod(ctx, held.executor, {
    spec,
    durationMs,
    loads,
    samples: held.monitors.samples,
    tickMs: options.tickMs ?? 100,
    progressIntervalMs: interval,
    meter,
  });
}

/** What the result is built from, once everything is rolled back; the end time is now. */
function resultInputs(
  run: OpenRun,
  spec: ExperimentSpec,
  held: Held,
  found: Found,
  rolledBack: RollbackOutcome,
): ResultInputs {
  return {
    spec,
    plan: run.plan,
    seed: run.seed,
    command: run.command,
    startedMs: run.startedMs,
    endedMs: run.ctx.clock.epochMs(),
    events: run.ctx.events,
    notReady: found.gate.notReady,
    // set by the method only when nothing before it stopped the run
    aborted: found.gate.aborted ?? found.method?.aborted,
    method: found.method,
    faultRuns: held.executor?.runs ?? [],
    reverts: rolledBack.reverts,
    loadSeries: rolledBack.loadSeries,
    samples: held.monitors?.samples ?? {},
    monitors: found.resolved?.monitors ?? spec.monitors,
    warmup: found.warmup,
    steadyBefore: found.steadyBefore,
    steadyAfter: found.steadyAfter,
  };
}
