/**
 * Shrinking a failing fault schedule: delta debugging (ddmin) to drop large groups of faults quickly, then
 * one-by-one removal until no single fault can go, then smaller delays. The predicate replays the scenario with
 * a candidate schedule and says whether it still fails. Pure over that predicate: no I/O of its own.
 */
import type { TraceEntry } from '../core/trace.js';

export interface ShrinkOptions {
  /** Stop after this many predicate calls (replays). */
  maxRuns: number;
  onStep?: (replays: number, faults: number) => void;
}

export interface ShrinkResult {
  entries: readonly TraceEntry[];
  replays: number;
}

/** Shrinks `entries` (which fail) to a 1-minimal list that still fails, within the replay budget. */
export async function shrinkSchedule(
  entries: readonly TraceEntry[],
  fails: (candidate: readonly TraceEntry[]) => Promise<boolean>,
  options: ShrinkOptions,
): Promise<ShrinkResult> {
  let replays = 0;
  const test = async (candidate: readonly TraceEntry[]) => {
    if (replays >= options.maxRuns) return false;
    replays += 1;
    const result = await fails(candidate);
    options.onStep?.(replays, candidate.length);
    return result;
  };

  // A failure that needs no fault at all is a plain bug: say so with an empty schedule.
  if (entries.length > 0 && (await test([]))) return { entries: [], replays };

  // ddmin: try each chunk alone, then each complement, with finer chunks when neither fails.
  let current = [...entries];
  let n = 2;
  while (current.length >= 2 && replays < options.maxRuns) {
    const size = Math.ceil(current.length / n);
    const chunks = Array.from({ length: Math.ceil(current.length / size) }, (_, i) =>
      current.slice(i * size, (i + 1) * size),
    );
    let reduced = false;
    for (const chunk of chunks) {
      if (chunk.length < current.length && (await test(chunk))) {
        current = chunk;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && chunks.length > 2) {
      for (let i = 0; i < chunks.length; i++) {
        const complement = chunks.flatMap((c, j) => (j === i ? [] : c));
        if (await test(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, n * 2);
    }
  }

  // One by one, until no single fault can be removed. A removed fault often removes a call too (the retry it
  // caused), which shifts every later call at its site by one: so each removal is also tried with that shift.
  for (let changed = true; changed && replays < options.maxRuns; ) {
    changed = false;
    for (let i = 0; i < current.length && !changed; i++) {
      for (const candidate of [without(current, i, false), without(current, i, true)]) {
        if (candidate && (await test(candidate))) {
          current = candidate;
          changed = true;
          break;
        }
      }
    }
  }

  // Smaller delays: halve each recorded delay while the failure still happens.
  for (let i = 0; i < current.length; i++) {
    let ms = current[i]!.detail.ms;
    while (typeof ms === 'number' && ms >= 2 && replays < options.maxRuns) {
      const half = Math.floor(ms / 2);
      const candidate = current.map((e, j) => (j === i ? { ...e, detail: { ...e.detail, ms: half } } : e));
      if (!(await test(candidate))) break;
      current = candidate;
      ms = half;
    }
  }
  return { entries: current, replays };
}

/** `entries` without entry `i`; with `shift`, later entries at its site move one call earlier (null if none do). */
function without(entries: readonly TraceEntry[], i: number, shift: boolean): TraceEntry[] | null {
  const removed = entries[i]!;
  let moved = false;
  const out = entries.flatMap((e, j) => {
    if (j === i) return [];
    if (shift && e.site === removed.site && e.index > removed.index) {
      moved = true;
      return [{ ...e, index: e.index - 1 }];
    }
    return [e];
  });
  return shift && !moved ? null : out;
}
