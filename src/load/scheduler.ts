/**
 * The open-model scheduler: fires request i at its intended time from an {@link ArrivalSchedule}, whatever
 * the responses are doing. It never waits for a response before sending the next request, which is what keeps
 * a stalled server from slowing the generator down and hiding the stall (coordinated omission). When the event
 * loop falls behind, every overdue arrival is fired at once and keeps its intended time, so the lateness is
 * charged to the measured latency rather than silently dropped.
 */
import type { ArrivalSchedule } from './arrivals.js';
import type { Clock, TimerHandle } from './clock.js';

/** What the open scheduler calls for each arrival. */
export type ArrivalHandler = (index: number, intendedMs: number, actualMs: number) => void;

/** A running open-model schedule. */
export interface OpenScheduler {
  /** Resolves once every arrival has been fired or the scheduler was stopped. */
  readonly done: Promise<void>;
  /** Arrivals fired so far. */
  fired(): number;
  /** Stops firing further arrivals; `done` resolves. */
  stop(): void;
}

/** Options for {@link startOpenScheduler}. */
export interface OpenSchedulerOptions {
  clock: Clock;
  schedule: ArrivalSchedule;
  /** Monotonic start time (clock milliseconds); defaults to `clock.nowMs()` at the call. */
  startMs?: number;
  onArrival: ArrivalHandler;
}

/** Starts firing arrivals; the first at `startMs + schedule.timeOf(0)`. */
export function startOpenScheduler(options: OpenSchedulerOptions): OpenScheduler {
  const { clock, schedule, onArrival } = options;
  const t0 = options.startMs ?? clock.nowMs();
  let next = 0;
  let timer: TimerHandle | undefined;
  let stopped = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  function finish(): void {
    stopped = true;
    timer = undefined;
    resolveDone();
  }

  function tick(): void {
    timer = undefined;
    if (stopped) return;
    const now = clock.nowMs();
    while (next < schedule.count) {
      const intended = t0 + schedule.timeOf(next);
      if (intended > now) break;
      onArrival(next, intended, now);
      next += 1;
      if (stopped) return;
    }
    if (next >= schedule.count) {
      finish();
      return;
    }
    timer = clock.setTimeout(tick, t0 + schedule.timeOf(next) - now);
  }

  if (schedule.count === 0) finish();
  else timer = clock.setTimeout(tick, Math.max(0, t0 + schedule.timeOf(0) - clock.nowMs()));

  return {
    done,
    fired: () => next,
    stop() {
      if (stopped) return;
      if (timer !== undefined) clock.clearTimeout(timer);
      finish();
    },
  };
}
