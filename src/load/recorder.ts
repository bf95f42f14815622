/**
 * The hot-path recorder behind every runner: counts outcomes into per-second buckets and latencies into
 * per-bucket HDR histograms, then hands out a {@link LoadSeries}. Latencies are recorded as
 * {@link LatencyCounts} (an HDR histogram's counts, indexed without floating-point math) and turned into
 * hdr-histogram-js histograms once per bucket. A bucket's histogram is encoded and freed once the bucket lies in
 * the past and none of its requests are still in flight, so a long run keeps only a few live histograms. What
 * never leaves the process — the live progress line's window, the open model's scheduling error, the generator's
 * send and receive lag — is kept in {@link LatencyCounts} too: a `perf_hooks` histogram costs a call into native
 * code per value, and with two to four of them per request they were a measurable share of the generator's CPU.
 */
import { type GeneratorLag, zeroLag } from './lag.js';
import { LatencyCounts } from './latency-counts.js';
import {
  createLatencyHistogram,
  decodeLatency,
  emptyOutcomes,
  type LatencyHistogram,
  type LatencySummary,
  LOAD_SERIES_FORMAT,
  type LoadBucket,
  type LoadSeries,
  type OutcomeClass,
  type OutcomeCounts,
  summarizeLatency,
} from './samples.js';

interface LiveBucket {
  sent: number;
  dropped: number;
  inFlight: number;
  outcomes: OutcomeCounts;
  /** Latencies recorded since the bucket was last sealed (or ever). */
  hist: LatencyCounts | null;
  /** A sealed bucket's histogram, kept when a late completion re-opened it. */
  prior: LatencyHistogram | null;
  sealed: LatencySummary | null;
  exits: Record<string, number> | null;
  /** Generator lag (when the recorder measures it): live histograms until the bucket is sealed. */
  sendLag: LatencyCounts | null;
  receiveLag: LatencyCounts | null;
  /** The send and receive lag of sealed histograms. */
  lag: GeneratorLag | null;
}

/**
 * Lag histograms per bucket, in microseconds (1 µs … 1 h, 3 significant digits); a bucket's are folded into its
 * p99 and max and freed when it is sealed, so a run keeps a few live at a time.
 */
const lagHistogram = (): LatencyCounts => new LatencyCounts();

/** Folds a lag histogram into a summary's p99 and max (max-combined: a re-opened bucket keeps the worse). */
function foldLag(lag: GeneratorLag, h: LatencyCounts | null, kind: 'send' | 'receive'): void {
  if (h === null || h.count === 0) return;
  const max = h.max / 1000;
  // a slot's highest value may lie above the largest recorded one: a p99 is never above the max
  const p99 = Math.min(h.percentile(99) / 1000, max);
  if (kind === 'send') {
    lag.sendP99Ms = Math.max(lag.sendP99Ms, p99);
    lag.sendMaxMs = Math.max(lag.sendMaxMs, max);
  } else {
    lag.receiveP99Ms = Math.max(lag.receiveP99Ms, p99);
    lag.receiveMaxMs = Math.max(lag.receiveMaxMs, max);
  }
}

/** Running totals for the progress line. */
export interface LoadProgress {
  /** Milliseconds since the run started. */
  elapsedMs: number;
  sent: number;
  completed: number;
  ok: number;
  /** Completed requests that were not ok. */
  errors: number;
  inFlight: number;
  dropped: number;
  /** Completions per second since the previous progress report. */
  completedPerSec: number;
  /** p99 latency (ms) of requests answered since the previous progress report; null if none was. */
  windowP99Ms: number | null;
}

