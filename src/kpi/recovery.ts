/**
 * Time to recover: how long after a fault the service was back to its steady state and stayed there.
 *
 * The reference point is the fault's end, or its start for a fault the system should absorb. From the first
 * bucket that starts at or after the reference, we look for the first run of `windowSec` consecutive healthy
 * buckets; the service recovered at the start of that run. A bucket is healthy when something completed in it,
 * its error rate is ≤ the tolerance and its p99 is ≤ the tolerance. No such run before the horizon (default:
 * the end of the series) gives "never". Resolution is one bucket.
 *
 * Overlapping faults are judged one by one from their own reference points, so a fault that ends while
 * another is still active cannot recover before the other one's effects are gone.
 */
import { InvalidOptionError } from '../core/errors.js';
import { type LoadBucket, type LoadSeries, totalOutcomes } from '../load/samples.js';
import { type FaultWindow, type PhaseKpis, phaseKpis } from './phases.js';

/** The steady-state tolerance a recovered bucket must meet. */
export interface RecoveryOptions {
  /** Steady-state KPIs; default: the `before` phase of the series. */
  baseline?: PhaseKpis;
  /** Maximum error rate of a healthy bucket; default baseline error rate + `errorRateSlack`. */
  errorRate?: number;
  /** Added to the baseline error rate when `errorRate` is not given (default 0.01). */
  errorRateSlack?: number;
  /** Maximum p99 (ms) of a healthy bucket; default max(baseline p99 × `p99Factor`, baseline p99 + `p99SlackMs`). */
  p99Ms?: number;
  /** Default 1.5. */
  p99Factor?: number;
  /** Default 5 ms: keeps a sub-millisecond baseline from making every bucket unhealthy on noise alone. */
  p99SlackMs?: number;
  /** Consecutive healthy seconds (buckets) required (default 5). */
  windowSec?: number;
  /** Stop looking at this time (epoch ms); default the end of the series. */
  horizonMs?: number;
  /** Every fault of the run, used for the default baseline; default just the fault being judged. */
  faults?: readonly FaultWindow[];
}

/** The tolerance actually applied. */
export interface RecoveryTolerance {
  errorRate: number;
  p99Ms: number;
  windowSec: number;
}

/** Time to recover from one fault. */
export interface Recovery {
  fault: FaultWindow;
  /** Epoch ms measured from: the fault's end, or its start when `absorb`. */
  fromMs: number;
  /** Epoch ms at which the sustained healthy window began; null when never. */
  recoveredAtMs: number | null;
  /** recoveredAtMs − fromMs, or "never". */
  timeToRecoverMs: number | 'never';
  tolerance: RecoveryTolerance;
}

/** Resolves the tolerance from options and the baseline. */
export function recoveryTolerance(
  series: LoadSeries,
  faults: readonly FaultWindow[],
  options: RecoveryOptions = {},
): RecoveryTolerance {
  const windowSec = options.windowSec ?? 5;
  if (!Number.isInteger(windowSec) || windowSec < 1) {
    throw new InvalidOptionError('windowSec', `must be a positive integer, got ${windowSec}`);
  }
  const needBaseline = options.errorRate === undefined || options.p99Ms === undefined;
  const baseline =
    options.baseline ?? (needBaseline ? phaseKpis(series, options.faults ?? faults).before : undefined);
  if (needBaseline && (baseline === undefined || baseline.completed === 0)) {
    throw new InvalidOptionError(
      'baseline',
      'no steady-state samples before the first fault; give errorRate and p99Ms or a baseline',
    );
  }
  const errorRate = options.errorRate ?? (baseline as PhaseKpis).errorRate + (options.errorRateSlack ?? 0.01);
  const p99 = (baseline as PhaseKpis | undefined)?.latency.p99Ms ?? 0;
  const p99Ms = options.p99Ms ?? Math.max(p99 * (options.p99Factor ?? 1.5), p99 + (options.p99SlackMs ?? 5));
  return { errorRate, p99Ms, windowSec };
}

/** Whether a bucket meets the tolerance. */
export function bucketHealthy(b: LoadBucket, tol: RecoveryTolerance): boolean {
  const completed = totalOutcomes(b.outcomes);
  if (completed === 0) return false;
  if ((completed - b.outcomes.ok) / completed > tol.errorRate) return false;
  return b.latency.count === 0 || b.latency.p99Ms <= tol.p99Ms;
}

/** Time to recover from `fault` (see the module comment). */
export function timeToRecover(
  series: LoadSeries,
  fault: FaultWindow,
  options: RecoveryOptions = {},
): Recovery {
  const tolerance = recoveryTolerance(series, [fault], options);
  const fromMs = fault.absorb ? fault.startMs : fault.endMs;
  const first = Math.max(0, Math.ceil((fromMs - series.startMs) / series.bucketMs));
  const horizon = options.horizonMs ?? Number.POSITIVE_INFINITY;
  const lastIndex = Math.min(
    series.buckets.length - 1,
    Math.floor((horizon - series.startMs) / series.bucketMs) - 1,
  );
  let run = 0;
  for (let k = first; k <= lastIndex; k++) {
    const b = series.buckets[k] as LoadBucket;
    run = bucketHealthy(b, tolerance) ? run + 1 : 0;
    if (run === tolerance.windowSec) {
      const recoveredAtMs = series.startMs + (k - run + 1) * series.bucketMs;
      return { fault, fromMs, recoveredAtMs, timeToRecoverMs: recoveredAtMs - fromMs, tolerance };
    }
  }
  return { fault, fromMs, recoveredAtMs: null, timeToRecoverMs: 'never', tolerance };
}

/** Time to recover from each fault, with the baseline taken before the first of them. */
export function timesToRecover(
  series: LoadSeries,
  faults: readonly FaultWindow[],
  options: RecoveryOptions = {},
): Recovery[] {
  if (faults.length === 0) return [];
  const tol = recoveryTolerance(series, faults, options);
  return faults.map((f) =>
    timeToRecover(series, f, { ...options, errorRate: tol.errorRate, p99Ms: tol.p99Ms }),
  );
}
