/**
 * One load KPI measured over some buckets of a series, or `null` when the buckets hold nothing it could be
 * measured from (no completed request for a rate, no answered request for a latency): a KPI nothing measured
 * must never read as 0 ms or 0 %, or an assertion such as `p99 < 200ms` holds on a run where every request
 * failed. Shared by the experiment hypothesis and `faultline load --threshold`, so both judge alike.
 */
import {
  type LoadBucket,
  type LoadSeries,
  mergeLatency,
  type OutcomeClass,
  totalOutcomes,
} from '../load/samples.js';

/** The latency KPIs that are percentiles, by name. */
export const LATENCY_PERCENTILES: Readonly<Record<string, number>> = {
  p50: 50,
  p90: 90,
  p95: 95,
  p99: 99,
  'p99.9': 99.9,
};

/**
 * `kpi` over `buckets` of `series`, in its natural unit: `throughput` in completed requests per second,
 * `error_rate` and `error_rate.<class>` as fractions of completed requests, latencies (`p50` … `p99.9`, `max`)
 * in milliseconds over answered requests, percentiles from the merged histograms.
 */
export function kpiValue(kpi: string, series: LoadSeries, buckets: readonly LoadBucket[]): number | null {
  const completed = buckets.reduce((n, b) => n + totalOutcomes(b.outcomes), 0);
  if (kpi === 'throughput')
    return buckets.length === 0 ? null : completed / ((buckets.length * series.bucketMs) / 1000);
  if (completed === 0) return null;
  if (kpi === 'error_rate') return (completed - buckets.reduce((n, b) => n + b.outcomes.ok, 0)) / completed;
  if (kpi.startsWith('error_rate.')) {
    // the same denominator as error_rate: the classes' rates add up to it
    const c = kpi.slice('error_rate.'.length) as OutcomeClass;
    return buckets.reduce((n, b) => n + b.outcomes[c], 0) / completed;
  }
  // latencies: answered requests only (a timeout has no latency), percentiles from the merged histograms
  const h = mergeLatency(buckets.map((b) => b.latency));
  if (h.totalCount === 0) return null;
  if (kpi === 'max') return h.maxValue / 1000;
  return h.getValueAtPercentile(LATENCY_PERCENTILES[kpi] ?? 99) / 1000;
}
