/**
 * The recorded sample format: what a load run leaves behind and what the KPI functions and the experiment
 * engine read. A {@link LoadSeries} is plain JSON (no class instances, no Maps) so it can go into result.json
 * unchanged and be rebuilt by hand in tests.
 *
 * Time: bucket `t` covers `[startMs + t·bucketMs, startMs + (t+1)·bucketMs)` in epoch milliseconds. A request
 * belongs to the bucket of the time it was meant to be sent (open model) or was sent (closed model, command
 * runner), whenever it completed — so a stall shows in the second it started, not in a later one.
 *
 * Latency: microseconds in an HDR histogram (1 µs … 1 h, 3 significant digits) encoded as compressed base64
 * (the HdrHistogram interchange format), plus a summary in milliseconds. The histogram covers requests that got
 * an answer (an HTTP status or a process exit status); transport failures (timeout, reset, refused, other) are
 * counted but have no latency. Functions here are pure.
 */
import type * as hdr from 'hdr-histogram-js';
import { hdrHistogram } from '../deps/lazy.js';

/** Identifies the format; bump when a field changes meaning. */
export const LOAD_SERIES_FORMAT = 'faultline.load-series/1';

/** How one request (or one command run) ended. Every request gets exactly one class. */
export type OutcomeClass =
  | 'ok'
  | '1xx'
  | '2xx'
  | '3xx'
  | '4xx'
  | '5xx'
  | 'timeout'
  | 'reset'
  | 'refused'
  | 'other';

/** All outcome classes, in report order. */
export const OUTCOME_CLASSES: readonly OutcomeClass[] = [
  'ok',
  '1xx',
  '2xx',
  '3xx',
  '4xx',
  '5xx',
  'timeout',
  'reset',
  'refused',
  'other',
];

/**
 * Counts per outcome class. `ok` is a response the run's `ok` rule accepted (by default status 200–399, or exit
 * status 0); a response it rejected is counted under its status class (`2xx` only when a stricter rule rejects
 * it); `timeout` / `reset` / `refused` / `other` are transport failures.
 */
export type OutcomeCounts = Record<OutcomeClass, number>;

/** Latency summary in milliseconds (microsecond resolution) plus the encoded histogram in microseconds. */
export interface LatencySummary {
  /** Requests with a latency (answered requests). */
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** HdrHistogram compressed base64 of latencies in microseconds; '' when count is 0. */
  hdr: string;
}

/** The generator's lag during one bucket, in milliseconds (all ≥ 0). */
export interface GeneratorLag {
  /** Event-loop delay of the generator's thread: p99 and max of its samples. */
  loopP99Ms: number;
  loopMaxMs: number;
  /** Open model: actual − intended send time of the bucket's arrivals, p99 and max (0 in the closed model). */
  sendP99Ms: number;
  sendMaxMs: number;
  /** How long completions waited behind earlier callbacks of their event-loop turn, p99 and max. */
  receiveP99Ms: number;
  receiveMaxMs: number;
}

/** One bucket of a series (one second by default). */
export interface LoadBucket {
  /** Bucket index from the series start. */
  t: number;
  /** Requests sent (or meant to be sent) in this bucket. After a drained run, sent = Σ outcomes. */
  sent: number;
  /** Open model only: arrivals not sent because `maxInFlight` requests were already outstanding. */
  dropped: number;
  outcomes: OutcomeCounts;
  latency: LatencySummary;
  /** Command runner only: completed runs by exit status ('0', '1', …, or a signal name). */
  exits?: Record<string, number>;
  /** HTTP runs: the load generator's own lag during this bucket (src/load/lag.ts). */
  lag?: GeneratorLag;
}

/** A whole recorded run. */
export interface LoadSeries {
  format: typeof LOAD_SERIES_FORMAT;
  /** Epoch milliseconds at the start of bucket 0. */
  startMs: number;
  /** Bucket width in milliseconds (1000). */
  bucketMs: number;
  /** `open` / `closed` HTTP models, or `command`. */
  model: 'open' | 'closed' | 'command';
  /** The URL or command the load was aimed at. */
  target: string;
  /** Buckets in time order, one per bucket index from 0 to the last (empty seconds included). */
  buckets: LoadBucket[];
}

/** A histogram with the series' fixed parameters, in microseconds. */
export type LatencyHistogram = hdr.Histogram;

const HIGHEST_US = 3_600_000_000;

/**
 * hdr-histogram-js's 32-bit histogram with a faster `mean`. The library's getter walks the counts with an
 * iterator that allocates per step and costs milliseconds a histogram, paid once a second by the recorder and
 * again by every KPI; this one reads the counts directly. Every term is an integer (a slot's middle value times
 * its count) and their sum stays below 2^53, so the result is exactly the library's.
 * Defined on first use: the library is loaded then (src/deps/lazy.ts).
 */
