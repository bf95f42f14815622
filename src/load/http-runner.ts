/**
 * The HTTP load runner: request templates sent in the open model (arrivals on a schedule, latency from the
 * intended send time) or the closed model (N virtual users each waiting for its response, then an optional think
 * time, before the next request).
 *
 * The runner owns everything but the transport: what to send and when, and what to record. An engine
 * (`src/load/engines`, picked by `engine`) only carries requests and reports how each ended, so both engines give
 * the same outcome classes, timeouts and recorder calls. Per request the runner builds (or reuses) the request,
 * takes a pooled tag, and on completion makes one recorder call.
 */
import { InvalidOptionError } from '../core/errors.js';
import { windowKpis } from '../kpi/phases.js';
import { type ArrivalProfile, constantRate, createArrivalSchedule } from './arrivals.js';
import { ErrorCauses } from './causes.js';
import { classifyError, defaultOk, okStatusRule, statusClass } from './classify.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { type EngineName, type HttpEngine, selectEngine } from './engines/index.js';
import { assessLag, LoopDelayMonitor, lagWarning, TurnMark } from './lag.js';
import type { LoadOptions, LoadResult, LoadRun } from './load-types.js';
import { type LoadProgress, SeriesRecorder, warmSealPath } from './recorder.js';
import type { LoadSeries } from './samples.js';
import { type OpenScheduler, startOpenScheduler } from './scheduler.js';
import { createRequestFactory } from './template.js';
import { startLoadInWorker } from './worker-run.js';

export type { LoadLag, LoadOptions, LoadResult, LoadRun } from './load-types.js';

interface Validated {
  model: 'open' | 'closed';
  profile: ArrivalProfile | undefined;
  durationMs: number;
  connections: number;
  pipelining: number;
  thinkTimeMs: number;
  timeoutMs: number;
  maxInFlight: number;
}

function nonNegative(v: number | undefined, field: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0) throw new InvalidOptionError(field, `must be ≥ 0, got ${v}`);
  return v;
}

function positiveInt(v: number | undefined, field: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1)
    throw new InvalidOptionError(field, `must be a positive integer, got ${v}`);
  return v;
}

function validate(o: LoadOptions): Validated {
  const model = o.model ?? (o.rate !== undefined || o.profile !== undefined ? 'open' : 'closed');
  if (model !== 'open' && model !== 'closed') throw new InvalidOptionError('model', `must be open or closed`);
  let profile: ArrivalProfile | undefined;
  let durationMs = nonNegative(o.durationMs, 'durationMs', 10_000);
  if (model === 'open') {
    if (o.profile) {
      profile = o.profile;
      durationMs = createArrivalSchedule(profile).durationMs;
    } else {
      if (o.rate === undefined) throw new InvalidOptionError('rate', 'is required for the open model');
      if (!Number.isFinite(o.rate) || o.rate <= 0)
        throw new InvalidOptionError('rate', `must be > 0, got ${o.rate}`);
      const rampMs = nonNegative(o.rampMs, 'rampMs', 0);
      if (rampMs > durationMs)
        throw new InvalidOptionError('rampMs', `must not exceed durationMs (${durationMs})`);
      profile =
        rampMs > 0
          ? {
              startRate: 0,
              stages: [
                { durationMs: rampMs, target: o.rate },
                { durationMs: durationMs - rampMs, target: o.rate },
              ],
            }
          : constantRate(o.rate, durationMs);
    }
  } else if (o.rate !== undefined || o.profile !== undefined) {
    throw new InvalidOptionError('rate', 'applies to the open model only');
  }
  return {
    model,
    profile,
    durationMs,
    connections: positiveInt(o.connections, 'connections', model === 'open' ? 100 : 10),
    pipelining: positiveInt(o.pipelining, 'pipelining', 1),
    thinkTimeMs: nonNegative(o.thinkTimeMs, 'thinkTimeMs', 0),
    timeoutMs: nonNegative(o.timeoutMs, 'timeoutMs', 10_000),
    maxInFlight: positiveInt(o.maxInFlight, 'maxInFlight', 50_000),
  };
}