/** Distribution of (actual send time − intended send time), open model only, in microseconds. */
export interface SchedulingError {
  count: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

/** The summary of a bucket's live latencies (and of its earlier sealed ones, when a late completion re-opened it). */
function summarizeLive(b: LiveBucket): LatencySummary {
  const h = (b.hist as LatencyCounts).toHistogram();
  if (b.prior !== null) h.add(b.prior);
  return summarizeLatency(h);
}

let sealPathWarm = false;

/**
 * Runs the once-a-second path — counts to histogram, summary, encoding — a few times on throwaway values, once
 * per thread. Cold, its first runs take 10–25 ms each (compiling hdr-histogram-js's code) where a warm one takes
 * 1–2 ms; a run starts its clock after this, so the first seconds' seals do not hold the generator's thread
 * while arrivals are due.
 */
export function warmSealPath(): void {
  if (sealPathWarm) return;
  sealPathWarm = true;
  for (let k = 0; k < 3; k++) {
    const counts = new LatencyCounts();
    for (let v = 1; v < 100_000; v = Math.ceil(v * 1.3)) counts.record(v);
    summarizeLatency(counts.toHistogram());
    counts.percentile(99);
  }
}

/** Creates the recorder; `startMs` is the monotonic time of bucket 0, `epochStartMs` its wall-clock time. */
export class SeriesRecorder {
  readonly startMs: number;
  readonly epochStartMs: number;
  readonly bucketMs: number;
  readonly model: LoadSeries['model'];
  readonly target: string;
  /** Whether buckets carry the generator's lag (HTTP runs). */
  readonly measuresLag: boolean;
  #buckets: LiveBucket[] = [];
  /** Event-loop delay reads per bucket index (sparse). */
  #loop: { p99Ms: number; maxMs: number }[] = [];
  #sent = 0;
  #completed = 0;
  #ok = 0;
  #dropped = 0;
  #window = new LatencyCounts();
  #sched = new LatencyCounts();
  #lastProgressMs: number;
  #lastProgressCompleted = 0;

  constructor(options: {
    startMs: number;
    epochStartMs: number;
    model: LoadSeries['model'];
    target: string;
    bucketMs?: number;
    /** Record the generator's lag per bucket ({@link sendLag}, {@link receiveLag}, {@link loopDelay}). */
    lag?: boolean;
  }) {
    this.measuresLag = options.lag === true;
    this.startMs = options.startMs;
    this.epochStartMs = options.epochStartMs;
    this.bucketMs = options.bucketMs ?? 1000;
    this.model = options.model;
    this.target = options.target;
    this.#lastProgressMs = options.startMs;
  }

  /** The bucket index of monotonic time `ms` (times before the start fall in bucket 0). */
  bucketOf(ms: number): number {
    const t = Math.floor((ms - this.startMs) / this.bucketMs);
    return Math.max(t, 0);
  }

