/**
 * The load generator's only contact with time. The open-model scheduler and the closed-model loop read the
 * clock and arm timers through this interface, so their logic can run against {@link createFakeClock} in unit
 * tests (exact intended send times, no waiting) and against {@link systemClock} for real runs.
 */

/** A timer handle returned by {@link Clock.setTimeout}; opaque to callers. */
export type TimerHandle = unknown;

/** Monotonic time, a wall-clock anchor and timers. */
export interface Clock {
  /** Monotonic milliseconds (fractional, microsecond resolution or better). Only differences are meaningful. */
  nowMs(): number;
  /** Monotonic nanoseconds, for callers that want integer resolution. */
  nowNs(): bigint;
  /** Wall-clock milliseconds since the epoch; read once per run to anchor the recorded series. */
  epochMs(): number;
  /**
   * Calls `fn` after `ms` milliseconds (fractional allowed). Implementations may fire early by less than a
   * millisecond; callers re-check {@link Clock.nowMs} and re-arm.
   */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer armed by {@link Clock.setTimeout}; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: `performance.now()` for time, Node's timers for waiting. Timers have millisecond granularity
 * and may fire up to a millisecond early; the scheduler re-checks and re-arms. Nothing waits on `setImmediate`:
 * waiting out the last fraction of a millisecond that way is a busy wait, and from a few thousand arrivals per
 * second on (gaps under a quarter millisecond) it never slept, burning a core the system under test and the
 * generator's own receive side needed. A timer is at most about a millisecond late, and the open model charges
 * that lateness to the measured latency (and reports it as send lag), so precision is traded openly.
 */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  nowNs: () => process.hrtime.bigint(),
  epochMs: () => Date.now(),
  setTimeout(fn, ms) {
    return setTimeout(fn, Math.max(1, Math.round(ms)));
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout | undefined);
  },
};

/** A clock whose time moves only when {@link FakeClock.advance} is called. */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due, in due order, at its exact due time. */
  advance(ms: number): void;
  /** Runs timers until none are left or `limitMs` of fake time has passed; returns the time reached. */
  runAll(limitMs?: number): number;
  /** How many timers are armed. */
  pending(): number;
}

/** A deterministic clock for tests: starts at `startMs` (monotonic) with epoch anchor `epochMs`. */
export function createFakeClock(startMs = 0, epochMs = 0): FakeClock {
  let now = startMs;
  let seq = 0;
  const timers = new Map<number, { due: number; seq: number; fn: () => void }>();

  function nextDue(): { id: number; due: number; fn: () => void } | undefined {
    let best: { id: number; due: number; seq: number; fn: () => void } | undefined;
    for (const [id, t] of timers) {
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = { id, ...t };
    }
    return best;
  }

  const clock: FakeClock = {
    nowMs: () => now,
    nowNs: () => BigInt(Math.round(now * 1e6)),
    epochMs: () => epochMs + (now - startMs),
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { due: now + Math.max(0, ms), seq: id, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        const t = nextDue();
        if (!t || t.due > target) break;
        timers.delete(t.id);
        now = Math.max(now, t.due);
        t.fn();
      }
      now = target;
    },
    runAll(limitMs = 3_600_000) {
      const limit = now + limitMs;
      for (;;) {
        const t = nextDue();
        if (!t || t.due > limit) break;
        timers.delete(t.id);
        now = Math.max(now, t.due);
        t.fn();
      }
      return now;
    },
    pending: () => timers.size,
  };
  return clock;
}

/** Waits `delayMs` on `clock`, or less when `signal` aborts first (resolves either way, never rejects). */
export function sleepOn(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (delayMs <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((r) => {
    const done = () => {
      clock.clearTimeout(t);
      signal?.removeEventListener('abort', done);
      r();
    };
    const t = clock.setTimeout(done, delayMs);
    signal?.addEventListener('abort', done, { once: true });
  });
}
