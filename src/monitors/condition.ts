/**
 * Evaluates the experiment's conditions — a fault's `when:` and `abort_when` — at a moment, from the samples
 * recorded so far. Pure: the engine passes the samples and the time, so the feedback loop and stop conditions are
 * tested with hand-built series.
 *
 * Monitor conditions hold when every sample of the latest unbroken run of matching samples (up to `nowMs`)
 * matches and that run started at least `for` ago: "queue depth above 100 for 5s" needs the first sample above
 * 100 to be 5 s old and no sample since to have dropped back. A down sample has no value, so it never matches
 * `above`/`below`; `down: true` matches down samples. Several of above / below / down hold when any does.
 *
 * KPI conditions read the load series over the last `for` (at least 1 s), in whole buckets, as the schema
 * documents: "error_rate above 50% for 5s" is the error rate of the last five complete seconds.
 */
import { fraction, ms, rate } from '../experiment/duration.js';
import type { ConditionSpec } from '../experiment/schema.js';
import type { MonitorSample as AvailabilitySample } from '../kpi/availability.js';
import { windowKpis } from '../kpi/phases.js';
import { type LoadSeries, mergeLatency } from '../load/samples.js';

/** A sample as conditions read it: its time, whether it was up, and its number. */
export interface ConditionSample extends AvailabilitySample {
  value?: number;
}

/** What conditions are evaluated over. */
export interface ConditionInputs {
  /** Samples per monitor name (any order). */
  monitors?: Readonly<Record<string, readonly ConditionSample[]>>;
  /** Load series per load runner name. */
  load?: Readonly<Record<string, LoadSeries>>;
}

/** The state of one condition at a moment. */
export interface ConditionState {
  holds: boolean;
  /** The measured value (the latest sample's number, or the KPI over the window), when there is one. */
  value?: number;
  /** Monitor conditions: since when the condition has matched without a break. */
  sinceMs?: number;
  /** One line for the journal and the live view, e.g. `queue_depth = 142 > 100 for 5000 ms`. */
  reason: string;
}

const MIN_KPI_WINDOW_MS = 1000;

/** The state of `c` at `nowMs` (same time base as the samples). */
export function evaluateCondition(c: ConditionSpec, inputs: ConditionInputs, nowMs: number): ConditionState {
  const forMs = ms(c.for ?? 0, 'for');
  if (c.monitor !== undefined)
    return monitorCondition(c, c.monitor, inputs.monitors?.[c.monitor] ?? [], forMs, nowMs);
  if (c.kpi !== undefined) return kpiCondition(c, c.kpi, inputs.load ?? {}, forMs, nowMs);
  return { holds: false, reason: 'condition names neither a monitor nor a kpi' };
}

/** The first condition of `conditions` that holds at `nowMs`, with its index; `undefined` when none does. */
export function firstHolding(
  conditions: readonly ConditionSpec[],
  inputs: ConditionInputs,
  nowMs: number,
): { index: number; state: ConditionState } | undefined {
  for (let index = 0; index < conditions.length; index++) {
    const state = evaluateCondition(conditions[index] as ConditionSpec, inputs, nowMs);
    if (state.holds) return { index, state };
  }
  return undefined;
}

function num(v: number | string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new Error(`${field}: expected a number, got '${v}'`);
  return n;
}

