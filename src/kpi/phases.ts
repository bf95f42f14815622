/**
 * Per-phase KPIs over a recorded {@link LoadSeries}: throughput, error rate by class, latency percentiles.
 * Pure functions: times are parameters (epoch milliseconds, the series' time base), nothing reads a clock.
 *
 * Phases are sets of whole buckets. A bucket that overlaps any fault window at all belongs to `during` — a second
 * partly disturbed is not a clean "before" or "after" second; nor is one whose requests a fault met while they
 * were in flight, when the bucket shows it ({@link phasesOf}). `before` is every other bucket that ends by the
 * first fault's start; `after` is every other bucket after that (gaps between faults included). Latency
 * percentiles come from the merged HDR histograms of the phase's buckets, never from averaging percentiles.
 */
import {
  emptyOutcomes,
  type LatencySummary,
  type LoadBucket,
  type LoadSeries,
  mergeLatency,
  OUTCOME_CLASSES,
  type OutcomeClass,
  type OutcomeCounts,
  totalOutcomes,
} from '../load/samples.js';

/** Latency percentiles over a set of buckets, in milliseconds (0 when nothing was answered). */
export type LatencyKpis = Omit<LatencySummary, 'hdr'>;

/** Failure classes: every outcome class but `ok`. */
export type FailureClass = Exclude<OutcomeClass, 'ok'>;

/** KPIs over a set of buckets. */
export interface PhaseKpis {
  /** Buckets in the phase. */
  buckets: number;
  /** Σ bucket width, in seconds. */
  durationSec: number;
  sent: number;
  /** Requests that completed (ok or not). */
  completed: number;
  ok: number;
  dropped: number;
  /** Completed requests per second. */
  throughput: number;
  /** Ok requests per second. */
  goodput: number;
  /** (completed − ok) / completed; 0 when nothing completed. */
  errorRate: number;
  /** Per error class: count / completed. */
  errorRates: Record<FailureClass, number>;
  /** Counts per outcome class. */
  outcomes: OutcomeCounts;
  latency: LatencyKpis;
}

/** A fault's active window in the series' time base (epoch ms); `absorb` faults are judged from their start. */
export interface FaultWindow {
  name?: string;
  startMs: number;
  endMs: number;
  /** The system is expected to absorb this fault: time to recover counts from its start, not its end. */
  absorb?: boolean;
}

/** The three phases of a run with faults. */
export interface PhasesKpis {
  before: PhaseKpis;
  during: PhaseKpis;
  after: PhaseKpis;
}

const FAILURE_CLASSES = OUTCOME_CLASSES.filter((c): c is FailureClass => c !== 'ok');

/** KPIs over an explicit list of buckets of `series`. */
export function bucketsKpis(series: LoadSeries, buckets: readonly LoadBucket[]): PhaseKpis {
  const outcomes = emptyOutcomes();
  let sent = 0;
  let dropped = 0;
  for (const b of buckets) {
    sent += b.sent;
    dropped += b.dropped;
    for (const c of OUTCOME_CLASSES) outcomes[c] += b.outcomes[c];
  }
  const completed = totalOutcomes(outcomes);
  const durationSec = (buckets.length * series.bucketMs) / 1000;
  const errorRates = {} as Record<FailureClass, number>;
  for (const c of FAILURE_CLASSES) errorRates[c] = completed > 0 ? outcomes[c] / completed : 0;
  const h = mergeLatency(buckets.map((b) => b.latency));
  const n = h.totalCount;
  const latency: LatencyKpis =
    n === 0
      ? { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 }
      : {
          count: n,
          minMs: h.minNonZeroValue / 1000,
          meanMs: Math.round(h.mean) / 1000,
          p50Ms: h.getValueAtPercentile(50) / 1000,
          p90Ms: h.getValueAtPercentile(90) / 1000,
          p99Ms: h.getValueAtPercentile(99) / 1000,
          p999Ms: h.getValueAtPercentile(99.9) / 1000,
          maxMs: h.maxValue / 1000,
        };
  return {
    buckets: buckets.length,
    durationSec,
    sent,
    completed,
    ok: outcomes.ok,
    dropped,
    throughput: durationSec > 0 ? completed / durationSec : 0,
    goodput: durationSec > 0 ? outcomes.ok / durationSec : 0,
    errorRate: completed > 0 ? (completed - outcomes.ok) / completed : 0,
    errorRates,
    outcomes,
    latency,
  };
}