/**
 * What the runner needs back when a request ends. Tags are pooled: a run allocates one per request it ever had in
 * flight at once, not one per request.
 */
interface RequestTag {
  /** The run it belongs to: engines call one shared function ({@link completeTag}) for every run. */
  readonly run: HttpRun;
  bucket: number;
  /** Monotonic ms latency is measured from: intended send time (open) or actual send time (closed). */
  fromMs: number;
  /** Closed model: the virtual user; open model: -1. */
  user: number;
  next: RequestTag | null;
}

class HttpRun implements LoadRun {
  readonly done: Promise<LoadResult>;
  readonly started: Promise<void> = Promise.resolve();
  readonly #v: Validated;
  readonly #clock: Clock;
  readonly #engine: HttpEngine<RequestTag>;
  readonly #engineName: EngineName;
  readonly #recorder: SeriesRecorder;
  readonly #causes = new ErrorCauses();
  readonly #factory: ReturnType<typeof createRequestFactory>;
  readonly #ok: (status: number) => boolean;
  readonly #startMs: number;
  readonly #endMs: number;
  readonly #timeoutMs: number;
  readonly #options: LoadOptions;
  #scheduler: OpenScheduler | undefined;
  #index = 0;
  #freeTags: RequestTag | null = null;
  #sending = true;
  #stopped = false;
  #progressTimer: TimerHandle | undefined;
  #endTimer: TimerHandle | undefined;
  #thinkTimers = new Set<TimerHandle>();
  #resolveDrained: (() => void) | undefined;
  #onAbort: (() => void) | undefined;
  #lastCompletionMs: number;
  /** Event-loop delay: only on the real clock, whose time is the time the loop runs on. */
  #loop: LoopDelayMonitor | undefined;
  #loopTimer: TimerHandle | undefined;
  #blockTimer: TimerHandle | undefined;
  readonly #turn = new TurnMark();

  constructor(options: LoadOptions) {
    this.#options = options;
    this.#v = validate(options);
    this.#factory = createRequestFactory(options);
    this.#clock = options.clock ?? systemClock;
    this.#ok = options.ok ?? (options.okStatus ? okStatusRule(options.okStatus) : defaultOk);
    this.#timeoutMs = this.#v.timeoutMs;
    const engine = selectEngine(options.engine, new URL(this.#factory.origin));
    this.#engineName = engine.name;
    this.#engine = engine.create<RequestTag>({
      url: new URL(this.#factory.origin),
      connections: this.#v.connections,
      pipelining: this.#v.pipelining,
      timeoutMs: this.#timeoutMs,
      onComplete: completeTag,
    });
    // before the clock starts: the first once-a-second seals must not hold the thread for a cold JIT
    warmSealPath();
    this.#startMs = this.#clock.nowMs();
    this.#lastCompletionMs = this.#startMs;
    this.#endMs = this.#startMs + this.#v.durationMs;
    this.#recorder = new SeriesRecorder({
      startMs: this.#startMs,
      epochStartMs: this.#clock.epochMs(),
      model: this.#v.model,
      target: options.url,
      lag: true,
    });
    if (this.#clock === systemClock) this.#loop = new LoopDelayMonitor(this.#startMs);
    this.done = this.#run();
  }

