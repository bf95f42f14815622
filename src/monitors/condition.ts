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
 * KPI conditions read the load series over the last `for` (at least 1 s) in whole buckets, and hold only when
 * every one of those buckets meets the condition on its own: "error_rate above 50% for 5s" holds once each of
 * the last five complete seconds had more than half its requests fail — never on a single bad second, and
 * never before five seconds of load were measured. The value reported is the KPI over the whole window.
 */
import { fraction, ms, rate } from '../experiment/duration.js';
import type { ConditionSpec } from '../experiment/schema.js';
import type { MonitorSample as AvailabilitySample } from '../kpi/availability.js';
import { type LoadBucket, type LoadSeries, mergeLatency, totalOutcomes } from '../load/samples.js';

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
  const bucketMs = series[0]?.bucketMs ?? MIN_KPI_WINDOW_MS;
  // `for` is a span of whole buckets, each of which must meet the condition: it held that long, without a break
  const slots = Math.max(1, Math.ceil(Math.max(forMs, MIN_KPI_WINDOW_MS) / bucketMs));
  const windowMs = slots * bucketMs;
  const label = `${kpi}${c.load ? ` of ${c.load}` : ''} over ${windowMs} ms`;
  const windows = series.map((s) => completeWindow(s, windowMs, nowMs));
  const inWhole = series.flatMap((s, i) => inWindow(s, windows[i] as Window));
  if (inWhole.length === 0) return { holds: false, reason: `${label}: no complete bucket yet` };
  const above = threshold(kpi, c.above, 'above');
  const below = threshold(kpi, c.below, 'below');
  const meets = (v: number | undefined) =>
    v !== undefined && ((above !== undefined && v > above) || (below !== undefined && v < below));
  // Several runners together: counts add up, and percentiles come from their merged histograms.
  const value = kpiValue(kpi, inWhole) as number;
  let measured = 0;
  let met = 0;
  for (let k = 0; k < slots; k++) {
    const slot = series.flatMap((s, i) => {
      const from = (windows[i] as Window).fromMs + k * s.bucketMs;
      return inWindow(s, { fromMs: from, toMs: from + s.bucketMs });
    });
    if (slot.length === 0) continue; // before the load started: not measured
    measured++;
    if (meets(kpiValue(kpi, slot))) met++;
  }
  const holds = measured === slots && met === slots;
  const why =
    measured < slots
      ? `: ${measured} of ${slots} buckets measured so far`
      : holds
        ? ''
        : `: met in ${met} of ${slots} buckets`;
  return { holds, value, reason: `${label} = ${value}${why}` };
}

interface Window {
  fromMs: number;
  toMs: number;
}

/** The buckets of `s` lying wholly inside `w`, with their series. */
function inWindow(s: LoadSeries, w: Window): { s: LoadSeries; b: LoadBucket }[] {
  const out: { s: LoadSeries; b: LoadBucket }[] = [];
  for (const b of s.buckets) {
    const start = s.startMs + b.t * s.bucketMs;
    if (start >= w.fromMs && start + s.bucketMs <= w.toMs) out.push({ s, b });
  }
  return out;
}

/**
 * The KPI over some buckets (of one or several series): undefined when nothing completed there, for the
 * rates and latencies that need a request to be measured.
 */
function kpiValue(kpi: Kpi, buckets: readonly { s: LoadSeries; b: LoadBucket }[]): number | undefined {
  if (kpi === 'throughput') {
    let completed = 0;
    const seconds = new Set<number>();
    for (const { s, b } of buckets) {
      completed += totalOutcomes(b.outcomes);
      seconds.add(s.startMs + b.t * s.bucketMs);
    }
    // runners side by side add up; the time is the span of distinct buckets, not their count
    const spanSec = (seconds.size * (buckets[0]?.s.bucketMs ?? 1000)) / 1000;
    return spanSec > 0 ? completed / spanSec : 0;
  }
  let completed = 0;
  let ok = 0;
  for (const { b } of buckets) {
    // counts straight from the bucket: merging its latency histogram is only needed for percentiles
    completed += totalOutcomes(b.outcomes);
    ok += b.outcomes.ok;
  }
  if (completed === 0) return kpi === 'error_rate' ? 0 : undefined;
  if (kpi === 'error_rate') return (completed - ok) / completed;
  const h = mergeLatency(buckets.map(({ b }) => b.latency));
  return h.totalCount === 0 ? undefined : h.getValueAtPercentile(PERCENTILE[kpi]) / 1000;
}