/**
 * KPIs over the buckets lying wholly inside `[fromMs, toMs)` (epoch ms); the whole series by default.
 */
export function windowKpis(series: LoadSeries, window: { fromMs?: number; toMs?: number } = {}): PhaseKpis {
  const from = window.fromMs ?? Number.NEGATIVE_INFINITY;
  const to = window.toMs ?? Number.POSITIVE_INFINITY;
  return bucketsKpis(
    series,
    series.buckets.filter((b) => {
      const start = series.startMs + b.t * series.bucketMs;
      return start >= from && start + series.bucketMs <= to;
    }),
  );
}

/** Whether bucket `b` of `series` overlaps fault window `f` (an instantaneous fault overlaps its bucket). */
export function bucketOverlaps(series: LoadSeries, b: LoadBucket, f: FaultWindow): boolean {
  const start = series.startMs + b.t * series.bucketMs;
  const end = start + series.bucketMs;
  if (f.endMs <= f.startMs) return start <= f.startMs && f.startMs < end;
  return start < f.endMs && end > f.startMs;
}

/**
 * Whether requests of bucket `b` may still have been in flight when fault `f` began: the bucket ends before the
 * fault starts, but its end plus its slowest answer reaches past that start.
 */
export function bucketInFlightAt(series: LoadSeries, b: LoadBucket, f: FaultWindow): boolean {
  const end = series.startMs + (b.t + 1) * series.bucketMs;
  return end <= f.startMs && end + b.latency.maxMs > f.startMs;
}

/** Whether fault `f` can have touched bucket `b`'s requests: overlapping it, or beginning while they were in flight. */
export function bucketMeets(series: LoadSeries, b: LoadBucket, f: FaultWindow): boolean {
  return bucketOverlaps(series, b, f) || bucketInFlightAt(series, b, f);
}

/**
 * The phase of every bucket of `series`, in order (see the module comment). Requests count in the bucket they
 * were sent in, so a bucket ending just before a fault may hold requests the fault met — a kill resets them, a
 * pause holds them. Such a bucket belongs to `during` when it shows it: a failed request, or an answer slower
 * than any clean baseline second's slowest (with no clean baseline second, it always does).
 */
export function phasesOf(series: LoadSeries, faults: readonly FaultWindow[]): Array<keyof PhasesKpis> {
  if (faults.length === 0) return series.buckets.map(() => 'before');
  const firstStart = Math.min(...faults.map((f) => f.startMs));
  const plain = series.buckets.map((b): keyof PhasesKpis => {
    if (faults.some((f) => bucketOverlaps(series, b, f))) return 'during';
    return series.startMs + (b.t + 1) * series.bucketMs <= firstStart ? 'before' : 'after';
  });
  const inFlight = series.buckets.map(
    (b, i) => plain[i] !== 'during' && faults.some((f) => bucketInFlightAt(series, b, f)),
  );
  let cleanMaxMs = Number.NEGATIVE_INFINITY;
  series.buckets.forEach((b, i) => {
    if (plain[i] === 'before' && !inFlight[i] && b.latency.count > 0)
      cleanMaxMs = Math.max(cleanMaxMs, b.latency.maxMs);
  });
  return series.buckets.map((b, i) => {
    if (!inFlight[i]) return plain[i] as keyof PhasesKpis;
    const failed = totalOutcomes(b.outcomes) > b.outcomes.ok;
    return failed || !(b.latency.maxMs <= cleanMaxMs) ? 'during' : (plain[i] as keyof PhasesKpis);
  });
}

/**
 * The phase of bucket `b` of `series`: `before`, `during` or `after` the faults. It classifies the whole series
 * to answer: for many buckets call {@link phasesOf} once.
 */
export function phaseOf(series: LoadSeries, b: LoadBucket, faults: readonly FaultWindow[]): keyof PhasesKpis {
  return phasesOf(series, faults)[series.buckets.indexOf(b)] ?? 'after';
}

/** KPIs per phase. With no faults every bucket is `before`. */
export function phaseKpis(series: LoadSeries, faults: readonly FaultWindow[]): PhasesKpis {
  const groups: Record<keyof PhasesKpis, LoadBucket[]> = { before: [], during: [], after: [] };
  const phases = phasesOf(series, faults);
  series.buckets.forEach((b, i) => {
    groups[phases[i] as keyof PhasesKpis].push(b);
  });
  return {
    before: bucketsKpis(series, groups.before),
    during: bucketsKpis(series, groups.during),
    after: bucketsKpis(series, groups.after),
  };
}
