import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors.js';
import { availability, availabilityByMonitor } from '../../src/kpi/availability.js';
import { phaseKpis, phasesOf, windowKpis } from '../../src/kpi/phases.js';
import { recoveryTolerance, timesToRecover, timeToRecover } from '../../src/kpi/recovery.js';
import { bucketFrom, type LoadBucket, seriesFrom } from '../../src/load/samples.js';

const rep = (n: number, v: number) => Array.from({ length: n }, () => v);
const healthy = (t: number) => bucketFrom({ t, outcomes: { ok: 100 }, latenciesMs: rep(100, 1) });
const failing = (t: number) =>
  bucketFrom({ t, outcomes: { ok: 50, '5xx': 50 }, latenciesMs: [...rep(50, 1), ...rep(50, 1.2)] });
const slow = (t: number) => bucketFrom({ t, outcomes: { ok: 100 }, latenciesMs: rep(100, 2) });

describe('phase KPIs', () => {
  // 0–4 steady, 5–7 faulted (5xx and timeouts, slower), 8–9 steady again. Latencies below 2.048 ms are exact
  // in the HDR histogram (3 significant digits), so every value here is exact.
  const buckets: LoadBucket[] = [];
  for (let t = 0; t < 5; t++) buckets.push(healthy(t));
  for (let t = 5; t < 8; t++) {
    buckets.push(
      bucketFrom({
        t,
        outcomes: { ok: 50, '5xx': 30, timeout: 20 },
        latenciesMs: [...rep(50, 1.5), ...rep(30, 2)],
        dropped: 2,
      }),
    );
  }
  for (let t = 8; t < 10; t++) buckets.push(healthy(t));
  const series = seriesFrom(buckets);

  it('computes throughput, error rate by class and merged percentiles per phase', () => {
    const p = phaseKpis(series, [{ startMs: 5000, endMs: 8000 }]);
    assert.equal(p.before.buckets, 5);
    assert.equal(p.before.throughput, 100);
    assert.equal(p.before.errorRate, 0);
    assert.equal(p.before.latency.p99Ms, 1);
    assert.equal(p.during.buckets, 3);
    assert.equal(p.during.completed, 300);
    assert.equal(p.during.throughput, 100);
    assert.equal(p.during.goodput, 50);
    assert.equal(p.during.errorRate, 0.5);
    assert.equal(p.during.errorRates['5xx'], 0.3);
    assert.equal(p.during.errorRates.timeout, 0.2);
    assert.equal(p.during.errorRates.reset, 0);
    assert.equal(p.during.dropped, 6);
    // 240 answered: 150 at 1.5 ms, 90 at 2 ms.
    assert.equal(p.during.latency.count, 240);
    assert.equal(p.during.latency.p50Ms, 1.5);
    assert.equal(p.during.latency.p90Ms, 2);
    assert.equal(p.during.latency.maxMs, 2);
    assert.equal(p.during.latency.meanMs, 1.688);
    assert.equal(p.after.buckets, 2);
    assert.equal(p.after.ok, 200);
  });

  it('puts a partly faulted second in "during"', () => {
    const p = phaseKpis(series, [{ startMs: 5200, endMs: 7800 }]);
    assert.deepEqual([p.before.buckets, p.during.buckets, p.after.buckets], [5, 3, 2]);
    const q = phaseKpis(series, [{ startMs: 4999, endMs: 8001 }]);
    assert.deepEqual([q.before.buckets, q.during.buckets, q.after.buckets], [4, 5, 1]);
  });

  it('puts a second the fault met while its requests were in flight in "during" when it shows it', () => {
    // second 4's last request, sent just before a fault at 5 s, was reset by it or held for 400 ms
    const reset = bucketFrom({ t: 4, outcomes: { ok: 99, reset: 1 }, latenciesMs: rep(99, 1) });
    const held = bucketFrom({ t: 4, outcomes: { ok: 100 }, latenciesMs: [...rep(99, 1), 400] });
    for (const b of [reset, held]) {
      const s = seriesFrom([...buckets.slice(0, 4), b, ...buckets.slice(5)]);
      const p = phaseKpis(s, [{ startMs: 5000, endMs: 8000 }]);
      assert.deepEqual([p.before.buckets, p.during.buckets], [4, 4]);
      assert.equal(p.before.errorRate, 0);
      assert.equal(p.before.latency.maxMs, 1);
      assert.deepEqual(phasesOf(s, [{ startMs: 5000, endMs: 8000 }]).slice(3, 6), [
        'before',
        'during',
        'during',
      ]);
      // a fault that began after its slowest answer had arrived did not meet it
      assert.equal(phaseKpis(s, [{ startMs: 5401, endMs: 8000 }]).before.buckets, 5);
    }
    // a clean second whose 1 ms answers may have straddled the start keeps counting as baseline
    assert.equal(phaseKpis(series, [{ startMs: 5000, endMs: 8000 }]).before.buckets, 5);
  });

  it('survives a JSON round trip unchanged', () => {
    const back = JSON.parse(JSON.stringify(series));
    assert.deepEqual(windowKpis(back), windowKpis(series));
    assert.deepEqual(windowKpis(series, { fromMs: 5000, toMs: 8000 }).errorRate, 0.5);
  });
});