function monitorCondition(
  c: ConditionSpec,
  name: string,
  samples: readonly ConditionSample[],
  forMs: number,
  nowMs: number,
): ConditionState {
  const above = num(c.above, 'above');
  const below = num(c.below, 'below');
  const matches = (s: ConditionSample): boolean => {
    if (c.down !== undefined && s.ok !== c.down) return true;
    if (!s.ok || s.value === undefined) return false;
    return (above !== undefined && s.value > above) || (below !== undefined && s.value < below);
  };
  const seen = samples.filter((s) => s.tMs <= nowMs).sort((a, b) => a.tMs - b.tMs);
  const latest = seen[seen.length - 1];
  if (!latest) return { holds: false, reason: `${name}: no samples yet` };
  let since: number | undefined;
  for (let i = seen.length - 1; i >= 0 && matches(seen[i] as ConditionSample); i--)
    since = (seen[i] as ConditionSample).tMs;
  const what = latest.ok ? `${name} = ${latest.value ?? 'up'}` : `${name} down`;
  const base = latest.value !== undefined && latest.ok ? { value: latest.value } : {};
  if (since === undefined) return { ...base, holds: false, reason: `${what}: condition not met` };
  const lasted = nowMs - since;
  const holds = lasted >= forMs;
  return {
    ...base,
    holds,
    sinceMs: since,
    reason: `${what}: met for ${lasted} ms${holds ? '' : ` (needs ${forMs} ms)`}`,
  };
}

type Kpi = NonNullable<ConditionSpec['kpi']>;

const PERCENTILE = { p50: 50, p95: 95, p99: 99 } as const;

/**
 * The last `windowMs` of whole buckets of `s` that have ended by `nowMs`: "for 5s" is the last five complete
 * seconds, wherever `nowMs` falls inside the current bucket.
 */
function completeWindow(s: LoadSeries, windowMs: number, nowMs: number): { fromMs: number; toMs: number } {
  const toMs = s.startMs + Math.floor((nowMs - s.startMs) / s.bucketMs) * s.bucketMs;
  return { fromMs: toMs - Math.ceil(windowMs / s.bucketMs) * s.bucketMs, toMs };
}

function percentileMs(series: readonly LoadSeries[], windowMs: number, nowMs: number, p: number): number {
  const summaries = series.flatMap((s) => {
    const window = completeWindow(s, windowMs, nowMs);
    return s.buckets
      .filter((b) => {
        const start = s.startMs + b.t * s.bucketMs;
        return start >= window.fromMs && start + s.bucketMs <= window.toMs;
      })
      .map((b) => b.latency);
  });
  const h = mergeLatency(summaries);
  return h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000;
}

function threshold(kpi: Kpi, v: number | string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (kpi === 'error_rate') return fraction(v);
  if (kpi === 'throughput') return rate(v, field);
  return ms(v, field);
}

function kpiCondition(
  c: ConditionSpec,
  kpi: Kpi,
  load: Readonly<Record<string, LoadSeries>>,
  forMs: number,
  nowMs: number,
): ConditionState {
  const series =
    c.load !== undefined
      ? [load[c.load]].filter((s): s is LoadSeries => s !== undefined)
      : Object.values(load);
  const windowMs = Math.max(forMs, MIN_KPI_WINDOW_MS);
  const label = `${kpi}${c.load ? ` of ${c.load}` : ''} over ${windowMs} ms`;
  const parts = series.map((s) => windowKpis(s, completeWindow(s, windowMs, nowMs)));
  const buckets = parts.reduce((n, k) => n + k.buckets, 0);
  if (buckets === 0) return { holds: false, reason: `${label}: no complete bucket yet` };
  // Several runners together: counts add up, and percentiles come from their merged histograms.
  const completed = parts.reduce((n, k) => n + k.completed, 0);
  const ok = parts.reduce((n, k) => n + k.ok, 0);
  let value: number;
  if (kpi === 'error_rate') value = completed > 0 ? (completed - ok) / completed : 0;
  else if (kpi === 'throughput') value = parts.reduce((n, k) => n + k.throughput, 0);
  else value = percentileMs(series, windowMs, nowMs, PERCENTILE[kpi]);
  const above = threshold(kpi, c.above, 'above');
  const below = threshold(kpi, c.below, 'below');
  const holds = (above !== undefined && value > above) || (below !== undefined && value < below);
  return { holds, value, reason: `${label} = ${value}${holds ? '' : ': condition not met'}` };
}
