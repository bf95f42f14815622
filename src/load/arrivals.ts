/**
 * Open-model arrival times as a pure function. The arrival rate r(t) is piecewise linear (constant rates and
 * ramps, as in k6's ramping-arrival-rate); the cumulative count N(t) is its integral, and request i is meant
 * to be sent at the time t where N(t) = i. Nothing here reads a clock: the scheduler asks `timeOf(i)` and
 * compares it with its own clock, so the intended send times are exact and reproducible.
 */
import { InvalidOptionError } from '../core/errors.js';

/** One stage of an arrival profile: over `durationMs` the rate moves linearly to `target` requests/s. */
export interface RateStage {
  durationMs: number;
  target: number;
}

/** A piecewise-linear arrival-rate profile: `startRate` at t = 0, then each stage in turn. */
export interface ArrivalProfile {
  startRate: number;
  stages: RateStage[];
}

interface CompiledStage {
  startMs: number;
  durationMs: number;
  r0: number; // requests per ms at the stage start
  r1: number;
  n0: number; // cumulative arrivals at the stage start (fractional)
  n1: number;
}

/** Intended send times for an {@link ArrivalProfile}. */
export interface ArrivalSchedule {
  /** Total arrivals: ⌈N(T)⌉, request indices 0 … count − 1. */
  readonly count: number;
  /** Total profile length in milliseconds. */
  readonly durationMs: number;
  /** Milliseconds after the start at which request `i` is meant to be sent (0 ≤ i < count). */
  timeOf(i: number): number;
  /** The rate (requests/s) the profile asks for at `tMs`. */
  rateAt(tMs: number): number;
}

/** A profile that holds `rate` requests/s for `durationMs`. */
export function constantRate(rate: number, durationMs: number): ArrivalProfile {
  return { startRate: rate, stages: [{ durationMs, target: rate }] };
}

/**
 * Compiles a profile into an {@link ArrivalSchedule}.
 * @throws InvalidOptionError for negative or non-finite rates and durations.
 */
export function createArrivalSchedule(profile: ArrivalProfile): ArrivalSchedule {
  if (!Number.isFinite(profile.startRate) || profile.startRate < 0) {
    throw new InvalidOptionError('startRate', `must be ≥ 0, got ${profile.startRate}`);
  }
  if (profile.stages.length === 0) throw new InvalidOptionError('stages', 'needs at least one stage');
  const stages: CompiledStage[] = [];
  let t = 0;
  let n = 0;
  let r = profile.startRate / 1000;
  profile.stages.forEach((s, k) => {
    if (!Number.isFinite(s.durationMs) || s.durationMs < 0) {
      throw new InvalidOptionError(`stages[${k}].durationMs`, `must be ≥ 0, got ${s.durationMs}`);
    }
    if (!Number.isFinite(s.target) || s.target < 0) {
      throw new InvalidOptionError(`stages[${k}].target`, `must be ≥ 0, got ${s.target}`);
    }
    const r1 = s.target / 1000;
    const n1 = n + ((r + r1) / 2) * s.durationMs;
    stages.push({ startMs: t, durationMs: s.durationMs, r0: r, r1, n0: n, n1 });
    t += s.durationMs;
    n = n1;
    r = r1;
  });
  const total = n;
  // Guard against 4999.999999 arrivals from float sums of exact rates.
  const count = Math.ceil(total - 1e-9);
  const durationMs = t;

  function timeOf(i: number): number {
    if (i < 0 || i >= count) throw new RangeError(`arrival ${i} outside 0..${count - 1}`);
    let lo = 0;
    let hi = stages.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((stages[mid] as CompiledStage).n0 <= i) lo = mid;
      else hi = mid - 1;
    }
    // Skip zero-rate stages whose n0 equals i but hold no arrivals.
    let st = stages[lo] as CompiledStage;
    while (st.n1 <= i && lo + 1 < stages.length) st = stages[++lo] as CompiledStage;
    const dn = i - st.n0;
    if (dn <= 0) return st.startMs;
    const a = st.durationMs > 0 ? (st.r1 - st.r0) / (2 * st.durationMs) : 0;
    // Stable root of a·τ² + r0·τ − dn = 0 (no cancellation when r0 ≫ a·τ).
    const tau = (2 * dn) / (st.r0 + Math.sqrt(Math.max(0, st.r0 * st.r0 + 4 * a * dn)));
    return st.startMs + Math.min(tau, st.durationMs);
  }

  function rateAt(tMs: number): number {
    for (const st of stages) {
      if (tMs < st.startMs + st.durationMs) {
        const f = st.durationMs > 0 ? (tMs - st.startMs) / st.durationMs : 1;
        return (st.r0 + (st.r1 - st.r0) * Math.max(0, f)) * 1000;
      }
    }
    return 0;
  }

  return { count, durationMs, timeOf, rateAt };
}
