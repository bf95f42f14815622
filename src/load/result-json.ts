/**
 * The JSON form of a run that `faultline load --json` prints: the {@link LoadResult} with every summary value
 * nothing measured as `null` instead of the library's 0 (a latency percentile when no request was answered, an
 * error rate when none completed, the scheduling error when nothing was sent), and the thresholds judged. A
 * script reading `p99Ms: 0` would take it for a fast run; `null` cannot be mistaken for a measurement.
 *
 * The per-second `series` is left as recorded (`faultline.load-series/1`): a bucket says what it measured with
 * its own `latency.count`.
 */
import type { LatencyKpis, PhaseKpis } from '../kpi/phases.js';
import type { LoadResult } from './http-runner.js';
import type { SchedulingError } from './recorder.js';
import type { ThresholdResult } from './thresholds.js';

type Nullable<T> = { [K in keyof T]: T[K] extends number ? number | null : T[K] };

/** The summary with unmeasured values as null. */
export type SummaryJson = Omit<PhaseKpis, 'latency' | 'errorRate' | 'errorRates'> & {
  errorRate: number | null;
  errorRates: Nullable<PhaseKpis['errorRates']>;
  latency: { count: number } & Nullable<Omit<LatencyKpis, 'count'>>;
};

/** What `faultline load --json` prints. */
export type LoadResultJson = Omit<LoadResult, 'summary' | 'scheduling'> & {
  summary: SummaryJson;
  scheduling?: { count: number } & Nullable<Omit<SchedulingError, 'count'>>;
  /** Each `--threshold`, judged (empty without any). */
  thresholds: ThresholdResult[];
};

/** Every number of `o` but `count` as null: the form of a summary nothing was measured for. */
function unmeasured<T extends { count: number }>(o: T): { count: number } & Nullable<Omit<T, 'count'>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = k === 'count' ? v : typeof v === 'number' ? null : v;
  return out as { count: number } & Nullable<Omit<T, 'count'>>;
}

function summaryJson(k: PhaseKpis): SummaryJson {
  const completed = k.completed > 0;
  return {
    ...k,
    errorRate: completed ? k.errorRate : null,
    errorRates: completed
      ? k.errorRates
      : (Object.fromEntries(Object.keys(k.errorRates).map((c) => [c, null])) as SummaryJson['errorRates']),
    latency: k.latency.count > 0 ? k.latency : unmeasured(k.latency),
  };
}

/** The result as `--json` prints it. */
export function loadResultJson(r: LoadResult, thresholds: readonly ThresholdResult[] = []): LoadResultJson {
  // spread first, so the keys keep the result's order
  const out: LoadResultJson = { ...r, summary: summaryJson(r.summary), thresholds: [...thresholds] };
  if (r.scheduling !== undefined && r.scheduling.count === 0) out.scheduling = unmeasured(r.scheduling);
  return out;
}
