/**
 * The sampling loop: each monitor is sampled every interval on an injected clock, one sample at a time (a slow
 * sample delays the next one instead of overlapping it), and a sample slower than its timeout is recorded as
 * down at the timeout — the monitor is still asked to stop, and the next sample waits until it has.
 */
import { InvalidOptionError } from '../core/errors.js';
// One clock for the whole engine: the load generator's (monotonic time, an epoch anchor, timers).
import { type Clock, sleepOn, systemClock } from '../load/clock.js';
import type { Monitor, MonitorSample, SampleResult } from './types.js';

/** One monitor to sample, with its own interval and timeout. */
export interface MonitorEntry {
  monitor: Monitor;
  /** Overrides the loop's interval for this monitor. */
  intervalMs?: number;
  /** A sample slower than this is down (default: the interval). */
  timeoutMs?: number;
}

/** Options of {@link startMonitors}. */
export interface StartMonitorsOptions {
  clock?: Clock;
  /** Default interval between sample starts, in ms (default 1000). */
  intervalMs?: number;
  /** Called with every sample, in order per monitor. An exception here is not caught for the caller. */
  onSample: (name: string, sample: MonitorSample) => void;
  /** Stops the loops; an in-flight sample is aborted and not reported. */
  signal: AbortSignal;
}

/** Running loops. */
export interface RunningMonitors {
  /** Resolves once every loop has stopped and no sample is in flight. */
  readonly done: Promise<void>;
}

function positive(v: number, field: string): number {
  if (!Number.isFinite(v) || v <= 0)
    throw new InvalidOptionError(field, `must be a positive number, got ${v}`);
  return v;
}

/** Samples every monitor until `signal` aborts. */
export function startMonitors(
  monitors: Readonly<Record<string, MonitorEntry>>,
  options: StartMonitorsOptions,
): RunningMonitors {
  const clock = options.clock ?? systemClock;
  const defaultInterval = positive(options.intervalMs ?? 1000, 'intervalMs');
  const loops = Object.entries(monitors).map(([name, entry]) => {
    const interval = positive(entry.intervalMs ?? defaultInterval, `${name}.intervalMs`);
    const timeout = positive(entry.timeoutMs ?? interval, `${name}.timeoutMs`);
    return loop(name, entry.monitor, interval, timeout, clock, options);
  });
  return { done: Promise.all(loops).then(() => undefined) };
}

async function loop(
  name: string,
  monitor: Monitor,
  intervalMs: number,
  timeoutMs: number,
  clock: Clock,
  options: StartMonitorsOptions,
): Promise<void> {
  const { signal } = options;
  while (!signal.aborted) {
    const start = clock.epochMs();
    const { sample, settled } = await sampleOnce(monitor, timeoutMs, clock, signal);
    if (sample !== undefined && !signal.aborted) options.onSample(name, sample);
    await settled;
    if (signal.aborted) break;
    await sleepOn(clock, start + intervalMs - clock.epochMs(), signal);
  }
}

/** A sample and the moment its monitor has let go of it. */
export interface TimedSample {
  /** `undefined` when `stop` aborted the sample. */
  sample: MonitorSample | undefined;
  /** Settles when the monitor's own promise has; the next sample of the same monitor waits for it. */
  settled: Promise<void>;
}

/**
 * One sample with a timeout, dated when its answer came. A sample still running at the timeout is reported down
 * at once (dated and timed at the timeout) and aborted; `settled` tells when the monitor has actually finished, so samples never overlap.
 */
export async function sampleOnce(
  monitor: Monitor,
  timeoutMs: number,
  clock: Clock,
  stop: AbortSignal,
): Promise<TimedSample> {
  const startMs = clock.epochMs();
  const controller = new AbortController();
  const onStop = () => controller.abort(new Error('monitors stopped'));
  stop.addEventListener('abort', onStop, { once: true });
  const running = (async (): Promise<SampleResult> => {
    try {
      return await monitor.sample({ signal: controller.signal, timeoutMs });
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  })();
  let timer: unknown;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = clock.setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const first = await Promise.race([running, timedOut]);
  clock.clearTimeout(timer);
  const settled = running.then(() => stop.removeEventListener('abort', onStop));
  // a sample is dated when its answer came (or the timeout did): that is when the state it reports was seen,
  // so a condition held `for: 5s` counts from an observation, not from a question still in flight
  const tMs = clock.epochMs();
  if (first === 'timeout') {
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    if (stop.aborted) return { sample: undefined, settled };
    return {
      sample: { tMs, ok: false, latencyMs: tMs - startMs, error: `timed out after ${timeoutMs} ms` },
      settled,
    };
  }
  if (stop.aborted) return { sample: undefined, settled };
  return { sample: { ...first, tMs, latencyMs: first.latencyMs ?? tMs - startMs }, settled };
}
