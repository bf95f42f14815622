/**
 * Time for toxics. Toxics never call `setTimeout` or `Date.now` themselves: they take a {@link Clock}, so unit
 * tests drive them with a {@link FakeClock} (no sleeping, no timing tolerances) and the proxy drives them with
 * {@link systemClock}.
 *
 * Why a clock of our own rather than Node's timers: Node's `setTimeout` fires on whole milliseconds of a cached
 * loop time, and the OS wakes a sleeping process late (on a small VM, 0.1–0.3 ms typically). `systemClock` arms
 * one Node timer that wakes the process before the earliest deadline and polls the last stretch, letting I/O run
 * in between, so a deadline is met within a few microseconds at the median; what remains at the tail is the OS
 * scheduler. Polling allocates little: each turn of the event loop waits up to {@link POLL_SLICE_MS} on the
 * spot, reading the clock about four times, before yielding — queueing a `setImmediate` every microsecond instead
 * caused a scavenge (0.3–0.5 ms) about every ten deadlines, and most releases more than 0.1 ms late coincided
 * with one. One heap serves every timer, so thousands of delayed chunks cost one Node timer.
 */
import { performance } from 'node:perf_hooks';

/** A pending timer; pass it to {@link Clock.clearTimeout}. */
export interface ClockTimer {
  /** @internal */ readonly id: number;
}

/** The time source and timer service a toxic uses. Times are milliseconds (fractional). */
export interface Clock {
  /** A monotonic time in milliseconds; only differences are meaningful. */
  now(): number;
  /** Calls `fn` once, `delayMs` after now (0 or less: as soon as possible, after the current call stack). */
  setTimeout(fn: () => void, delayMs: number): ClockTimer;
  /** Cancels a timer; cancelling a fired or cancelled timer does nothing. */
  clearTimeout(timer: ClockTimer | undefined | null): void;
}

interface Entry {
  id: number;
  due: number;
  seq: number;
  fn: () => void;
}

/** A binary min-heap of timer entries ordered by (due, seq), so equal deadlines fire in the order they were set. */
class TimerHeap {
  readonly #items: Entry[] = [];
  readonly #live = new Map<number, Entry>();

  get size(): number {
    return this.#live.size;
  }

  push(e: Entry): void {
    const items = this.#items;
    this.#live.set(e.id, e);
    items.push(e);
    let i = items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(items[i]!, items[p]!)) break;
      [items[i], items[p]] = [items[p]!, items[i]!];
      i = p;
    }
  }

  cancel(id: number): void {
    this.#live.delete(id);
  }

  /** The earliest live entry, discarding cancelled ones on the way. */
  peek(): Entry | undefined {
    while (this.#items.length > 0) {
      const top = this.#items[0]!;
      if (this.#live.get(top.id) === top) return top;
      this.#pop();
    }
    return undefined;
  }

  take(): Entry | undefined {
    const top = this.peek();
    if (top) {
      this.#pop();
      this.#live.delete(top.id);
    }
    return top;
  }

  #pop(): void {
    const items = this.#items;
    const last = items.pop()!;
    if (items.length === 0) return;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && before(items[l]!, items[m]!)) m = l;
      if (r < items.length && before(items[r]!, items[m]!)) m = r;
      if (m === i) break;
      [items[i], items[m]] = [items[m]!, items[i]!];
      i = m;
    }
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/** Within this of a deadline the clock polls instead of arming a Node timer. */
const SPIN_WINDOW_MS = 1;
/** How much earlier than the deadline the Node timer is asked to fire (the OS may wake the process late). */
const COARSE_MARGIN_MS = 0.5;
/**
 * While polling, each turn of the event loop waits on the spot for at most this long before letting I/O run:
 * the most a pending deadline delays other connections' bytes.
 */
const POLL_SLICE_MS = 0.1;
/** Atomic loads before the first clock read while waiting on the spot; later batches size themselves. */
const FIRST_PAUSE_LOADS = 64;
/** The fewest atomic loads between two clock reads. */
const MIN_PAUSE_LOADS = 16;
/** Closer than this to the end of a slice, one batch spins past it rather than reading the clock again. */
const FINAL_STRETCH_MS = 0.005;

/**
 * A precise clock on the real monotonic time (`performance.now()`). See the module comment for how it keeps
 * deadlines within tens of microseconds.
 */
