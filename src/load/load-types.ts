/**
 * What a load run is asked for and gives back: the options of `startLoad`/`runLoad`, the running handle and the
 * result. Apart from the generator so the worker-thread side can name them without importing the generator.
 */
import type { PhaseKpis } from '../kpi/phases.js';
import type { ArrivalProfile } from './arrivals.js';
import type { ErrorCause } from './causes.js';
import type { Clock } from './clock.js';
import type { EngineChoice, EngineName } from './engines/index.js';
import type { LagAssessment } from './lag.js';
import type { LoadProgress, SchedulingError } from './recorder.js';
import type { LoadSeries } from './samples.js';
import type { RequestFactoryOptions } from './template.js';

/** Options for {@link startLoad} / {@link runLoad}. */
export interface LoadOptions extends RequestFactoryOptions {
  /**
   * `open`: send on a schedule (`rate` or `profile`) whatever the responses do. `closed`: `connections` virtual
   * users, each sending its next request when the previous one completed. Default: `open` when `rate` or
   * `profile` is given, else `closed`.
   */
  model?: 'open' | 'closed';
  /** Open model: constant arrival rate in requests per second. */
  rate?: number;
  /** Open model: ramp linearly from 0 to `rate` over this many ms at the start (counted in `durationMs`). */
  rampMs?: number;
  /** Open model: a full piecewise-linear rate profile; overrides `rate`, `rampMs` and `durationMs`. */
  profile?: ArrivalProfile;
  /** How long to send, in milliseconds. */
  durationMs?: number;
  /**
   * Closed model: connections (default 10), each with `pipelining` virtual users. Open model: pool connections
   * (default 100).
   */
  connections?: number;
  /**
   * HTTP/1.1 requests in flight per connection (default 1: the next one is written once the previous response
   * is in). Only GET and HEAD go behind another request. The closed model runs `connections × pipelining`
   * virtual users, so every connection keeps this many outstanding; the open model sends on its schedule, up to
   * this many on a connection.
   */
  pipelining?: number;
  /**
   * The transport: `raw` (a lean HTTP/1.1 client on `node:net`, `http:` only), `undici` (an undici Pool,
   * `http:` and `https:`), or `auto` (default): raw for `http:`, undici for `https:`.
   */
  engine?: EngineChoice;
  /** Closed model: pause between a response and the user's next request (default 0). */
  thinkTimeMs?: number;
  /** Timeout for response headers and for body inactivity, each (default 10 000 ms). */
  timeoutMs?: number;
  /** Open model: arrivals beyond this many outstanding requests are dropped and counted (default 50 000). */
  maxInFlight?: number;
  /** Which statuses count as `ok` (default 200–399). */
  ok?: (status: number) => boolean;
  /**
   * Which statuses count as `ok`, as data: numbers are statuses, `'2xx'`-style strings whole classes (e.g.
   * `['2xx', 404]`). Ignored when `ok` is given. Unlike `ok`, it can go to a worker thread.
   */
  okStatus?: readonly (number | string)[];
  /**
   * Where the generator runs: `main` (default: the caller's thread), `worker` (its own worker thread, so the
   * caller's event loop — an experiment's monitors, a test's server — cannot delay its sends and receives, nor
   * it theirs), or `auto`: a worker for the open model when the run needs nothing that cannot cross threads (no
   * custom `clock`, no `ok` function), else main. `faultline load` and experiments use `auto`. `progress()` and
   * `series()` stay synchronous; a worker's run starts once it has loaded (see {@link LoadRun.started}).
   */
  thread?: 'auto' | 'main' | 'worker';
  /** Time source (default: the system clock). */
  clock?: Clock;
  /** Called about every `progressIntervalMs` (default 1000) with running totals. */
  onProgress?: (progress: LoadProgress) => void;
  progressIntervalMs?: number;
  /** Aborting stops sending; outstanding requests still complete and are recorded. */
  signal?: AbortSignal;
  /**
   * @internal For tests: blocks the generator's event loop for `forMs` once every `everyMs` (a busy wait), so
   * the lag it must report is known.
   */
  blockLoop?: { everyMs: number; forMs: number };
}

/** The generator's lag over a run (src/load/lag.ts), and the warning when it is a real share of the latency. */
export interface LoadLag extends LagAssessment {
  /** Present when the generator could not keep up: "the load generator could not keep up: …". */
  warning?: string;
}

/** What a run produced. */
export interface LoadResult {
  model: 'open' | 'closed' | 'command';
  /** HTTP runs: the engine that carried the requests. */
  engine?: EngineName;
  /** The per-second series (JSON-serialisable). */
  series: LoadSeries;
  /** KPIs over the whole run. */
  summary: PhaseKpis;
  /** Open model: actual − intended send time. */
  scheduling?: SchedulingError;
  /** What lies behind the transport failures (and a command's failed runs), most frequent first. */
  errorCauses: ErrorCause[];
  /** HTTP runs: the generator's own lag against the measured latencies (per second in `series`). */
  lag?: LoadLag;
  /** Milliseconds from the first send until the last completion. */
  elapsedMs: number;
  /** True when the run was stopped before its planned end. */
  stopped: boolean;
}

/** A run in progress. */
export interface LoadRun {
  /** Resolves when sending has ended and every outstanding request completed. */
  readonly done: Promise<LoadResult>;
  /**
   * Resolves when the run's clock has started: at once in the caller's thread, once a worker thread has loaded
   * its modules otherwise (it never rejects; `done` reports failures). Absent: started at once.
   */
  readonly started?: Promise<void>;
  /** Running totals (does not reset the progress window). */
  progress(): LoadProgress;
  /** A snapshot of the series so far. */
  series(): LoadSeries;
  /** Stops sending; `done` resolves once outstanding requests complete. */
  stop(): void;
}
