/** `faultline run --set path=value` field overrides and `faultline suite --dry-run`, as a user runs them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cli } from '../helpers/cli.js';

const KILL = 'examples/experiments/kill-one-replica.yaml';
const NIGHTLY = 'examples/suites/nightly.yaml';
const NOW = ['--now', '2025-03-03T00:00:00Z'];
const kills = (out: string) => out.split('\n').filter((l) => l.includes('kill-a-replica (')).length;

describe('faultline run --set: field overrides', () => {
  it('a shortened every (by the fault name) changes the fault count of the plan', async () => {
    const before = await cli(['run', KILL, '--dry-run']);
    const after = await cli([
      'run',
      KILL,
      '--dry-run',
      '--set',
      'faults.kill-a-replica.every=5s',
      '--set',
      'faults.kill-a-replica.times=5',
    ]);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(kills(before.stdout), 2);
    assert.equal(kills(after.stdout), 5);
  });
  it('a top-level field (seed) is a field override; a declared parameter stays a parameter', async () => {
    const r = await cli(['run', KILL, '--dry-run', '--set', 'seed=9', '--set', 'duration=20s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /seed 9 · warm-up \S+ · method 20\.000s/);
  });
  it('a path naming no field exits 2 with one line naming it', async () => {
    for (const path of ['faults.nope.every', 'faults.kill-a-replica.evry', 'nothing.here']) {
      const r = await cli(['run', KILL, '--dry-run', '--set', `${path}=1s`]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(r.stderr.includes(`'${path}' names no field of the experiment`), r.stderr);
    }
  });
});

describe('faultline suite --dry-run', () => {
  it('prints the same plan for the same seed, other jitter for another seed', async () => {
    const a = await cli(['suite', NIGHTLY, '--dry-run', ...NOW]);
    const b = await cli(['suite', NIGHTLY, '--dry-run', ...NOW]);
    const c = await cli(['suite', NIGHTLY, '--dry-run', ...NOW, '--seed', '7']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    const starts = (out: string) => out.match(/^start \d+: .*$/gm);
    assert.notDeepEqual(starts(a.stdout), starts(c.stdout));
    assert.match(a.stdout, /backlog#1 \[slot \d\] seed 7 after kill/);
    assert.match(a.stdout, /kill \[slot \d, in parallel\]/);
  });
  it('--only and --set on the suite', async () => {
    const r = await cli([
      'suite',
      NIGHTLY,
      '--dry-run',
      ...NOW,
      '--only',
      'slow-store',
      '--set',
      'schedule.times=1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout.match(/^start \d+:/gm) ?? []).length, 1);
    assert.ok(!r.stdout.includes('backlog'));
  });
  it('--now only plans: a real run with it is refused with one line (exit 2), before anything runs', async () => {
    const r = await cli(['suite', NIGHTLY, ...NOW]);
    assert.equal(r.code, 2);
    assert.match(r.stderr.trim(), /^faultline: --now: only plans \(with --dry-run\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '');
  });
  it('--once plans one start, now, whatever the schedule says', async () => {
    const r = await cli(['suite', NIGHTLY, '--dry-run', '--once', ...NOW]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /schedule \(UTC, from 2025-03-03T00:00:00Z\): once, now/);
    assert.deepEqual(r.stdout.match(/^start \d+: .*$/gm), ['start 1: 2025-03-03T00:00:00Z']);
  });
});
