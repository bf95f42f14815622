import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors.js';
import { constantRate, createArrivalSchedule } from '../../src/load/arrivals.js';
import { createFakeClock } from '../../src/load/clock.js';
import { startOpenScheduler } from '../../src/load/scheduler.js';

describe('arrival schedule', () => {
  it('spaces a constant rate evenly: 500/s for 10 s is 5000 arrivals 2 ms apart', () => {
    const s = createArrivalSchedule(constantRate(500, 10_000));
    assert.equal(s.count, 5000);
    assert.equal(s.timeOf(0), 0);
    assert.equal(s.timeOf(1), 2);
    assert.ok(Math.abs(s.timeOf(4999) - 9998) < 1e-9);
  });

  it('ramps linearly: 0 → 100/s over 10 s gives N(t) = 5·t² arrivals', () => {
    const s = createArrivalSchedule({ startRate: 0, stages: [{ durationMs: 10_000, target: 100 }] });
    assert.equal(s.count, 500);
    // arrival i at t where 5 t² = i  (t in seconds)
    for (const i of [1, 20, 125, 499])
      assert.ok(Math.abs(s.timeOf(i) - Math.sqrt(i / 5) * 1000) < 1e-6, `i=${i}`);
    assert.equal(s.rateAt(5000), 50);
  });

  it('chains stages and skips a zero-rate pause', () => {
    const s = createArrivalSchedule({
      startRate: 10,
      stages: [
        { durationMs: 1000, target: 10 },
        { durationMs: 0, target: 0 },
        { durationMs: 1000, target: 0 },
        { durationMs: 0, target: 10 },
        { durationMs: 1000, target: 10 },
      ],
    });
    assert.equal(s.count, 20);
    assert.equal(s.timeOf(9), 900);
    assert.equal(s.timeOf(10), 2000);
    assert.equal(s.timeOf(19), 2900);
  });

  it('rejects negative rates naming the field', () => {
    assert.throws(
      () => createArrivalSchedule({ startRate: 0, stages: [{ durationMs: 1000, target: -1 }] }),
      (e: unknown) => e instanceof InvalidOptionError && e.field === 'stages[0].target',
    );
  });
});

describe('open scheduler on a fake clock', () => {
  it('fires every arrival at its intended time, never waiting for anything', async () => {
    const clock = createFakeClock(1000);
    const fired: [number, number, number][] = [];
    const sch = startOpenScheduler({
      clock,
      schedule: createArrivalSchedule(constantRate(10, 1000)),
      onArrival: (i, intended, actual) => fired.push([i, intended, actual]),
    });
    clock.advance(450);
    assert.deepEqual(
      fired.map(([i]) => i),
      [0, 1, 2, 3, 4],
    );
    clock.advance(1000);
    await sch.done;
    assert.equal(fired.length, 10);
    for (const [i, intended, actual] of fired) {
      assert.equal(intended, 1000 + i * 100);
      assert.equal(actual, intended);
    }
    assert.equal(clock.pending(), 0);
  });

  it('fires overdue arrivals together, keeping their intended times (a stalled loop is charged, not hidden)', () => {
    const clock = createFakeClock(0);
    const fired: [number, number][] = [];
    startOpenScheduler({
      clock,
      schedule: createArrivalSchedule(constantRate(1000, 100)),
      onArrival: (_i, intended, actual) => fired.push([intended, actual]),
    });
    // Simulate a blocked event loop: time jumps 10 ms before the timer can run.
    const nowMs = clock.nowMs;
    let jumped = false;
    clock.nowMs = () => (jumped ? nowMs() : nowMs() + 10);
    clock.advance(0);
    jumped = true;
    assert.equal(fired.length, 11);
    assert.deepEqual(fired[10], [10, 10]);
    assert.deepEqual(fired[3], [3, 10]);
  });

  it('stop() ends the schedule and disarms its timer', async () => {
    const clock = createFakeClock();
    let n = 0;
    const sch = startOpenScheduler({
      clock,
      schedule: createArrivalSchedule(constantRate(100, 10_000)),
      onArrival: () => {
        n += 1;
      },
    });
    clock.advance(95);
    sch.stop();
    await sch.done;
    clock.advance(1000);
    assert.equal(n, 10);
    assert.equal(clock.pending(), 0);
  });
});
