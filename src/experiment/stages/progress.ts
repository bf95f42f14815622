/**
 * The live view of a run, about once a second: the phase, how far along it is, the faults applied now and the
 * load's throughput and error rate over the last interval (all runners together).
 */
import type { LoadRun } from '../../load/http-runner.js';
import type { FaultExecutor } from '../executor.js';
import type { RunProgress } from '../run-types.js';
import type { RunContext } from './context.js';

/** Reports progress; each report covers the time since the previous one (or since the meter was made). */
export interface ProgressMeter {
  /** `method`: where the method started (monotonic ms) and what applies its faults; absent before it. */
  report(method?: { startMs: number; executor: FaultExecutor }): void;
}

/** A meter over `loads`, for a run that started at `runStartMs` (monotonic) with a method of `durationMs`. */
export function progressMeter(
  ctx: RunContext,
  o: {
    loads: ReadonlyMap<string, LoadRun>;
    runStartMs: number;
    durationMs: number;
    onProgress: ((progress: RunProgress) => void) | undefined;
  },
): ProgressMeter {
  const last = { t: ctx.clock.nowMs(), completed: 0, errors: 0 };
  return {
    report(method) {
      let completed = 0;
      let errors = 0;
      for (const run of o.loads.values()) {
        const p = run.progress();
        completed += p.completed;
        errors += p.errors;
      }
      const now = ctx.clock.nowMs();
      const dt = (now - last.t) / 1000;
      const done = completed - last.completed;
      const failed = errors - last.errors;
      const view: RunProgress = {
        phase: ctx.phase(),
        elapsedMs: now - o.runStartMs,
        methodMs: method === undefined ? 0 : Math.min(now - method.startMs, o.durationMs),
        durationMs: o.durationMs,
        activeFaults: (method?.executor.active() ?? []).map((r) => `${r.fault} on ${r.instance}`),
        throughput: dt > 0 ? done / dt : 0,
        errorRate: done > 0 ? failed / done : 0,
      };
      last.t = now;
      last.completed = completed;
      last.errors = errors;
      o.onProgress?.(view);
    },
  };
}
