/**
 * The clock the sampler reads and sets timers on. Injected so the sampling loop is a unit under a fake clock,
 * and so sample times share the experiment's time base.
 */

/** An opaque timer handle. */
export type TimerHandle = unknown;

/** Time and timers. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `Date.now` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