  progress(): LoadProgress {
    return { ...this.#recorder.progressPeek(this.#clock.nowMs()) };
  }

  series(): LoadSeries {
    return this.#recorder.series();
  }

  stop(): void {
    if (!this.#sending) return;
    this.#stopped = true;
    this.#endSending();
  }

  #endSending(): void {
    if (!this.#sending) return;
    this.#sending = false;
    this.#scheduler?.stop();
    if (this.#endTimer !== undefined) this.#clock.clearTimeout(this.#endTimer);
    for (const t of this.#thinkTimers) this.#clock.clearTimeout(t);
    this.#thinkTimers.clear();
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (!this.#sending && this.#recorder.inFlight() === 0) this.#resolveDrained?.();
  }

  async #run(): Promise<LoadResult> {
    const drained = new Promise<void>((resolve) => {
      this.#resolveDrained = resolve;
    });
    const signal = this.#options.signal;
    if (signal) {
      if (signal.aborted) this.stop();
      this.#onAbort = () => this.stop();
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    this.#armProgress();
    this.#armLoopReads();
    this.#armBlock();
    if (this.#sending) {
      if (this.#v.model === 'open') this.#startOpen();
      else this.#startClosed();
    }
    try {
      await drained;
    } finally {
      if (this.#progressTimer !== undefined) this.#clock.clearTimeout(this.#progressTimer);
      if (this.#loopTimer !== undefined) this.#clock.clearTimeout(this.#loopTimer);
      if (this.#blockTimer !== undefined) this.#clock.clearTimeout(this.#blockTimer);
      this.#readLoop();
      this.#loop?.stop();
      if (signal && this.#onAbort) signal.removeEventListener('abort', this.#onAbort);
      await this.#engine.close();
    }
    const series = this.#recorder.series();
    const result: LoadResult = {
      model: this.#v.model,
      engine: this.#engineName,
      series,
      summary: windowKpis(series),
      elapsedMs: this.#lastCompletionMs - this.#startMs,
      stopped: this.#stopped,
      errorCauses: this.#causes.list(),
    };
    if (this.#v.model === 'open') result.scheduling = this.#recorder.schedulingErrors();
    const assessed = assessLag(series.buckets);
    const warning = lagWarning(assessed);
    result.lag = warning === undefined ? assessed : { ...assessed, warning };
    return result;
  }

  #readLoop(): void {
    const r = this.#loop?.read(this.#clock.nowMs());
    if (r !== undefined) this.#recorder.loopDelay(r.fromMs, r.toMs, r.p99Ms, r.maxMs);
  }

  /** Reads the event-loop delay at every bucket boundary, so each read covers one bucket (when on time). */
  #armLoopReads(): void {
    if (this.#loop === undefined) return;
    const bucketMs = this.#recorder.bucketMs;
    const arm = () => {
      const now = this.#clock.nowMs();
      const next = this.#startMs + (Math.floor((now - this.#startMs) / bucketMs) + 1) * bucketMs;
      this.#loopTimer = this.#clock.setTimeout(() => {
        this.#readLoop();
        arm();
      }, next - now);
    };
    arm();
  }

  /** The test hook {@link LoadOptions.blockLoop}: a busy wait, as a generator starved of CPU would see. */
  #armBlock(): void {
    const b = this.#options.blockLoop;
    if (b === undefined) return;
    const block = () => {
      const until = this.#clock.nowMs() + b.forMs;
      while (this.#clock.nowMs() < until) {
        // busy: the point is to hold the thread
      }
      this.#blockTimer = this.#clock.setTimeout(block, Math.max(0, b.everyMs - b.forMs));
    };
    // the first block mid-period: one that coincides with the once-a-bucket loop-delay read may be recorded
    // after that read and so in no bucket when it is the run's last
    this.#blockTimer = this.#clock.setTimeout(block, b.everyMs / 2);
  }

  #armProgress(): void {
    const every = this.#options.progressIntervalMs ?? 1000;
    const tick = () => {
      const now = this.#clock.nowMs();
      this.#recorder.seal(now);
      const p = this.#recorder.progress(now);
      this.#options.onProgress?.(p);
      this.#progressTimer = this.#clock.setTimeout(tick, every);
    };
    this.#progressTimer = this.#clock.setTimeout(tick, every);
  }

  #startOpen(): void {
    const schedule = createArrivalSchedule(this.#v.profile as ArrivalProfile);
    const recorder = this.#recorder;
    const maxInFlight = this.#v.maxInFlight;
    this.#scheduler = startOpenScheduler({
      clock: this.#clock,
      schedule,
      startMs: this.#startMs,
      onArrival: (i, intended) => {
        const t = recorder.bucketOfOffset(schedule.timeOf(i));
        if (recorder.inFlight() >= maxInFlight) {
          recorder.dropped(t);
          return;
        }
        const actual = this.#clock.nowMs();
        recorder.schedulingError((actual - intended) * 1000);
        recorder.sendLag(t, (actual - intended) * 1000);
        this.#send(i, t, intended, -1);
      },
    });
    this.#scheduler.done.then(
      () => this.#endSending(),
      () => this.#endSending(),
    );
  }

  #startClosed(): void {
    this.#endTimer = this.#clock.setTimeout(() => this.#endSending(), this.#v.durationMs);
    // Each connection keeps `pipelining` requests outstanding (as autocannon and wrk's pipelining do): one user
    // per slot, else a connection would never have a second request to put behind its first.
    const users = this.#v.connections * this.#v.pipelining;
    for (let u = 0; u < users; u++) this.#sendClosed(u, this.#clock.nowMs());
  }

  /** A closed-model user sends its next request; `now` is the clock read just before. */
  #sendClosed(user: number, now: number): void {
    if (!this.#sending || now >= this.#endMs) {
      this.#endSending();
      return;
    }
    this.#send(this.#index++, this.#recorder.bucketOf(now), now, user);
  }

  #send(i: number, bucket: number, fromMs: number, user: number): void {
    const req = this.#factory.build(i);
    this.#recorder.sent(bucket);
    let tag = this.#freeTags;
    if (tag === null) tag = { run: this, bucket, fromMs, user, next: null };
    else {
      this.#freeTags = tag.next;
      tag.bucket = bucket;
      tag.fromMs = fromMs;
      tag.user = user;
      tag.next = null;
    }
    this.#engine.send(req, tag);
  }