describe('time to recover', () => {
  // Faults A 5–12 s and B 10–15 s overlap; errors in 5–17, healthy from 18 except a latency spike at 20.
  const buckets: LoadBucket[] = [];
  for (let t = 0; t < 30; t++) {
    buckets.push(t < 5 ? healthy(t) : t <= 17 ? failing(t) : t === 20 ? slow(t) : healthy(t));
  }
  const series = seriesFrom(buckets);
  const A = { name: 'A', startMs: 5000, endMs: 12_000 };
  const B = { name: 'B', startMs: 10_000, endMs: 15_000 };
  const tol = { errorRate: 0.05, p99Ms: 1.5, windowSec: 5 };

  it('measures each overlapping fault from its own end; a p99 spike restarts the sustained window', () => {
    const [a, b] = timesToRecover(series, [A, B], tol);
    assert.equal(a?.timeToRecoverMs, 9000);
    assert.equal(a?.recoveredAtMs, 21_000);
    assert.equal(b?.timeToRecoverMs, 6000);
    const p = phaseKpis(series, [A, B]);
    assert.deepEqual([p.before.buckets, p.during.buckets, p.after.buckets], [5, 10, 15]);
  });

  it('says "never" when no sustained window fits before the horizon', () => {
    const r = timeToRecover(series, A, { ...tol, windowSec: 10 });
    assert.equal(r.timeToRecoverMs, 'never');
    assert.equal(r.recoveredAtMs, null);
    assert.equal(timeToRecover(series, A, { ...tol, horizonMs: 25_000 }).timeToRecoverMs, 'never');
    assert.equal(timeToRecover(series, A, { ...tol, horizonMs: 26_000 }).timeToRecoverMs, 9000);
  });

  it('counts a second with no completions as not recovered', () => {
    const gap = seriesFrom([...buckets.slice(0, 22), bucketFrom({ t: 22 }), ...buckets.slice(23)]);
    assert.equal(timeToRecover(gap, A, tol).timeToRecoverMs, 11_000);
  });

  it('measures an absorbed fault from its start, and a mid-second end from the next whole second', () => {
    const quiet = seriesFrom(Array.from({ length: 12 }, (_, t) => healthy(t)));
    assert.equal(timeToRecover(quiet, { startMs: 5000, endMs: 9000, absorb: true }, tol).timeToRecoverMs, 0);
    assert.equal(timeToRecover(series, { startMs: 5000, endMs: 12_500 }, tol).timeToRecoverMs, 8500);
  });

  it('derives the default tolerance from the steady state before the first fault', () => {
    assert.deepEqual(recoveryTolerance(series, [A, B]), { errorRate: 0.01, p99Ms: 6, windowSec: 5 });
    // 6 ms of p99 tolerance forgives the 2 ms spike at 20 s: recovered at 18 s.
    assert.equal(timesToRecover(series, [A, B])[0]?.timeToRecoverMs, 6000);
  });

  it('refuses to guess a baseline when there is no steady state', () => {
    assert.throws(
      () => timeToRecover(series, { startMs: 0, endMs: 3000 }),
      (e: unknown) => e instanceof InvalidOptionError && e.field === 'baseline',
    );
  });
});

describe('availability', () => {
  const pattern = [true, true, false, false, true, false, true, true, false, false];
  const samples = pattern.map((ok, i) => ({ tMs: i * 1000, ok }));

  it('counts successes and outages, an unfinished outage running to endMs', () => {
    const a = availability([...samples].reverse(), { endMs: 10_000 });
    assert.deepEqual(a, {
      samples: 10,
      ok: 5,
      availability: 0.5,
      outages: 3,
      longestOutageMs: 2000,
      downtimeMs: 5000,
      endedDown: true,
    });
    assert.equal(availability(samples).longestOutageMs, 2000);
    assert.equal(availability(samples).downtimeMs, 4000);
  });

  it('reports each monitor separately', () => {
    const all = availabilityByMonitor({ api: samples, db: [{ tMs: 0, ok: true }], idle: [] });
    assert.equal(all.api?.outages, 3);
    assert.equal(all.db?.availability, 1);
    assert.equal(all.idle?.availability, 1);
    assert.equal(all.idle?.longestOutageMs, 0);
  });
});