  #bucket(t: number): LiveBucket {
    let b = this.#buckets[t];
    if (b === undefined) {
      for (let i = this.#buckets.length; i <= t; i++) {
        this.#buckets[i] = {
          sent: 0,
          dropped: 0,
          inFlight: 0,
          outcomes: emptyOutcomes(),
          hist: null,
          prior: null,
          sealed: null,
          exits: null,
          sendLag: null,
          receiveLag: null,
          lag: null,
        };
      }
      b = this.#buckets[t] as LiveBucket;
    }
    return b;
  }

  /** The bucket index of an offset from the start (exact for schedule offsets, no float drift from adding). */
  bucketOfOffset(offsetMs: number): number {
    const t = Math.floor(offsetMs / this.bucketMs);
    return Math.max(t, 0);
  }

  /** A request of bucket `t` was sent. */
  sent(t: number): void {
    const b = this.#bucket(t);
    b.sent += 1;
    b.inFlight += 1;
    this.#sent += 1;
  }

  /** An arrival of bucket `t` was dropped (open model, too many requests in flight). */
  dropped(t: number): void {
    this.#bucket(t).dropped += 1;
    this.#dropped += 1;
  }

  /** Records the actual − intended send time of an open-model request, in microseconds. */
  schedulingError(us: number): void {
    this.#sched.record(us);
  }

  /** Send lag (actual − intended send time, µs) of an arrival of bucket `t`. */
  sendLag(t: number, us: number): void {
    const b = this.#bucket(t);
    b.sendLag ??= lagHistogram();
    b.sendLag.record(us);
  }

  /** Receive lag (µs) of a completion of bucket `t`. */
  receiveLag(t: number, us: number): void {
    const b = this.#bucket(t);
    b.receiveLag ??= lagHistogram();
    b.receiveLag.record(us);
  }

  /**
   * An event-loop delay read covering monotonic `[fromMs, toMs)`: counted in every bucket it overlaps. Kept
   * apart from the buckets, which only requests create: a read after the last request adds no empty second.
   */
  loopDelay(fromMs: number, toMs: number, p99Ms: number, maxMs: number): void {
    const first = this.bucketOf(fromMs);
    const last = Math.max(first, this.bucketOf(toMs - 1e-6));
    for (let t = first; t <= last; t++) {
      const l = this.#loop[t];
      if (l === undefined) this.#loop[t] = { p99Ms, maxMs };
      else {
        l.p99Ms = Math.max(l.p99Ms, p99Ms);
        l.maxMs = Math.max(l.maxMs, maxMs);
      }
    }
  }

  /** A bucket's lag summary: its loop reads, what was folded in at sealing and its live histograms. */
  #lagOf(b: LiveBucket, t: number): GeneratorLag {
    const lag = b.lag === null ? zeroLag() : { ...b.lag };
    const loop = this.#loop[t];
    if (loop !== undefined) {
      lag.loopP99Ms = loop.p99Ms;
      lag.loopMaxMs = loop.maxMs;
    }
    foldLag(lag, b.sendLag, 'send');
    foldLag(lag, b.receiveLag, 'receive');
    return lag;
  }

  /**
   * A request of bucket `t` completed with `outcome`; `latencyUs` < 0 means no latency (transport failure).
   * `exit` is the command runner's exit status.
   */
  completed(t: number, outcome: OutcomeClass, latencyUs: number, exit?: string): void {
    const b = this.#bucket(t);
    b.inFlight -= 1;
    b.outcomes[outcome] += 1;
    this.#completed += 1;
    if (outcome === 'ok') this.#ok += 1;
    if (latencyUs >= 0) {
      if (b.hist === null) {
        b.hist = new LatencyCounts();
        // A late completion into a sealed bucket re-opens it.
        if (b.sealed !== null && b.sealed.count > 0) b.prior = decodeLatency(b.sealed.hdr);
        b.sealed = null;
      }
      b.hist.record(latencyUs);
      this.#window.record(latencyUs);
    }
    if (exit !== undefined) {
      b.exits ??= {};
      b.exits[exit] = (b.exits[exit] ?? 0) + 1;
    }
  }

  /** Encodes and frees the histograms of past buckets with nothing in flight; call about once a second. */
  seal(nowMs: number): void {
    const current = this.bucketOf(nowMs);
    for (let t = 0; t < current && t < this.#buckets.length; t++) {
      const b = this.#buckets[t] as LiveBucket;
      if (b.inFlight === 0 && b.hist !== null) {
        b.sealed = summarizeLive(b);
        b.hist = null;
        b.prior = null;
      }
      if (b.inFlight === 0 && (b.sendLag !== null || b.receiveLag !== null)) {
        b.lag = this.#lagOf(b, t);
        b.sendLag = null;
        b.receiveLag = null;
      }
    }
  }

  /** Totals for a progress line without resetting the window. */
  progressPeek(nowMs: number): LoadProgress {
    return this.#progress(nowMs);
  }

  /** Totals for a progress line; resets the window used for `completedPerSec` and `windowP99Ms`. */
  progress(nowMs: number): LoadProgress {
    const p = this.#progress(nowMs);
    this.#window.reset();
    this.#lastProgressMs = nowMs;
    this.#lastProgressCompleted = this.#completed;
    return p;
  }

  #progress(nowMs: number): LoadProgress {
    const dt = (nowMs - this.#lastProgressMs) / 1000;
    const p: LoadProgress = {
      elapsedMs: nowMs - this.startMs,
      sent: this.#sent,
      completed: this.#completed,
      ok: this.#ok,
      errors: this.#completed - this.#ok,
      inFlight: this.#sent - this.#completed,
      dropped: this.#dropped,
      completedPerSec: dt > 0 ? (this.#completed - this.#lastProgressCompleted) / dt : 0,
      windowP99Ms: this.#window.count > 0 ? this.#window.percentile(99) / 1000 : null,
    };
    return p;
  }

  /** The open model's scheduling error so far (zeros when nothing was recorded). */
  schedulingErrors(): SchedulingError {
    const h = this.#sched;
    if (h.count === 0) return { count: 0, p50Us: 0, p99Us: 0, maxUs: 0 };
    const at = (p: number) => Math.min(h.percentile(p), h.max);
    return { count: h.count, p50Us: at(50), p99Us: at(99), maxUs: h.max };
  }

  /** Requests sent and not yet completed. */
  inFlight(): number {
    return this.#sent - this.#completed;
  }

  /** A JSON-serialisable snapshot of everything recorded so far. */
  series(): LoadSeries {
    const buckets: LoadBucket[] = this.#buckets.map((b, t) => {
      const latency =
        b.hist !== null ? summarizeLive(b) : (b.sealed ?? summarizeLatency(createLatencyHistogram()));
      const bucket: LoadBucket = {
        t,
        sent: b.sent,
        dropped: b.dropped,
        outcomes: { ...b.outcomes },
        latency,
      };
      if (b.exits !== null) bucket.exits = { ...b.exits };
      if (this.measuresLag) bucket.lag = this.#lagOf(b, t);
      return bucket;
    });
    return {
      format: LOAD_SERIES_FORMAT,
      startMs: this.epochStartMs,
      bucketMs: this.bucketMs,
      model: this.model,
      target: this.target,
      buckets,
    };
  }
}