  /** @internal a request ended (see {@link completeTag}). */
  complete(tag: RequestTag, status: number, err: unknown): void {
    const now = this.#clock.nowMs();
    this.#lastCompletionMs = now;
    this.#recorder.receiveLag(tag.bucket, this.#turn.sinceTurnStart(now) * 1000);
    if (err === null) {
      const cls = this.#ok(status) ? 'ok' : statusClass(status);
      this.#recorder.completed(tag.bucket, cls, (now - tag.fromMs) * 1000);
    } else {
      const cls = classifyError(err);
      this.#recorder.completed(tag.bucket, cls, -1);
      this.#causes.record(cls, err);
    }
    const user = tag.user;
    tag.next = this.#freeTags;
    this.#freeTags = tag;
    if (user >= 0 && this.#sending) {
      const think = this.#v.thinkTimeMs;
      if (think > 0) {
        const timer = this.#clock.setTimeout(() => {
          this.#thinkTimers.delete(timer);
          this.#sendClosed(user, this.#clock.nowMs());
        }, think);
        this.#thinkTimers.add(timer);
      } else {
        // The completion's clock read doubles as the send time: the next request goes out right now.
        this.#sendClosed(user, now);
      }
    }
    this.#checkDrained();
  }
}

/**
 * What every engine calls when a request ends. One function for all runs, rather than a closure per run, keeps
 * the engines' call sites monomorphic when a process runs load more than once (a warm-up, an experiment's
 * phases), so the hot path is not deoptimised and re-optimised at the start of each run.
 */
function completeTag(tag: RequestTag, status: number, error: unknown): void {
  tag.run.complete(tag, status, error);
}

/**
 * Starts an HTTP load run and returns a handle to watch or stop it.
 * @throws InvalidOptionError for bad options (the message names the field).
 */
export function startLoad(options: LoadOptions): LoadRun {
  const thread = options.thread ?? 'main';
  if (thread !== 'auto' && thread !== 'main' && thread !== 'worker')
    throw new InvalidOptionError('thread', `must be auto, main or worker, got '${thread}'`);
  if (thread === 'main') return new HttpRun(options);
  const v = validate(options);
  const crossable =
    (options.clock === undefined || options.clock === systemClock) && options.ok === undefined;
  if (thread === 'worker' && !crossable)
    throw new InvalidOptionError(
      'thread',
      'worker needs the system clock, and okStatus rather than an ok function',
    );
  if (thread === 'auto' && !(crossable && v.model === 'open')) return new HttpRun(options);
  // Everything the worker would refuse is refused here, synchronously, as in the caller's thread.
  const factory = createRequestFactory(options);
  selectEngine(options.engine, new URL(factory.origin));
  return startLoadInWorker(options);
}

/** Runs HTTP load to the end and returns the result. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return startLoad(options).done;
}
