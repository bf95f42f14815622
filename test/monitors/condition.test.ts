import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConditionSpec } from '../../src/experiment/schema.js';
import { bucketFrom, seriesFrom } from '../../src/load/samples.js';
import { type ConditionSample, evaluateCondition, firstHolding } from '../../src/monitors/condition.js';

const cond = (c: Partial<ConditionSpec>): ConditionSpec => ({ for: '0s', ...c }) as ConditionSpec;

/** One sample a second from t=0: values (null = down). */
function series(values: Array<number | null>): ConditionSample[] {
  return values.map((v, i) =>
    v === null ? { tMs: i * 1000, ok: false } : { tMs: i * 1000, ok: true, value: v },
  );
}

describe('monitor conditions', () => {
  const depth = series([10, 50, 120, 130, 90, 150, 160, 170, 180, 190]);
  const inputs = { monitors: { queue_depth: depth } };

  it('value above a threshold, at once', () => {
    const c = cond({ monitor: 'queue_depth', above: 100 });
    assert.equal(evaluateCondition(c, inputs, 1500).holds, false);
    const s = evaluateCondition(c, inputs, 2000);
    assert.equal(s.holds, true);
    assert.equal(s.value, 120);
    assert.equal(s.sinceMs, 2000);
    assert.equal(evaluateCondition(c, inputs, 4000).holds, false, 'back under 100');
  });

  it('`for` needs an unbroken run that old: a dip resets it', () => {
    const c = cond({ monitor: 'queue_depth', above: 100, for: '3s' });
    // Above since 2 s, broken at 4 s (90), above again from 5 s: holds from 8 s on, not at 3..7 s.
    for (const t of [2000, 3000, 4000, 5000, 7000, 7999])
      assert.equal(evaluateCondition(c, inputs, t).holds, false, `t=${t}`);
    const s = evaluateCondition(c, inputs, 8000);
    assert.equal(s.holds, true);
    assert.equal(s.sinceMs, 5000);
    assert.match(s.reason, /queue_depth = 180: met for 3000 ms/);
  });

  it('only samples up to now count (the engine may have recorded later ones)', () => {
    const c = cond({ monitor: 'queue_depth', above: 185 });
    assert.equal(evaluateCondition(c, inputs, 8500).holds, false);
    assert.equal(evaluateCondition(c, inputs, 9000).holds, true);
  });

  it('below, and down samples never match a value threshold', () => {
    const m = { monitors: { m: series([5, null, 5]) } };
    const c = cond({ monitor: 'm', below: 10 });
    assert.equal(evaluateCondition(c, m, 0).holds, true);
    assert.equal(evaluateCondition(c, m, 1000).holds, false);
    assert.equal(evaluateCondition(c, m, 2000).holds, true);
  });

  it('down for a while', () => {
    const m = { monitors: { api: series([1, null, null, null, 1]) } };
    const c = cond({ monitor: 'api', down: true, for: '2s' });
    assert.equal(evaluateCondition(c, m, 2000).holds, false);
    const s = evaluateCondition(c, m, 3000);
    assert.equal(s.holds, true);
    assert.match(s.reason, /api down: met for 2000 ms/);
    assert.equal(evaluateCondition(c, m, 4000).holds, false, 'up again');
  });

  it('no samples: does not hold, and says why', () => {
    const s = evaluateCondition(cond({ monitor: 'ghost', above: 1 }), inputs, 5000);
    assert.equal(s.holds, false);
    assert.match(s.reason, /no samples/);
  });
});

describe('KPI conditions over load series', () => {
  // 10 s of load: 100 requests a second; from second 4 on, 60 of them fail.
  const web = seriesFrom(
    Array.from({ length: 10 }, (_, t) =>
      bucketFrom({
        t,
        outcomes: t >= 4 ? { ok: 40, '5xx': 60 } : { ok: 100 },
        latenciesMs: Array.from({ length: 40 }, (_x, i) => (t >= 4 ? 300 + i : 10 + i / 10)),
      }),
    ),
    { startMs: 0 },
  );
  const inputs = { load: { web } };

  it('error rate above 50% for 5s: the last five whole seconds', () => {
    const c = cond({ kpi: 'error_rate', above: '50%', for: '5s' });
    const early = evaluateCondition(c, inputs, 6000);
    assert.equal(early.holds, false, 'seconds 1..5 only half bad');
    assert.equal(early.value, (2 * 60) / 500);
    const s = evaluateCondition(c, inputs, 9000);
    assert.equal(s.holds, true);
    assert.equal(s.value, 0.6);
  });

  it('a short `for` still reads at least one second', () => {
    const s = evaluateCondition(cond({ kpi: 'error_rate', above: 0.5 }), inputs, 5000);
    assert.equal(s.holds, true);
    assert.equal(s.value, 0.6);
  });

  it('latency percentiles and throughput, for one runner or all together', () => {
    const p99 = evaluateCondition(cond({ kpi: 'p99', above: '200ms', load: 'web' }), inputs, 8000);
    assert.equal(p99.holds, true);
    assert.ok((p99.value ?? 0) >= 300 && (p99.value ?? 0) < 345, String(p99.value));
    assert.equal(evaluateCondition(cond({ kpi: 'p50', above: '200ms' }), inputs, 3000).holds, false);
    const tp = evaluateCondition(
      cond({ kpi: 'throughput', below: '150/s', for: '2s' }),
      { load: { a: web, b: web } },
      4000,
    );
    assert.equal(tp.value, 200);
    assert.equal(tp.holds, false);
  });

  it('`for` means every whole bucket of it met the condition, not their average', () => {
    // one bad second among good ones: 20% over five seconds, but only one of them above 10%
    const spike = seriesFrom(
      Array.from({ length: 10 }, (_, t) =>
        bucketFrom({ t, outcomes: t === 6 ? { '5xx': 100 } : { ok: 100 }, latenciesMs: [10] }),
      ),
      { startMs: 0 },
    );
    const s = evaluateCondition(
      cond({ kpi: 'error_rate', above: '10%', for: '5s' }),
      { load: { spike } },
      9000,
    );
    assert.equal(s.value, 0.2, 'the value is still the window as a whole');
    assert.equal(s.holds, false);
    assert.match(s.reason, /met in 1 of 5 buckets/);
  });

  it('`for` is not met before that much load was measured', () => {
    // the load started a second ago and failed all along: one complete bucket is not five seconds
    const fresh = seriesFrom([bucketFrom({ t: 0, outcomes: { '5xx': 100 }, latenciesMs: [10] })], {
      startMs: 4000,
    });
    const c = cond({ kpi: 'error_rate', above: '50%', for: '5s' });
    const s = evaluateCondition(c, { load: { fresh } }, 5000);
    assert.equal(s.holds, false);
    assert.match(s.reason, /1 of 5 buckets measured so far/);
  });

  it('no complete bucket yet: does not hold', () => {
    const s = evaluateCondition(cond({ kpi: 'error_rate', above: '1%' }), inputs, 500);
    assert.equal(s.holds, false);
    assert.match(s.reason, /no complete bucket/);
  });
});

describe('firstHolding (abort_when)', () => {
  it('names the first condition that holds', () => {
    const inputs = { monitors: { m: series([1, 200]) } };
    const conditions = [cond({ monitor: 'm', down: true }), cond({ monitor: 'm', above: 100 })];
    assert.equal(firstHolding(conditions, inputs, 0), undefined);
    assert.equal(firstHolding(conditions, inputs, 1000)?.index, 1);
  });
});
