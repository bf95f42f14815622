/**
 * Stage 7 and 8, KPIs and verdict, and the result object (result.json) they end in. Pure: everything comes in
 * through {@link ResultInputs}, the end time included, so the same inputs give the same result. This is the one
 * place result.json's fields are put together.
 */
import type { RevertOutcome } from '../../disruptors/apply.js';
import { availability } from '../../kpi/availability.js';
import { assessLag, lagWarning } from '../../load/lag.js';
import type { LoadSeries } from '../../load/samples.js';
import type { MonitorSample } from '../../monitors/types.js';
import { REPORT_FORMAT, type ReportPhase } from '../../report/types.js';
import type { FaultRun } from '../executor.js';
import {
  type AssertionResult,
  evaluateHypothesis,
  loadKpis,
  type NamedFaultWindow,
  trimSeries,
} from '../hypothesis.js';
import type { ExperimentPlan } from '../plan.js';
import type { ExperimentResult, RunEvent } from '../run-types.js';
import type { ExperimentSpec } from '../schema.js';
import type { SteadyStateResult } from '../steady.js';
import { decideVerdict, type Verdict, type VerdictInputs } from '../verdict.js';
import type { WarmupResult } from '../warmup.js';

/** Everything a result is built from. Times are epoch ms. */
export interface ResultInputs {
  spec: ExperimentSpec;
  plan: ExperimentPlan;
  seed: number;
  command: string;
  startedMs: number;
  endedMs: number;
  events: readonly RunEvent[];
  notReady?: string | undefined;
  aborted?: string | undefined;
  /** When the method ran; absent when it never started. */
  method?: { startMs: number; endMs: number } | undefined;
  /** Every fault instance as it ran. */
  faultRuns: FaultRun[];
  reverts: RevertOutcome[];
  loadSeries: Record<string, LoadSeries>;
  samples: Record<string, MonitorSample[]>;
  /** Monitor specs with placeholders expanded (for each monitor's target). */
  monitors: ExperimentSpec['monitors'];
  warmup?: WarmupResult | undefined;
  steadyBefore?: SteadyStateResult | undefined;
  steadyAfter?: SteadyStateResult | undefined;
}

type Window = { startMs: number; endMs: number };

/** The method's span; a run that never got to it is judged over an empty span at its end. */
export function methodSpan(method: Window | undefined, endedMs: number): Window {
  return { startMs: method?.startMs ?? endedMs, endMs: method?.endMs ?? endedMs };
}

/** The applied faults' windows, each cut at the method's end (a fault reverted at rollback ends there). */
export function faultWindows(runs: readonly FaultRun[], methodEndMs: number): NamedFaultWindow[] {
  return runs
    .filter((r) => r.status === 'applied')
    .map((r) => ({
      name: r.fault,
      startMs: r.startMs,
      endMs: Math.min(r.endMs ?? methodEndMs, methodEndMs),
    }));
}

/**
 * The report's phases: `before` from the method's start to the first fault, `during` from there to the last
 * fault's end, `after` from there to the method's end. Without faults the whole method is `before`; without a
 * method there are no phases.
 */
export function reportPhases(
  method: Window | undefined,
  windows: readonly Window[],
): Partial<Record<ReportPhase, Window>> {
  const phases: Partial<Record<ReportPhase, Window>> = {};
  if (method === undefined) return phases;
  const first = windows.length > 0 ? Math.min(...windows.map((w) => w.startMs)) : method.endMs;
  const last = windows.length > 0 ? Math.max(...windows.map((w) => w.endMs)) : method.endMs;
  phases.before = { startMs: method.startMs, endMs: first };
  if (windows.length > 0) {
    phases.during = { startMs: first, endMs: last };
    phases.after = { startMs: last, endMs: method.endMs };
  }
  return phases;
}

/** Faults still applied after rollback: their revert failed (during the method or at rollback). */
export function failedReverts(runs: readonly FaultRun[], reverts: readonly RevertOutcome[]) {
  return runs
    .filter((r) => r.status === 'applied' && r.endMs === null)
    .map((r) => {
      const outcome = reverts.find((o) => o.id === r.id);
      return {
        id: r.id,
        type: r.disruptor,
        ok: false,
        attempts: outcome?.attempts ?? 0,
        error: r.error ?? outcome?.error ?? 'not reverted',
        fault: r.fault,
        instance: r.instance,
      };
    });
}