function defineSeriesHistogram() {
  return class SeriesHistogram extends hdrHistogram().Int32Histogram {
    override get mean(): number {
      const total = this.totalCount;
      if (total === 0) return 0;
      let sum = 0;
      const n = this.countsArrayLength;
      for (let i = 0; i < n; i++) {
        const c = this.getCountAtIndex(i);
        if (c !== 0) sum += this.medianEquivalentValue(this.valueFromIndex(i)) * c;
      }
      return sum / total;
    }
  };
}

let seriesHistogram: (new (lowest: number, highest: number, digits: number) => hdr.Histogram) | undefined;

/** A new empty latency histogram (µs, 1 µs … 1 h, 3 significant digits). */
export function createLatencyHistogram(): LatencyHistogram {
  seriesHistogram ??= defineSeriesHistogram();
  const h = new seriesHistogram(1, HIGHEST_US, 3);
  h.autoResize = false;
  return h;
}

/** Records a latency in microseconds, clamped to the histogram's range. */
export function recordLatencyUs(h: LatencyHistogram, us: number): void {
  h.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : Math.round(us));
}

/** Decodes {@link LatencySummary.hdr}; an empty string gives an empty histogram. */
export function decodeLatency(encoded: string): LatencyHistogram {
  const h = createLatencyHistogram();
  if (encoded !== '') h.add(hdrHistogram().decodeFromCompressedBase64(encoded, 32, false));
  return h;
}

/** Merges the histograms of several summaries into one. */
export function mergeLatency(summaries: Iterable<LatencySummary>): LatencyHistogram {
  const total = createLatencyHistogram();
  for (const s of summaries) {
    if (s.count > 0 && s.hdr !== '') total.add(hdrHistogram().decodeFromCompressedBase64(s.hdr, 32, false));
  }
  return total;
}

const us2ms = (us: number) => us / 1000;

/** Summarises (and encodes) a histogram. */
export function summarizeLatency(h: LatencyHistogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) {
    return { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, hdr: '' };
  }
  return {
    count,
    minMs: us2ms(h.minNonZeroValue),
    meanMs: Math.round(h.mean) / 1000,
    p50Ms: us2ms(h.getValueAtPercentile(50)),
    p90Ms: us2ms(h.getValueAtPercentile(90)),
    p99Ms: us2ms(h.getValueAtPercentile(99)),
    p999Ms: us2ms(h.getValueAtPercentile(99.9)),
    maxMs: us2ms(h.maxValue),
    hdr: hdrHistogram().encodeIntoCompressedBase64(h),
  };
}

/** Outcome counts with every class at zero. */
export function emptyOutcomes(): OutcomeCounts {
  return {
    ok: 0,
    '1xx': 0,
    '2xx': 0,
    '3xx': 0,
    '4xx': 0,
    '5xx': 0,
    timeout: 0,
    reset: 0,
    refused: 0,
    other: 0,
  };
}

/** Σ outcomes: requests that completed one way or another. */
export function totalOutcomes(o: OutcomeCounts): number {
  let n = 0;
  for (const c of OUTCOME_CLASSES) n += o[c];
  return n;
}

/** What {@link bucketFrom} takes: partial outcome counts and the latencies (ms) of answered requests. */
export interface BucketInput {
  t: number;
  outcomes?: Partial<OutcomeCounts>;
  /** Latencies in milliseconds of the answered requests (recorded at microsecond resolution). */
  latenciesMs?: number[];
  /** Defaults to Σ outcomes. */
  sent?: number;
  dropped?: number;
}

/** Builds a bucket by hand: for tests, for importing other tools' samples, for the experiment engine. */
export function bucketFrom(input: BucketInput): LoadBucket {
  const outcomes = { ...emptyOutcomes(), ...input.outcomes };
  const h = createLatencyHistogram();
  for (const ms of input.latenciesMs ?? []) recordLatencyUs(h, ms * 1000);
  return {
    t: input.t,
    sent: input.sent ?? totalOutcomes(outcomes),
    dropped: input.dropped ?? 0,
    outcomes,
    latency: summarizeLatency(h),
  };
}

/** Builds a series from buckets (filling missing indices with empty buckets). */
export function seriesFrom(
  buckets: LoadBucket[],
  options: { startMs?: number; bucketMs?: number; model?: LoadSeries['model']; target?: string } = {},
): LoadSeries {
  const byT = new Map(buckets.map((b) => [b.t, b]));
  const last = buckets.reduce((m, b) => Math.max(m, b.t), -1);
  const filled: LoadBucket[] = [];
  for (let t = 0; t <= last; t++) filled.push(byT.get(t) ?? bucketFrom({ t }));
  return {
    format: LOAD_SERIES_FORMAT,
    startMs: options.startMs ?? 0,
    bucketMs: options.bucketMs ?? 1000,
    model: options.model ?? 'open',
    target: options.target ?? '',
    buckets: filled,
  };
}
