/**
 * The `command` runner: an external program as the load — a benchmark scenario, a test suite, a curl loop —
 * run once or repeatedly by N workers for a duration. Each run counts like a request: exit status 0 is `ok`,
 * another exit status or a signal is `other` (the status is kept in the bucket's `exits`), a run killed at
 * `timeoutMs` is `timeout`; its duration is the latency. The result is the same {@link LoadSeries} the HTTP
 * runner records, so KPIs and time to recover work unchanged.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { InvalidOptionError } from '../core/errors.js';
import { windowKpis } from '../kpi/phases.js';
import { ErrorCauses } from './causes.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import type { LoadResult, LoadRun } from './http-runner.js';
import { type LoadProgress, SeriesRecorder } from './recorder.js';
import type { LoadSeries } from './samples.js';

/** Options for {@link startCommandLoad} / {@link runCommandLoad}. */
export interface CommandLoadOptions {
  /** The program, or a shell command line when `args` is not given. */
  command: string;
  /** Arguments: when given, `command` is executed directly (no shell). */
  args?: string[];
  /** `once`: one run per worker. `repeat`: workers start a new run when one ends, until `durationMs`. */
  mode?: 'once' | 'repeat';
  /** Repeat mode: how long to keep starting runs (default 10 000 ms). */
  durationMs?: number;
  /** Runs at a time (default 1). */
  concurrency?: number;
  /** Kill a run (SIGKILL) after this many ms and count it as `timeout` (default: no limit). */
  timeoutMs?: number;
  /** Pause between a run's end and the worker's next run (default 0). */
  thinkTimeMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The runs' stdout/stderr: discarded (default) or passed through. */
  output?: 'ignore' | 'inherit';
  clock?: Clock;
  onProgress?: (progress: LoadProgress) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
}

function validate(o: CommandLoadOptions) {
  if (typeof o.command !== 'string' || o.command.trim() === '') {
    throw new InvalidOptionError('command', 'must be a non-empty string');
  }
  const mode = o.mode ?? 'repeat';
  if (mode !== 'once' && mode !== 'repeat')
    throw new InvalidOptionError('mode', `must be once or repeat, got ${mode}`);
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidOptionError('concurrency', `must be a positive integer, got ${concurrency}`);
  }
  for (const f of ['durationMs', 'timeoutMs', 'thinkTimeMs'] as const) {
    const v = o[f];
    if (v !== undefined && (!Number.isFinite(v) || v < 0))
      throw new InvalidOptionError(f, `must be ≥ 0, got ${v}`);
  }
  return { mode, concurrency, durationMs: o.durationMs ?? 10_000 };
}

class CommandRun implements LoadRun {
  readonly done: Promise<LoadResult>;
  readonly #o: CommandLoadOptions;
  readonly #clock: Clock;
  readonly #recorder: SeriesRecorder;
  readonly #causes = new ErrorCauses();
  readonly #mode: 'once' | 'repeat';
  readonly #concurrency: number;
  readonly #endMs: number;
  readonly #startMs: number;
  #sending = true;
  #stopped = false;
  #children = new Set<ChildProcess>();
  #timers = new Set<TimerHandle>();
  #progressTimer: TimerHandle | undefined;
  #resolveDrained: (() => void) | undefined;
  #lastCompletionMs: number;