/** The hypothesis judged (only for a method that ran to its end) and the verdict. */
export function judge(
  i: ResultInputs,
  trimmed: Record<string, LoadSeries>,
  windows: NamedFaultWindow[],
): { assertions: AssertionResult[]; verdict: Verdict } {
  const span = methodSpan(i.method, i.endedMs);
  const assertions =
    i.notReady === undefined && i.aborted === undefined && i.method !== undefined
      ? evaluateHypothesis(i.spec.hypothesis, {
          load: trimmed,
          faults: windows,
          monitors: i.samples,
          method: span,
        })
      : [];
  const after = i.steadyAfter;
  const inputs: VerdictInputs = {
    ...(i.notReady === undefined ? {} : { notReady: i.notReady }),
    ...(i.aborted === undefined ? {} : { aborted: i.aborted }),
    assertions,
    ...(after === undefined
      ? {}
      : { steadyAfter: { ok: after.ok, ...(after.reason ? { reason: after.reason } : {}) } }),
    failedReverts: failedReverts(i.faultRuns, i.reverts),
  };
  return { assertions, verdict: decideVerdict(inputs) };
}

/** What a monitor looks at, in a few words: its url, endpoint, command or api. */
export function monitorTarget(monitors: ExperimentSpec['monitors'], name: string): string | undefined {
  const m = monitors[name] as Record<string, unknown> | undefined;
  const t = m?.url ?? m?.endpoint ?? m?.command ?? m?.api;
  return typeof t === 'string' ? t : Array.isArray(t) ? t.join(' ') : undefined;
}

/** Each runner whose own lag was a real share of the latencies it measured, in words (see src/load/lag.ts). */
export function lagWarnings(trimmed: Record<string, LoadSeries>): string[] {
  return Object.entries(trimmed).flatMap(([name, s]) => {
    const w = lagWarning(assessLag(s.buckets), name);
    return w === undefined ? [] : [w];
  });
}

/** The method's slice of each load series. */
export function methodSeries(
  i: Pick<ResultInputs, 'loadSeries' | 'method' | 'endedMs'>,
): Record<string, LoadSeries> {
  const span = methodSpan(i.method, i.endedMs);
  const trimmed: Record<string, LoadSeries> = {};
  for (const [name, s] of Object.entries(i.loadSeries))
    trimmed[name] = trimSeries(s, span.startMs, span.endMs);
  return trimmed;
}

/**
 * KPIs, verdict and the result object. Latencies the generator itself inflated are not the system's: that is
 * said in the reason (and `warnings`), not only in a figure.
 */
export function buildResult(i: ResultInputs): ExperimentResult {
  const span = methodSpan(i.method, i.endedMs);
  const windows = faultWindows(i.faultRuns, span.endMs);
  const trimmed = methodSeries(i);
  const { assertions, verdict } = judge(i, trimmed, windows);
  const warnings = lagWarnings(trimmed);
  const kpis = loadKpis(trimmed, windows);
  const applied = i.faultRuns.filter((r) => r.status === 'applied');
  return {
    format: REPORT_FORMAT,
    title: i.spec.title,
    ...(i.spec.description === undefined ? {} : { description: i.spec.description.trim() }),
    seed: i.seed,
    command: i.command,
    verdict: verdict.verdict,
    reason: warnings.length === 0 ? verdict.reason : `${verdict.reason}; WARNING: ${warnings.join('; ')}`,
    ...(warnings.length === 0 ? {} : { warnings }),
    exitCode: verdict.exitCode,
    startedMs: i.startedMs,
    endedMs: i.endedMs,
    phases: reportPhases(i.method === undefined ? undefined : span, windows),
    load: Object.entries(i.loadSeries).map(([name, series]) => ({
      name,
      series,
      kpis: kpis[name] as NonNullable<(typeof kpis)[string]>,
    })),
    faults: applied.map((r) => ({
      name: r.fault,
      target: r.instance,
      startMs: r.startMs,
      endMs: r.endMs,
      detail: r.detail,
    })),
    monitors: Object.entries(i.samples).map(([name, s]) => {
      const target = monitorTarget(i.monitors, name);
      // over the whole run, as the report shows it
      const a = availability(s, { endMs: i.endedMs });
      return { name, ...(target === undefined ? {} : { target }), samples: s, availability: a };
    }),
    assertions,
    events: [...i.events],
    spec: i.spec,
    plan: i.plan,
    steadyState: {
      ...(i.steadyBefore ? { before: i.steadyBefore } : {}),
      ...(i.steadyAfter ? { after: i.steadyAfter } : {}),
    },
    faultRuns: i.faultRuns,
    reverts: i.reverts,
    ...(i.warmup === undefined ? {} : { warmup: i.warmup }),
  };
}
