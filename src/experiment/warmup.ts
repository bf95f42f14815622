/**
 * Warm-up that lasts until the system's latency has settled, within bounds. A fixed warm-up is either too short
 * for a system still compiling, filling caches or opening connections — its slow first seconds then land in the
 * `before` phase and every later comparison is against a baseline that was not steady — or needlessly long for
 * one that is ready at once.
 *
 * `warmup: 3s` is the minimum; `warmup: { min, max, settle }` sets the bounds and the rule. Settled means: the
 * last `window` whole seconds of load (all runners together) each had answered requests, and their per-second
 * p50s, and their per-second p99s, are within `tolerance` of each other (or within `slack`, since at a few
 * milliseconds scheduling noise alone is tens of percent). The newest whole second is left out: requests sent
 * in it may still be in flight, and without its slowest requests it would look faster than it was.
 *
 * {@link settleState} is pure (a series and a time in, a judgement out); {@link warmUp} is the wait around it.
 */
import { z } from 'zod';
import { type Clock, sleepOn, systemClock } from '../load/clock.js';
import type { LoadSeries } from '../load/samples.js';
import { durationSchema, fraction, fractionSchema, ms, positiveDurationSchema } from './duration.js';

/** The longest warm-up when the file gives only a minimum. */
export const DEFAULT_WARMUP_MAX_MS = 30_000;

const settleSchema = z
  .strictObject({
    window: positiveDurationSchema.default('3s').describe('How many whole seconds must agree (default 3s).'),
    tolerance: fractionSchema
      .default('50%')
      .describe('How far apart their p50s, and their p99s, may be (default 50%).'),
    slack: durationSchema
      .default('10ms')
      .describe('Differences up to this count as settled whatever the tolerance (default 10ms).'),
  })
  .describe('When the latency counts as settled.');

/** `warmup:` in the experiment file: a minimum, or bounds and a settle rule. */
export const warmupSchema = z
  .union([
    durationSchema,
    z.strictObject({
      min: durationSchema.default('0s').describe('Warm up at least this long (default 0s).'),
      max: durationSchema
        .optional()
        .describe('…and at most this long, settled or not (default: the larger of min and 30s).'),
      settle: settleSchema.prefault({}),
    }),
  ])
  .describe(
    'Load runs at least this long before the method, and on until its latency settles (at most 30s); or { min, max, settle }.',
  );

/** `warmup:` as validated. */
export type WarmupSpec = z.output<typeof warmupSchema>;

/** When per-second latencies count as settled. */
export interface SettleRule {
  /** Whole buckets that must agree. */
  windowMs: number;
  /** Largest spread as a fraction of the smallest value. */
  tolerance: number;
  /** A spread up to this (ms) is settled whatever the tolerance. */
  slackMs: number;
}

/** The warm-up's bounds and rule, in milliseconds. */
export interface WarmupBounds {
  minMs: number;
  maxMs: number;
  rule: SettleRule;
}

/** Bounds of a validated `warmup:`. `0s` (the default) means no warm-up at all. */
export function warmupBounds(w: WarmupSpec): WarmupBounds {
  const plain = typeof w === 'number' || typeof w === 'string';
  const minMs = ms(plain ? w : w.min, 'warmup');
  const settle = plain ? { window: '3s', tolerance: '50%', slack: '10ms' } : w.settle;
  const rule = {
    windowMs: ms(settle.window, 'warmup.settle.window'),
    tolerance: fraction(settle.tolerance),
    slackMs: ms(settle.slack, 'warmup.settle.slack'),
  };
  // a plain `0s` asks for no warm-up; an object asks for settling even from 0
  const maxMs =
    !plain && w.max !== undefined
      ? Math.max(minMs, ms(w.max, 'warmup.max'))
      : plain && minMs === 0
        ? 0
        : Math.max(minMs, DEFAULT_WARMUP_MAX_MS);
  return { minMs, maxMs, rule };
}

/** Whether the load has settled, and why (not). */
export interface SettleState {
  settled: boolean;
  reason: string;
}

function spread(values: number[]): { lo: number; hi: number } {
  return { lo: Math.min(...values), hi: Math.max(...values) };
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** Judges `series` at `nowMs` (epoch ms, the series' time base); no series means no load, nothing to settle. */
export function settleState(series: LoadSeries | undefined, nowMs: number, rule: SettleRule): SettleState {
  if (series === undefined) return { settled: true, reason: 'no load to settle' };
  const n = Math.max(1, Math.ceil(rule.windowMs / series.bucketMs));
  const ripe = series.buckets.filter((b) => series.startMs + (b.t + 2) * series.bucketMs <= nowMs);
  const last = ripe.slice(-n);
  if (last.length < n) return { settled: false, reason: `${last.length} of ${n} whole seconds measured` };
  if (last.some((b) => b.latency.count === 0))
    return { settled: false, reason: `a second of the last ${n} had no answered request` };
  for (const [label, key] of [
    ['p50', 'p50Ms'],
    ['p99', 'p99Ms'],
  ] as const) {
    const values = last.map((b) => b.latency[key]);
    const { lo, hi } = spread(values);
    if (hi - lo > Math.max(rule.tolerance * lo, rule.slackMs))
      return {
        settled: false,
        reason: `${label} per second still moving: ${values.map(fmt).join(', ')} ms`,
      };
  }
  const p99 = spread(last.map((b) => b.latency.p99Ms));
  return {
    settled: true,
    reason: `p50 and p99 steady over ${n} s (p99 ${fmt(p99.lo)}–${fmt(p99.hi)} ms)`,
  };
}

/** How the warm-up went, for result.json. */
export interface WarmupResult {
  minMs: number;
  maxMs: number;
  /** How long it lasted. */
  tookMs: number;
  /** Whether the latency had settled when it ended (false when it hit `maxMs` or was stopped). */
  settled: boolean;
  reason: string;
}

/** What {@link warmUp} needs. */
export interface WarmUpOptions {
  bounds: WarmupBounds;
  /** The load so far, all runners together; undefined without load. */
  series: () => LoadSeries | undefined;
  clock?: Clock;
  /** Ends the wait early (the result then says why it was not settled). */
  signal?: AbortSignal;
  /** How often to look (and call `onTick`). */
  tickMs: number;
  onTick?: () => void;
}

/** Waits at least `minMs`, then until the load settles or `maxMs` has passed. */
export async function warmUp(o: WarmUpOptions): Promise<WarmupResult> {
  const clock = o.clock ?? systemClock;
  const { minMs, maxMs, rule } = o.bounds;
  const start = clock.nowMs();
  const done = (settled: boolean, reason: string): WarmupResult => ({
    minMs,
    maxMs,
    tookMs: clock.nowMs() - start,
    settled,
    reason,
  });
  if (maxMs === 0) {
    const none = o.series() === undefined;
    return done(none, none ? 'no load to settle' : 'no warm-up');
  }
  for (;;) {
    if (o.signal?.aborted) return done(false, 'stopped during warm-up');
    const elapsed = clock.nowMs() - start;
    if (elapsed >= minMs) {
      const state = settleState(o.series(), clock.epochMs(), rule);
      if (state.settled) return done(true, state.reason);
      if (elapsed >= maxMs) return done(false, `not settled within ${maxMs / 1000} s: ${state.reason}`);
    }
    const next = elapsed < minMs ? minMs - elapsed : maxMs - elapsed;
    await sleepOn(clock, Math.max(1, Math.min(o.tickMs, next)), o.signal);
    o.onTick?.();
  }
}
