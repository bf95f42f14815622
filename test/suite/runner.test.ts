/**
 * The suite runner's decisions and calendar, with a fake clock: skips with their reasons, parallel slots and
 * exclusive targets, stop_on and a stop; and the runner starting each start of the calendar at the very time
 * `--dry-run` printed, the same for the same seed. Runs here are in-process stand-ins that end after a fake
 * duration: what is under test is when the runner starts them, not what they do (the real runs are in
 * run.test.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Clock } from '../../src/load/clock.js';
import { formatSuiteDryRun, planSuite } from '../../src/suite/dry-run.js';
import type { PlannedRun } from '../../src/suite/plan.js';
import { formatSuiteChange, formatSuiteTable } from '../../src/suite/progress.js';
import { type EntryOutcome, executeSuite, type SuiteRunRecord } from '../../src/suite/runner.js';
import { decide, type RunSlot, type SchedulerConfig } from '../../src/suite/scheduler.js';
import { validateSuite } from '../../src/suite/validate.js';

const root = new URL('../../', import.meta.url).pathname;
const NOW = Date.parse('2025-03-03T00:00:00Z'); // a Monday

const planned = (run: string, extra: Partial<PlannedRun> = {}): PlannedRun => ({
  run,
  entry: run.split('#')[0] as string,
  startMs: 0,
  endMs: 1000,
  slot: 1,
  seed: 1,
  seedDrawn: false,
  after: [],
  if: 'passed',
  ...extra,
});
const slot = (run: string, state: RunSlot['state'], extra: Partial<PlannedRun> = {}): RunSlot => ({
  run: planned(run, extra),
  state,
});
const config = (o: Partial<SchedulerConfig> = {}): SchedulerConfig => ({
  parallel: 1,
  exclusive: new Set(),
  targetsOf: () => ['db'],
  stopOn: 'never',
  ...o,
});

describe('scheduler decisions', () => {
  test('if: passed / failed / always after a failed entry, and skips followed through', () => {
    const d = decide(
      [
        slot('a', 'failed'),
        slot('b', 'waiting', { after: ['a'] }),
        slot('c', 'waiting', { after: ['a'], if: 'failed' }),
        slot('d', 'waiting', { after: ['a'], if: 'always' }),
        slot('e', 'waiting', { after: ['b'] }),
      ],
      config({ parallel: 3 }),
    );
    assert.deepEqual(d.skip, [
      { run: 'b', reason: 'a failed; if: passed' },
      { run: 'e', reason: 'b was skipped; if: passed' },
    ]);
    assert.deepEqual(d.start, ['c', 'd']);
  });
  test('if: failed after a passed entry is skipped; a repeat follows a failed one; waiting runs wait', () => {
    const d = decide(
      [
        slot('a', 'passed'),
        slot('c', 'waiting', { after: ['a'], if: 'failed' }),
        slot('r#1', 'failed'),
        slot('r#2', 'waiting', { after: ['r#1'] }),
        slot('w', 'waiting', { after: ['r#2'] }),
      ],
      config({ parallel: 5 }),
    );
    assert.deepEqual(d.skip, [{ run: 'c', reason: 'a passed; if: failed' }]);
    assert.deepEqual(d.start, ['r#2']);
  });
  test('an entry passes only when all its repeats passed', () => {
    const d = decide(
      [
        slot('r#1', 'failed'),
        slot('r#2', 'passed', { after: ['r#1'] }),
        slot('b', 'waiting', { after: ['r#2'] }),
      ],
      config(),
    );
    assert.deepEqual(d.skip, [{ run: 'b', reason: 'r failed; if: passed' }]);
  });
  test('parallel slots, and an exclusive target held by a running run keeps others out', () => {
    const free = decide(
      [slot('a', 'waiting'), slot('b', 'waiting'), slot('c', 'waiting')],
      config({ parallel: 2 }),
    );
    assert.deepEqual(free.start, ['a', 'b']);
    const held = decide(
      [slot('a', 'running'), slot('b', 'waiting'), slot('x', 'waiting')],
      config({
        parallel: 3,
        exclusive: new Set(['db']),
        targetsOf: (e) => (e === 'x' ? ['cache'] : ['db']),
      }),
    );
    assert.deepEqual(held.start, ['x']);
  });
  test('stop_on: first-failure and a stop skip everything waiting', () => {
    const slots = [slot('a', 'aborted'), slot('b', 'waiting'), slot('c', 'running')];
    assert.deepEqual(decide(slots, config({ stopOn: 'first-failure' })).skip, [
      { run: 'b', reason: 'stop_on: first-failure (a aborted)' },
    ]);
    assert.deepEqual(decide(slots, config(), 'halted by faultline halt').skip, [
      { run: 'b', reason: 'halted by faultline halt' },
    ]);
  });
});

/** A fake clock whose time moves one timer at a time: to the earliest due, which it fires. */
function steppingClock(epochMs: number): Clock & { fireNext(): void } {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { due: number; fn: () => void }>();
  return {
    nowMs: () => now,
    nowNs: () => BigInt(now) * 1_000_000n,
    epochMs: () => epochMs + now,
    setTimeout(fn, ms) {
      timers.set(++seq, { due: now + Math.max(0, ms), fn });
      return seq;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    fireNext() {
      let best: [number, { due: number; fn: () => void }] | undefined;
      for (const t of timers) if (!best || t[1].due < best[1].due) best = t;
      if (!best) return;
      timers.delete(best[0]);
      now = best[1].due;
      best[1].fn();
    },
  };
}

/** Runs `executeSuite` on a fake clock; each run takes `durations[entry]` fake ms and ends as `outcome` says. */
async function fakeRun(
  plan: ReturnType<typeof planSuite>,
  durations: Record<string, number>,
  outcome: (run: PlannedRun) => EntryOutcome['state'] = () => 'passed',
  stopAfter?: { ms: number; reason: string },
) {
  const clock = steppingClock(NOW);
  const stop = new AbortController();
  if (stopAfter) clock.setTimeout(() => stop.abort(stopAfter.reason), stopAfter.ms);
  let finished = false;
  const running = executeSuite({
    plan,
    clock,
    signal: stop.signal,
    config: config({ parallel: 2 }),
    launch: (run) => ({
      done: new Promise((resolve) =>
        clock.setTimeout(() => resolve({ state: outcome(run), exitCode: 0 }), durations[run.entry] ?? 1000),
      ),
    }),
  }).finally(() => {
    finished = true;
  });
  // the runner arms its next timer after awaiting promises: let it, then fire the earliest timer, until done
  while (!finished) {
    await new Promise((r) => setImmediate(r));
    clock.fireNext();
  }
  return running;
}

describe('the runner follows the dry-run calendar (fake clock)', () => {
  const text = [
    'title: calendar',
    'parallel: 2',
    'schedule: { every: 30m, jitter: 10m, min_interval: 15m, window: { hours: "01:00-05:00", days: [mon] }, times: 3 }',
    'runs:',
    '  - { name: kill, experiment: ../experiments/kill-one-replica.yaml }',
    '  - { name: slow, experiment: ../experiments/slow-store.yaml }',
    '  - { name: after, experiment: ../experiments/slow-store.yaml, depends_on: [kill], repeat: 2 }',
  ].join('\n');
  const v = validateSuite(text, { file: join(root, 'examples/suites/x.yaml') });
  assert.ok(v.ok);
  const planFor = (seed: number) => planSuite(v.suite, v.experiments, { seed, nowMs: NOW });

  test('each start begins at the time --dry-run printed, the runs in its order, the same for the same seed', async () => {
    const plan = planFor(5);
    const printed = formatSuiteDryRun(v.suite, plan);
    const printedStarts = [...printed.matchAll(/^start \d+: (\S+)$/gm)].map((m) =>
      Date.parse(m[1] as string),
    );
    assert.equal(printedStarts.length, 3);
    const ran = await fakeRun(plan, { kill: 60_000, slow: 90_000, after: 30_000 });
    assert.equal(ran.startsBegun, 3);
    for (const [i, t] of printedStarts.entries()) {
      const first = Math.min(
        ...ran.records.filter((r) => r.start === i + 1).map((r) => r.startedMs ?? Infinity),
      );
      assert.equal(first, t, `start ${i + 1}`);
    }
    // within a start: the parallel pair at its time, then the dependent's two repeats one after another
    const s1 = ran.records.filter((r) => r.start === 1);
    const at = (run: string) =>
      (s1.find((r) => r.run === run)?.startedMs ?? 0) - (printedStarts[0] as number);
    assert.deepEqual(['kill', 'slow', 'after#1', 'after#2'].map(at), [0, 0, 60_000, 90_000]);
    const again = await fakeRun(planFor(5), { kill: 60_000, slow: 90_000, after: 30_000 });
    assert.deepEqual(
      again.records.map((r) => [r.run, r.startedMs]),
      ran.records.map((r) => [r.run, r.startedMs]),
    );
    const other = await fakeRun(planFor(6), { kill: 60_000, slow: 90_000, after: 30_000 });
    assert.notDeepEqual(
      other.records.map((r) => r.startedMs),
      ran.records.map((r) => r.startedMs),
    );
  });

  test('a start whose runs overrun the next start time begins once they have finished', async () => {
    const plan = planFor(5);
    const ran = await fakeRun(plan, { kill: 3_600_000, slow: 1000, after: 1000 });
    const firstOf = (i: number) =>
      Math.min(...ran.records.filter((r) => r.start === i).map((r) => r.startedMs ?? Infinity));
    const lastEndOf = (i: number) =>
      Math.max(...ran.records.filter((r) => r.start === i).map((r) => r.endedMs ?? 0));
    assert.ok(firstOf(2) >= lastEndOf(1));
    assert.ok(firstOf(2) > (plan.startsMs[1] as number));
  });

  test('a stop while waiting for a start: no later start begins; one mid-start skips what waits', async () => {
    const plan = planFor(5);
    const between = (plan.startsMs[1] as number) - NOW - 1000; // during the wait before start 2
    const ran = await fakeRun(plan, { kill: 1000, slow: 1000, after: 1000 }, undefined, {
      ms: between,
      reason: 'halted by faultline halt',
    });
    assert.equal(ran.startsBegun, 1);
    assert.equal(ran.stopped, 'halted by faultline halt');
    const mid = await fakeRun(plan, { kill: 60_000, slow: 1000, after: 1000 }, undefined, {
      ms: (plan.startsMs[0] as number) - NOW + 30_000,
      reason: 'SIGTERM received',
    });
    assert.deepEqual(Object.fromEntries(mid.records.map((r) => [r.run, [r.state, r.skipReason]])), {
      kill: ['passed', undefined],
      slow: ['passed', undefined],
      'after#1': ['skipped', 'SIGTERM received'],
      'after#2': ['skipped', 'SIGTERM received'],
    });
  });
});

describe('progress', () => {
  const rec = (o: Partial<SuiteRunRecord>): SuiteRunRecord => ({
    start: 1,
    run: 'kill',
    entry: 'kill',
    seed: 42,
    seedDrawn: false,
    state: 'waiting',
    ...o,
  });
  test('a table line per run, and a line per state change', () => {
    const lines = formatSuiteTable(
      [
        rec({ state: 'running', phase: 'method', startedMs: 0, pid: 77 }),
        rec({ run: 'c', entry: 'c', state: 'skipped', skipReason: 'a failed; if: passed' }),
      ],
      12_300,
    );
    assert.equal(lines.length, 3);
    assert.match(lines[1] ?? '', /^kill +running +42 +method 12\.3s · pid 77$/);
    assert.match(lines[2] ?? '', /^c +skipped +42 +a failed; if: passed$/);
    assert.equal(
      formatSuiteChange(
        rec({ state: 'passed', verdict: 'pass', startedMs: 1000, endedMs: 29_900 }),
        0,
        30_000,
      ),
      '+ 30.0s kill passed 28.9s (pass)',
    );
  });
});