export function createSystemClock(): Clock {
  const heap = new TimerHeap();
  let nextId = 1;
  let seq = 0;
  let coarse: NodeJS.Timeout | undefined;
  let coarseDue = Number.POSITIVE_INFINITY;
  let polling = false;
  // Something to load while waiting on the spot: an atomic load is never optimised away and allocates
  // nothing, where reading the clock in a tight loop allocates a heap number per read.
  const pause = new Int32Array(1);
  /** Milliseconds one atomic load takes while waiting on the spot (0 until measured). */
  let msPerLoad = 0;

  const now = () => performance.now();

  /** Runs every timer due at `t` (a fresh clock read), then arms for the next. */
  function runDue(t: number): void {
    let ran = false;
    for (;;) {
      const top = heap.peek();
      if (!top || top.due > t) break;
      heap.take();
      ran = true;
      try {
        top.fn();
      } catch (err) {
        // A toxic's timer callback must not take the whole proxy down; report it like an uncaught error would.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    arm(ran ? now() : t);
  }

  /**
   * Waits on the spot until the earliest deadline or for one slice, whichever is first. Each read of the clock
   * allocates (a heap number, an array inside `performance.now()`), and allocation is what brings on the
   * scavenges that make a release late, so it reads the clock about four times per slice, not every few
   * nanoseconds: between reads it spins seven eighths of the time left, counted in atomic loads at the
   * slowest rate measured lately (a batch that runs slower than that only ends sooner).
   */
  function waitSlice(): number {
    let t = now();
    const top = heap.peek();
    if (!top) return t;
    const until = Math.min(top.due, t + POLL_SLICE_MS);
    while (t < until) {
      const left = until - t;
      const loads =
        msPerLoad > 0
          ? Math.max(
              MIN_PAUSE_LOADS,
              Math.ceil((left < FINAL_STRETCH_MS ? left * 1.25 : left * 0.875) / msPerLoad),
            )
          : FIRST_PAUSE_LOADS;
      for (let i = 0; i < loads; i++) Atomics.load(pause, 0);
      const t2 = now();
      // Preemption inflates a measured rate, which only shortens later batches; decay lets it recover.
      msPerLoad = Math.max((t2 - t) / loads, msPerLoad * 0.9);
      t = t2;
    }
    return t;
  }

  function poll(): void {
    polling = false;
    runDue(waitSlice());
  }

  function onCoarse(): void {
    coarse = undefined;
    coarseDue = Number.POSITIVE_INFINITY;
    runDue(now());
  }

  /** Polls for, or arms a Node timer before, the earliest deadline; `t` is a fresh clock read. */
  function arm(t: number): void {
    const top = heap.peek();
    if (!top) {
      if (coarse) clearTimeout(coarse);
      coarse = undefined;
      coarseDue = Number.POSITIVE_INFINITY;
      return;
    }
    const wait = top.due - t;
    // Node fires a timer of k ms no sooner than about k - 1 ms (its loop time is cached) and usually k ms plus
    // the OS's wake-up delay later; asking for floor(wait - margin) ms wakes before the deadline, and the
    // rest is polled. A timer of 0 ms is a 1 ms timer in Node, which could overshoot: poll instead.
    const k = Math.floor(wait - COARSE_MARGIN_MS);
    if (wait <= SPIN_WINDOW_MS || k < 1) {
      if (coarse) clearTimeout(coarse);
      coarse = undefined;
      coarseDue = Number.POSITIVE_INFINITY;
      if (!polling) {
        polling = true;
        setImmediate(poll);
      }
      return;
    }
    const wakeAt = t + k;
    if (coarse && coarseDue <= wakeAt) return;
    if (coarse) clearTimeout(coarse);
    coarseDue = wakeAt;
    coarse = setTimeout(onCoarse, k);
  }

  return {
    now,
    setTimeout(fn, delayMs) {
      const id = nextId++;
      const t = now();
      heap.push({ id, due: t + Math.max(0, delayMs), seq: seq++, fn });
      arm(t);
      return { id };
    },
    clearTimeout(timer) {
      if (timer) heap.cancel(timer.id);
    },
  };
}

/** The process-wide precise clock the proxy uses unless given another. */
export const systemClock: Clock = createSystemClock();

/** A clock that moves only when told to: `advance(ms)` fires every timer due by then, in deadline order. */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in order (timers they set that fall due also fire). */
  advance(ms: number): void;
  /** Fires timers until none is left (at most `limit` of them, to stop runaway loops). */
  runAll(limit?: number): void;
  /** How many timers are pending. */
  pending(): number;
}

/** A {@link FakeClock} starting at `start` ms. */
export function createFakeClock(start = 0): FakeClock {
  const heap = new TimerHeap();
  let t = start;
  let nextId = 1;
  let seq = 0;
  const clock: FakeClock = {
    now: () => t,
    setTimeout(fn, delayMs) {
      const id = nextId++;
      heap.push({ id, due: t + Math.max(0, delayMs), seq: seq++, fn });
      return { id };
    },
    clearTimeout(timer) {
      if (timer) heap.cancel(timer.id);
    },
    advance(ms) {
      const target = t + ms;
      for (;;) {
        const top = heap.peek();
        if (!top || top.due > target) break;
        heap.take();
        t = Math.max(t, top.due);
        top.fn();
      }
      t = target;
    },
    runAll(limit = 100_000) {
      for (let i = 0; i < limit; i++) {
        const top = heap.take();
        if (!top) return;
        t = Math.max(t, top.due);
        top.fn();
      }
      throw new Error(`FakeClock.runAll: more than ${limit} timers fired; a toxic keeps re-arming`);
    },
    pending: () => heap.size,
  };
  return clock;
}
