/**
 * The load generator's own lag: how much of a measured latency may be the generator's delay rather than the
 * system's. A generator that cannot keep up (a CPU hog beside it, a busy event loop) sends late, notices
 * responses late, and reports both as the system's latency. Three measures, per bucket, all in milliseconds:
 *
 * - **loop**: event-loop delay of the generator's thread (`perf_hooks.monitorEventLoopDelay`, 10 ms
 *   resolution): how late its timers ran. It covers everything that keeps the thread from running — its own
 *   work, garbage collection, the OS not scheduling it. Read at each bucket boundary; a read covering several
 *   buckets (the loop was blocked across a boundary) counts in each of them.
 * - **send**: actual − intended send time of the bucket's arrivals (open model; 0 in the closed model, which
 *   sends when a response completes).
 * - **receive**: per completion, how long it waited behind the I/O callbacks run before it in the same turn of
 *   the event loop. The response's bytes were ready no later than the turn's first callback ran, so this is a
 *   lower bound on the time they sat in the generator; time before the turn began shows in `loop`.
 *
 * Each is summarised per bucket as p99 and max. The bucket of a send or receive lag is the request's bucket
 * (the one its latency counts in); the bucket of a loop read is the time it covers.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { GeneratorLag, LoadBucket } from './samples.js';

export type { GeneratorLag };

/** A bucket whose generator lag p99 exceeds both this share of its latency p99 ... */
export const LAG_SHARE = 0.1;
/** ... and this many milliseconds is a lagging second. */
export const LAG_FLOOR_MS = 5;
/** A run is flagged when at least this share of its answered seconds lag (and at least one does). */
export const LAG_BUCKET_SHARE = 0.1;
/** The warning, word for word: k6 and wrk2 users look for it. */
export const LAG_WARNING = "the load generator could not keep up: latencies are not the system's";

const EVENT_LOOP_RESOLUTION_MS = 10;

/** The one figure the rule reads: the largest of a bucket's three p99s. */
export function lagP99Ms(lag: GeneratorLag): number {
  return Math.max(lag.loopP99Ms, lag.sendP99Ms, lag.receiveP99Ms);
}

/** A zero lag (a bucket nothing was measured in). */
export function zeroLag(): GeneratorLag {
  return { loopP99Ms: 0, loopMaxMs: 0, sendP99Ms: 0, sendMaxMs: 0, receiveP99Ms: 0, receiveMaxMs: 0 };
}

/** Whether a bucket lags: answered requests, and generator lag p99 > 10 % of latency p99 and > 5 ms. */
export function bucketLags(b: LoadBucket): boolean {
  if (b.lag === undefined || b.latency.count === 0) return false;
  const lag = lagP99Ms(b.lag);
  return lag > LAG_FLOOR_MS && lag > LAG_SHARE * b.latency.p99Ms;
}

/** How a series' generator lag compares with its latencies. */
export interface LagAssessment {
  /** Buckets with answered requests and a lag measurement. */
  buckets: number;
  /** Of those, buckets that lag ({@link bucketLags}). */
  lagging: number;
  /** The largest bucket generator lag p99 (ms) and that bucket's latency p99 (ms). */
  worstLagP99Ms: number;
  worstLatencyP99Ms: number;
  /** The generator could not keep up: at least one bucket lags, and at least 10 % of them do. */
  flagged: boolean;
}

/**
 * The rule, over a series' buckets (or a window of them): the run is flagged when at least one answered second
 * lags and at least {@link LAG_BUCKET_SHARE} of them do — one slow second (a garbage collection during a long
 * run) is noted in the figures but is no reason to distrust the whole run.
 */
export function assessLag(buckets: readonly LoadBucket[]): LagAssessment {
  let n = 0;
  let lagging = 0;
  let worst = 0;
  let worstLatency = 0;
  for (const b of buckets) {
    if (b.lag === undefined || b.latency.count === 0) continue;
    n += 1;
    if (bucketLags(b)) lagging += 1;
    const l = lagP99Ms(b.lag);
    if (l > worst) {
      worst = l;
      worstLatency = b.latency.p99Ms;
    }
  }
  return {
    buckets: n,
    lagging,
    worstLagP99Ms: worst,
    worstLatencyP99Ms: worstLatency,
    flagged: lagging > 0 && lagging >= LAG_BUCKET_SHARE * n,
  };
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/** The warning for a flagged assessment (with the figures behind it), else undefined. */
export function lagWarning(a: LagAssessment, name?: string): string | undefined {
  if (!a.flagged) return undefined;
  return (
    `${LAG_WARNING} (${name === undefined ? '' : `${name}: `}generator lag p99 up to ${fmt(a.worstLagP99Ms)} ms ` +
    `against a latency p99 of ${fmt(a.worstLatencyP99Ms)} ms in that second; ${a.lagging} of ${a.buckets} seconds lagged)`
  );
}

/** One line of the worst second's lag figures, for summaries. */
export function formatLag(buckets: readonly LoadBucket[]): string | undefined {
  let loop = 0;
  let send = 0;
  let recv = 0;
  let loopMax = 0;
  let any = false;
  for (const b of buckets) {
    if (b.lag === undefined) continue;
    any = true;
    loop = Math.max(loop, b.lag.loopP99Ms);
    loopMax = Math.max(loopMax, b.lag.loopMaxMs);
    send = Math.max(send, b.lag.sendP99Ms);
    recv = Math.max(recv, b.lag.receiveP99Ms);
  }
  if (!any) return undefined;
  return (
    `generator lag p99 (worst second): event loop ${fmt(loop)} ms (max ${fmt(loopMax)} ms), ` +
    `send ${fmt(send)} ms, receive ${fmt(recv)} ms`
  );
}

/**
 * Event-loop delay, read once per bucket. `onRead(fromMs, toMs, p99Ms, maxMs)` gets each read with the
 * monotonic window it covers; the monitor's own 10 ms period is taken off, so an idle loop reads near 0.
 */
export class LoopDelayMonitor {
  readonly #h: IntervalHistogram;
  #lastMs: number;

  constructor(nowMs: number) {
    this.#h = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    this.#h.enable();
    this.#lastMs = nowMs;
  }

  /** Reads and resets; undefined when no sample was taken since the last read. */
  read(nowMs: number): { fromMs: number; toMs: number; p99Ms: number; maxMs: number } | undefined {
    const h = this.#h;
    const fromMs = this.#lastMs;
    this.#lastMs = nowMs;
    if (h.count === 0) return undefined;
    const less = (ns: number) => Math.max(0, ns / 1e6 - EVENT_LOOP_RESOLUTION_MS);
    const r = { fromMs, toMs: nowMs, p99Ms: less(h.percentile(99)), maxMs: less(h.max) };
    h.reset();
    return r;
  }

  stop(): void {
    this.#h.disable();
  }
}

/**
 * The start of the current event-loop turn's run of completions: the first completion of a turn marks it, and
 * a `setImmediate` (which runs right after the turn's I/O callbacks) clears the mark. One immediate per turn
 * with completions, not per completion.
 */
export class TurnMark {
  #startMs = -1;
  readonly #clear = () => {
    this.#startMs = -1;
  };

  /** Milliseconds since the turn's first completion (0 for the first one). */
  sinceTurnStart(nowMs: number): number {
    if (this.#startMs < 0) {
      this.#startMs = nowMs;
      setImmediate(this.#clear);
      return 0;
    }
    return nowMs - this.#startMs;
  }
}
