/**
 * The feedback loop and the blast radius, with real processes paused by the engine: a `when:` fault fires only
 * after its monitor crosses the threshold, and no schedule — planned, delayed or triggered — ever has more
 * instances of a group unavailable than `max_unavailable` allows (checked in /proc as faults land, and over the
 * whole journal).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readJournal } from '../../src/disruptors/index.js';
import {
  assertAllReverted,
  assertAllStopped,
  isPaused,
  peakFromJournal,
  runFile,
  startedPids,
  tempDir,
} from './engine-helpers.js';

// judges a running system under load: run with the machine to itself (scripts/test.sh)

describe('engine: feedback and blast radius', () => {
  test('a when: fault fires only after the monitor crosses its threshold', async () => {
    const dir = tempDir('feedback');
    const depthFile = join(dir, 'depth');
    writeFileSync(depthFile, '5\n');
    const outDir = join(dir, 'out');
    let crossedAt = 0;
    let pausedSeen = false;
    const run = await runFile('test/fixtures/experiment/feedback.yaml', {
      outDir,
      set: { depth_file: depthFile },
      onEvent: (e) => {
        if (e.kind === 'phase' && e.message === 'method') {
          // the scenario: a quiet second, then the queue backs up
          setTimeout(() => {
            crossedAt = Date.now();
            writeFileSync(depthFile, '150\n');
          }, 1000);
        }
        if (e.kind === 'fault.applied') {
          const applying = readJournal(join(outDir, 'journal.ndjson')).filter(
            (x) => x.event === 'fault.applying',
          );
          const last = applying.at(-1);
          const pid = last?.event === 'fault.applying' ? Number(last.revert.pid) : 0;
          pausedSeen = isPaused(pid);
        }
      },
    });
    assert.equal(run.verdict, 'pass', run.reason);
    const fired = run.result.faultRuns.filter((f) => f.status === 'applied');
    assert.equal(fired.length, 1, 'times defaults to 1 for when: faults');
    const f = fired[0]!;
    assert.ok(crossedAt > 0);
    assert.ok(f.startMs >= crossedAt, `applied ${crossedAt - f.startMs} ms before the monitor crossed`);
    // once crossed, the condition is looked at every tick: it fired within the 4 s method, at any speed
    assert.ok(f.startMs - crossedAt < 4000, `applied ${f.startMs - crossedAt} ms after the crossing`);
    assert.match(f.trigger ?? '', /queue_depth = 150: met/);
    assert.ok(pausedSeen, 'the instance was really stopped (state T) when the fault was reported applied');
    // the monitor was watched, below the threshold, all along before that
    const method = run.result.phases.before as { startMs: number };
    // (a sample is dated when it starts: one started just before the write may already read 150)
    const quiet = run.result.monitors[0]!.samples.filter(
      (s) => s.tMs >= method.startMs && s.tMs < crossedAt - 200,
    );
    assert.ok(quiet.length >= 5, `${quiet.length} samples before the crossing`);
    assert.ok(quiet.every((s) => s.value === 5));
    assertAllReverted(run.journalPath);
    assertAllStopped(run.journalPath);
  });

  test('process.restart stops an owned instance and starts it again through the engine', async () => {
    const run = await runFile('test/fixtures/experiment/restart.yaml');
    assert.equal(run.verdict, 'pass', run.reason);
    const bounce = run.result.faultRuns.find((f) => f.fault === 'bounce');
    assert.equal(bounce?.status, 'applied');
    const { pid, newPid, forced } = (bounce?.info ?? {}) as {
      pid?: number;
      newPid?: number;
      forced?: boolean;
    };
    assert.notEqual(newPid, pid);
    assert.equal(forced, false, 'SIGTERM was enough');
    const started = readJournal(run.journalPath).filter((e) => e.event === 'target.started');
    assert.equal(started.length, 3, 'two instances, one of them twice');
    assert.ok(started.some((e) => e.event === 'target.started' && e.pid === newPid));
    assertAllStopped(run.journalPath);
  });

  for (const seed of [3, 11]) {
    test(`max_unavailable 2 of 5 is never exceeded (3 at once + every 300ms + 2 on condition, seed ${seed})`, async () => {
      const outDir = tempDir('blast');
      let worst = 0;
      const run = await runFile('test/fixtures/experiment/blast-radius.yaml', {
        outDir,
        seed,
        onEvent: (e) => {
          if (e.kind !== 'fault.applied') return;
          const paused = startedPids(join(outDir, 'journal.ndjson')).filter(isPaused).length;
          worst = Math.max(worst, paused);
        },
      });
      assert.equal(run.verdict, 'pass', run.reason);
      assert.ok(worst <= 2, `${worst} workers were stopped at once`);
      assert.equal(worst, 2, 'the schedule did push against the limit');
      assert.deepEqual(peakFromJournal(run.journalPath), { workers: 2 });
      const runs = run.result.faultRuns;
      const three = runs.filter((r) => r.fault === 'three-at-once');
      assert.equal(three.filter((r) => r.status === 'applied').length, 3, 'the excess was delayed, not lost');
      // the when: fault competes for the same room; whether it got any, the limit held (checked above)
      assert.ok(runs.every((r) => r.status !== 'failed'));
      assertAllReverted(run.journalPath);
      assertAllStopped(run.journalPath);
    });
  }
});