  constructor(options: CommandLoadOptions) {
    const v = validate(options);
    this.#o = options;
    this.#mode = v.mode;
    this.#concurrency = v.concurrency;
    this.#clock = options.clock ?? systemClock;
    this.#startMs = this.#clock.nowMs();
    this.#lastCompletionMs = this.#startMs;
    this.#endMs = this.#startMs + v.durationMs;
    const target = options.args ? [options.command, ...options.args].join(' ') : options.command;
    this.#recorder = new SeriesRecorder({
      startMs: this.#startMs,
      epochStartMs: this.#clock.epochMs(),
      model: 'command',
      target,
    });
    this.done = this.#run();
  }

  progress(): LoadProgress {
    return this.#recorder.progressPeek(this.#clock.nowMs());
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
    this.#sending = false;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    if (this.#recorder.inFlight() === 0) this.#resolveDrained?.();
  }

  async #run(): Promise<LoadResult> {
    const drained = new Promise<void>((resolve) => {
      this.#resolveDrained = resolve;
    });
    const onAbort = () => this.stop();
    const signal = this.#o.signal;
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) this.stop();
    const every = this.#o.progressIntervalMs ?? 1000;
    const tick = () => {
      const now = this.#clock.nowMs();
      this.#recorder.seal(now);
      this.#o.onProgress?.(this.#recorder.progress(now));
      this.#progressTimer = this.#clock.setTimeout(tick, every);
    };
    this.#progressTimer = this.#clock.setTimeout(tick, every);
    if (this.#sending) {
      for (let w = 0; w < this.#concurrency; w++) this.#launch();
      if (this.#mode === 'repeat') {
        const t = this.#clock.setTimeout(() => this.#endSending(), this.#endMs - this.#startMs);
        this.#timers.add(t);
      }
    }
    try {
      await drained;
    } finally {
      if (this.#progressTimer !== undefined) this.#clock.clearTimeout(this.#progressTimer);
      signal?.removeEventListener('abort', onAbort);
    }
    const series = this.#recorder.series();
    return {
      model: 'command',
      series,
      summary: windowKpis(series),
      elapsedMs: this.#lastCompletionMs - this.#startMs,
      stopped: this.#stopped,
      errorCauses: this.#causes.list(),
    };
  }

  #launch(): void {
    const started = this.#clock.nowMs();
    const bucket = this.#recorder.bucketOf(started);
    this.#recorder.sent(bucket);
    const o = this.#o;
    const child = o.args
      ? spawn(o.command, o.args, { cwd: o.cwd, env: o.env, stdio: o.output ?? 'ignore' })
      : spawn(o.command, { cwd: o.cwd, env: o.env, stdio: o.output ?? 'ignore', shell: true });
    this.#children.add(child);
    let timedOut = false;
    let killTimer: TimerHandle | undefined;
    if (o.timeoutMs !== undefined) {
      killTimer = this.#clock.setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, o.timeoutMs);
    }
    let finished = false;
    const finish = (code: number | null, sig: NodeJS.Signals | null, err?: Error) => {
      if (finished) return;
      finished = true;
      if (killTimer !== undefined) this.#clock.clearTimeout(killTimer);
      this.#children.delete(child);
      const now = this.#clock.nowMs();
      this.#lastCompletionMs = now;
      if (err) {
        this.#recorder.completed(bucket, 'other', -1, 'spawn-error');
        this.#causes.record('other', err);
      } else if (timedOut) {
        this.#recorder.completed(bucket, 'timeout', -1, sig ?? String(code));
        this.#causes.recordCause('timeout', 'killed at the timeout');
      } else {
        const exit = sig ?? String(code);
        this.#recorder.completed(bucket, code === 0 ? 'ok' : 'other', (now - started) * 1000, exit);
        if (code !== 0) this.#causes.recordCause('other', sig ? `killed by ${sig}` : `exit ${code}`);
      }
      this.#next();
    };
    child.once('error', (err) => finish(null, null, err));
    child.once('close', (code, sig) => finish(code, sig));
  }

  #next(): void {
    if (this.#mode === 'repeat' && this.#sending && this.#clock.nowMs() < this.#endMs) {
      const think = this.#o.thinkTimeMs ?? 0;
      if (think > 0) {
        const t = this.#clock.setTimeout(() => {
          this.#timers.delete(t);
          if (this.#sending) this.#launch();
        }, think);
        this.#timers.add(t);
      } else {
        this.#launch();
      }
      return;
    }
    // Once mode, or the duration is over: the run ends when the last outstanding command does.
    if (this.#recorder.inFlight() === 0) this.#endSending();
  }
}

/**
 * Starts running a command as load and returns a handle to watch or stop it.
 * @throws InvalidOptionError for bad options.
 */
export function startCommandLoad(options: CommandLoadOptions): LoadRun {
  return new CommandRun(options);
}

/** Runs a command as load to the end and returns the result. */
export function runCommandLoad(options: CommandLoadOptions): Promise<LoadResult> {
  return startCommandLoad(options).done;
}
