/**
 * Warm-up until the latency settles: the settle rule over hand-built series, the bounds a `warmup:` gives, and
 * the wait itself on a fake clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateExperiment } from '../../src/experiment/validate.js';
import {
  type SettleRule,
  settleState,
  type WarmupResult,
  warmUp,
  warmupBounds,
} from '../../src/experiment/warmup.js';
import { createFakeClock } from '../../src/load/clock.js';
import { bucketFrom, type LoadSeries, seriesFrom } from '../../src/load/samples.js';

const rule: SettleRule = { windowMs: 3000, tolerance: 0.5, slackMs: 10 };

/** One bucket a second from epoch 0, each second's 50 answers all taking that second's latency. */
function series(latencies: (number | null)[]): LoadSeries {
  return seriesFrom(
    latencies.map((ms, t) =>
      ms === null
        ? bucketFrom({ t, outcomes: { refused: 50 } })
        : bucketFrom({ t, outcomes: { ok: 50 }, latenciesMs: Array(50).fill(ms) }),
    ),
  );
}

describe('settleState', () => {
  it('settled once the last three whole seconds agree, the newest one left out', () => {
    const s = series([800, 400, 200, 100, 100, 100, 900]);
    // at 7 s: seconds 0–5 are ripe (second 6 may still have answers in flight) and 3–5 agree
    assert.equal(settleState(s, 7000, rule).settled, true);
    // at 6 s: seconds 2–4 are the last ripe ones: 200, 100, 100 differ by 100%
    const early = settleState(s, 6000, rule);
    assert.equal(early.settled, false);
    assert.match(early.reason, /^p50 per second still moving: 200, 100, 100 ms$/);
  });

  it('a steady decline never counts as settled; small absolute differences do', () => {
    assert.equal(settleState(series([400, 200, 100, 50, 25]), 6000, rule).settled, false);
    assert.equal(settleState(series([3, 9, 2, 11]), 5000, rule).settled, true, 'within 10 ms');
    assert.equal(settleState(series([3, 9, 25, 12]), 5000, rule).settled, false);
    assert.equal(settleState(series([100, 140, 120]), 4000, rule).settled, true, 'within 50%');
  });

  it('needs enough whole seconds, each with answers', () => {
    assert.match(settleState(series([10, 10]), 5000, rule).reason, /^2 of 3 whole seconds measured$/);
    assert.equal(settleState(series([10, 10, 10]), 3500, rule).settled, false, 'second 2 is not ripe yet');
    assert.match(settleState(series([10, null, 10, 10]), 5000, rule).reason, /had no answered request/);
    assert.deepEqual(settleState(undefined, 0, rule), { settled: true, reason: 'no load to settle' });
  });

  it('the window is counted in buckets', () => {
    const five = { ...rule, windowMs: 5000 };
    const s = series([50, 10, 10, 10, 10, 10, 10]);
    assert.equal(settleState(s, 6000, five).settled, false, 'seconds 0–4 include the slow first one');
    assert.equal(settleState(s, 7000, five).settled, true);
  });
});

describe('warmupBounds', () => {
  it('a plain duration is the minimum, with the default maximum and rule; 0s is no warm-up', () => {
    assert.deepEqual(warmupBounds('3s'), { minMs: 3000, maxMs: 30_000, rule });
    assert.deepEqual(warmupBounds('45s'), { minMs: 45_000, maxMs: 45_000, rule });
    assert.equal(warmupBounds('0s').maxMs, 0);
  });

  it('the map form sets bounds and rule', () => {
    const b = warmupBounds({
      min: '2s',
      max: '10s',
      settle: { window: '5s', tolerance: '20%', slack: '2ms' },
    });
    assert.deepEqual(b, { minMs: 2000, maxMs: 10_000, rule: { windowMs: 5000, tolerance: 0.2, slackMs: 2 } });
    assert.equal(
      warmupBounds({ min: '0s', settle: { window: '3s', tolerance: '50%', slack: '10ms' } }).maxMs,
      30_000,
    );
  });

  it('the experiment file accepts both forms and names a bad field', () => {
    const file = (warmup: string) => `title: w\nwarmup: ${warmup}\nduration: 5s\n`;
    for (const ok of ['3s', '{ min: 3s, max: 30s }', '{ max: 10s, settle: { window: 2s, tolerance: 25% } }'])
      assert.equal(validateExperiment(file(ok)).ok, true, ok);
    const bad = validateExperiment(file('{ min: 3s, settle: { tolerance: 2s } }'));
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : (bad.errors[0]?.field ?? ''), /^warmup\.settle\.tolerance$/);
    const typo = validateExperiment(file('{ minimum: 3s }'));
    assert.match(typo.ok ? '' : (typo.errors[0]?.message ?? ''), /unknown field 'minimum'/);
  });
});

describe('warmUp', () => {
  /** Runs warmUp on a fake clock over `latencies` (one a second), stepping time by 250 ms. */
  async function run(latencies: number[], bounds = warmupBounds('2s')): Promise<WarmupResult> {
    const clock = createFakeClock(0, 0);
    let result: WarmupResult | undefined;
    const p = warmUp({
      bounds,
      clock,
      tickMs: 250,
      series: () => series(latencies.slice(0, Math.floor(clock.epochMs() / 1000))),
    }).then((r) => {
      result = r;
    });
    while (result === undefined) {
      clock.advance(250);
      await new Promise((r) => setImmediate(r));
    }
    await p;
    return result;
  }

  it('goes on past the minimum until the latency settles', async () => {
    const r = await run([800, 400, 200, 100, 60, 50, 50, 50, 50, 50, 50, 50]);
    assert.equal(r.settled, true);
    // seconds 4–6 (60, 50, 50) agree; second 6 is ripe at 8 s
    assert.equal(r.tookMs, 8000);
    assert.equal(r.minMs, 2000);
  });

  it('stops at the maximum, not settled, and says why', async () => {
    const r = await run(
      Array.from({ length: 40 }, (_, t) => (t % 2 === 0 ? 10 : 200)),
      warmupBounds({ min: '1s', max: '6s', settle: { window: '3s', tolerance: '50%', slack: '10ms' } }),
    );
    assert.equal(r.settled, false);
    assert.equal(r.tookMs, 6000);
    assert.match(r.reason, /^not settled within 6 s: p50 per second still moving/);
  });

  it('no load: the minimum, settled', async () => {
    const clock = createFakeClock(0, 0);
    const p = warmUp({ bounds: warmupBounds('1s'), clock, tickMs: 250, series: () => undefined });
    let r: WarmupResult | undefined;
    void p.then((x) => {
      r = x;
    });
    while (r === undefined) {
      clock.advance(250);
      await new Promise((res) => setImmediate(res));
    }
    assert.deepEqual([r.tookMs, r.settled], [1000, true]);
  });
});
