/**
 * Stage 2, warm-up: the load starts (and runs on until rollback), then the run waits until its latency has
 * settled within the warm-up's bounds (src/experiment/warmup.ts), so `before` is a baseline worth comparing with.
 */
import type { LoadRun } from '../../load/http-runner.js';
import { startRunner } from '../../plugins/runners/start.js';
import { runnerName } from '../check.js';
import { ms } from '../duration.js';
import { combineSeries } from '../hypothesis.js';
import type { ExperimentSpec } from '../schema.js';
import { type WarmupBounds, type WarmupResult, warmUp, warmupBounds } from '../warmup.js';
import type { RunContext } from './context.js';

/**
 * Enters `warmup` and starts every load runner into `loads` (so rollback stops them whatever happens next).
 * Each runs long enough for the longest warm-up, steady state before and the method, plus a minute to spare.
 */
export function startLoad(
  ctx: RunContext,
  o: {
    spec: ExperimentSpec;
    load: ExperimentSpec['load'];
    steady: ExperimentSpec['steady_state'];
    durationMs: number;
    seed: number;
    loads: Map<string, LoadRun>;
  },
): WarmupBounds {
  ctx.enter('warmup');
  const bounds = warmupBounds(o.spec.warmup);
  const steadyMs = o.steady ? ms(o.steady.within, 'within') : 0;
  const bound = bounds.maxMs + steadyMs + o.durationMs + 60_000;
  o.load.forEach((r, i) => {
    o.loads.set(runnerName(r, i), startRunner(r, { durationMs: bound, seed: o.seed, clock: ctx.clock }));
  });
  return bounds;
}

/** Waits for the load to settle (or `signal`); tells how it went unless stopped. */
export async function settleLoad(
  ctx: RunContext,
  o: {
    bounds: WarmupBounds;
    loads: ReadonlyMap<string, LoadRun>;
    signal: AbortSignal;
    tickMs: number;
    onTick: () => void;
  },
): Promise<WarmupResult> {
  // a runner in its own thread starts once it has loaded: warm-up counts from the load, not from before it
  await Promise.all([...o.loads.values()].map((r) => r.started));
  const warmup = await warmUp({
    bounds: o.bounds,
    series: () => combineSeries([...o.loads.values()].map((r) => r.series())),
    clock: ctx.clock,
    signal: o.signal,
    tickMs: o.tickMs,
    onTick: o.onTick,
  });
  if (!o.signal.aborted)
    ctx.emit(
      'warmup',
      `${(warmup.tookMs / 1000).toFixed(1)} s, ${warmup.settled ? 'settled' : 'not settled'}: ${warmup.reason}`,
    );
  return warmup;
}
