/**
 * The precise system clock on real time: deadlines are never met early, equal and crossing deadlines keep
 * their order, cancelled timers stay silent, and polling for a near deadline leaves the event loop running.
 * (How late a timer may be is the OS's business; bench/suites/proxy.ts measures it.)
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createSystemClock } from '../../src/proxy/index.js';

it('fires every timer at or after its deadline, in deadline order', async () => {
  const clock = createSystemClock();
  // The clock reads the time inside setTimeout: its deadline lies between `low` and `high`.
  const timers: { id: number; low: number; high: number; at?: number }[] = [];
  const fired: number[] = [];
  const delays = [3, 0.2, 1.2, 0, 2.5, 1.2, 0.7, 5, 1.49];
  await new Promise<void>((resolve) => {
    delays.forEach((d, id) => {
      const low = clock.now() + d;
      clock.setTimeout(() => {
        timers[id]!.at = clock.now();
        fired.push(id);
        if (fired.length === delays.length) resolve();
      }, d);
      timers[id] = { id, low, high: clock.now() + d };
    });
  });
  for (const t of timers)
    assert.ok(t.at! >= t.low, `timer ${t.id} fired ${(t.low - t.at!).toFixed(3)} ms early`);
  for (let i = 1; i < fired.length; i++) {
    const [a, b] = [timers[fired[i - 1]!]!, timers[fired[i]!]!];
    assert.ok(a.low <= b.high, `timer ${a.id} (due ≥ ${a.low}) fired before timer ${b.id} (due ≤ ${b.high})`);
  }
});

it('a cancelled timer never fires; the others still do', async () => {
  const clock = createSystemClock();
  const fired: string[] = [];
  const a = clock.setTimeout(() => fired.push('a'), 0.5);
  clock.setTimeout(() => fired.push('b'), 1);
  const c = clock.setTimeout(() => fired.push('c'), 2);
  clock.clearTimeout(a);
  await new Promise<void>((resolve) => clock.setTimeout(resolve, 3));
  clock.clearTimeout(c); // already fired: does nothing
  assert.deepEqual(fired, ['b', 'c']);
});

it('polling for a near deadline lets the event loop turn in between', async () => {
  const clock = createSystemClock();
  await new Promise<void>((resolve) => clock.setTimeout(resolve, 1)); // warm-up
  const attempt = () =>
    new Promise<{ turns: number; waited: number }>((resolve) => {
      // Start from inside a turn of the loop, so nothing else runs between here and the clock's first poll.
      setImmediate(() => {
        let turns = 0;
        let done = false;
        const tick = () => {
          turns++;
          if (!done) setImmediate(tick);
        };
        setImmediate(tick);
        const t0 = clock.now();
        clock.setTimeout(() => {
          done = true;
          resolve({ turns, waited: clock.now() - t0 });
        }, 1.4); // inside the polling window
      });
    });
  // The machine may stop this process for a millisecond or more (a virtual CPU descheduled), which would
  // swallow every turn of one attempt; two of three must show the loop turning.
  const attempts = [await attempt(), await attempt(), await attempt()];
  assert.ok(
    attempts.filter((a) => a.turns >= 2).length >= 2,
    `the event loop turned ${attempts.map((a) => `${a.turns} times in ${a.waited.toFixed(3)} ms`).join(', ')}`,
  );
});
