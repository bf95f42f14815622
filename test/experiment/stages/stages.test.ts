/**
 * The small pure pieces of the run's stages, on a fake clock and a journal that only records: the shared
 * context, the gate before the method, progress, the seed, and junit.xml's own checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExperimentResult, RunEvent, RunProgress } from '../../../src/experiment/engine.js';
import type { FaultExecutor, FaultRun } from '../../../src/experiment/executor.js';
import type { Journal, JournalInput } from '../../../src/experiment/journal.js';
import { createRunContext, type RunContext, reasonOf } from '../../../src/experiment/stages/context.js';
import { chooseSeed } from '../../../src/experiment/stages/open.js';
import { junitInputsOf } from '../../../src/experiment/stages/outputs.js';
import { progressMeter } from '../../../src/experiment/stages/progress.js';
import { gateBeforeMethod } from '../../../src/experiment/stages/steady.js';
import { createFakeClock, type FakeClock } from '../../../src/load/clock.js';
import type { LoadRun } from '../../../src/load/http-runner.js';

function context(stop = new AbortController().signal): {
  ctx: RunContext;
  clock: FakeClock;
  records: JournalInput[];
  told: RunEvent[];
} {
  const clock = createFakeClock(0, 1_000_000);
  const records: JournalInput[] = [];
  const journal = { append: (e: JournalInput) => records.push(e) } as unknown as Journal;
  const told: RunEvent[] = [];
  const ctx = createRunContext({ clock, journal, stop, onEvent: (e) => told.push(e) });
  return { ctx, clock, records, told };
}

describe('run context', () => {
  it('a phase is journaled, then told as an event stamped with the clock’s epoch time', () => {
    const { ctx, clock, records, told } = context();
    assert.equal(ctx.phase(), 'starting');
    clock.advance(1500);
    ctx.enter('warmup');
    ctx.emit('warmup', '1.0 s, settled');
    assert.equal(ctx.phase(), 'warmup');
    assert.deepEqual(records, [{ event: 'phase', phase: 'warmup' }]);
    assert.deepEqual(ctx.events, [
      { tMs: 1_001_500, kind: 'phase', message: 'warmup' },
      { tMs: 1_001_500, kind: 'warmup', message: '1.0 s, settled' },
    ]);
    assert.deepEqual(told, ctx.events);
  });

  it('an abort reason in words: a string as is, an error’s message, else "stopped"', () => {
    const reason = (r?: unknown) => {
      const c = new AbortController();
      c.abort(r);
      return reasonOf(c.signal);
    };
    assert.equal(reason('halted by faultline halt'), 'halted by faultline halt');
    assert.equal(reason(new Error('SIGINT')), 'SIGINT');
    assert.equal(reason(), 'stopped');
  });
});

describe('the gate before the method', () => {
  it('a stop is aborted, whatever else; else a lost target is the cause of whatever else failed', () => {
    const stopped = new AbortController();
    stopped.abort('halted by faultline halt');
    assert.deepEqual(
      gateBeforeMethod(context(stopped.signal).ctx, 'steady state before: x', 'api-0 exited'),
      {
        notReady: 'steady state before: x',
        aborted: 'halted by faultline halt',
      },
    );
    const { ctx } = context();
    assert.deepEqual(gateBeforeMethod(ctx, 'steady state before: x', 'api-0 exited'), {
      notReady: 'api-0 exited',
    });
    assert.deepEqual(gateBeforeMethod(ctx, 'steady state before: x', undefined), {
      notReady: 'steady state before: x',
    });
    assert.deepEqual(gateBeforeMethod(ctx, undefined, undefined), { notReady: undefined });
  });
});

describe('progress', () => {
  it('throughput and error rate over the last interval, method time capped at its length', () => {
    const { ctx, clock } = context();
    let totals = { completed: 0, errors: 0 };
    const loads = new Map([['clients', { progress: () => totals } as unknown as LoadRun]]);
    const seen: RunProgress[] = [];
    const meter = progressMeter(ctx, {
      loads,
      runStartMs: 0,
      durationMs: 5000,
      onProgress: (p) => seen.push(p),
    });
    clock.advance(2000);
    totals = { completed: 200, errors: 50 };
    meter.report();
    ctx.enter('method');
    const active = [{ fault: 'pause-api', instance: 'api-0' }] as FaultRun[];
    const executor = { active: () => active } as unknown as FaultExecutor;
    clock.advance(8000);
    totals = { completed: 1000, errors: 50 };
    meter.report({ startMs: 2000, executor });
    assert.deepEqual(seen, [
      {
        phase: 'starting',
        elapsedMs: 2000,
        methodMs: 0,
        durationMs: 5000,
        activeFaults: [],
        throughput: 100,
        errorRate: 0.25,
      },
      {
        phase: 'method',
        elapsedMs: 10_000,
        methodMs: 5000,
        durationMs: 5000,
        activeFaults: ['pause-api on api-0'],
        throughput: 100,
        errorRate: 0,
      },
    ]);
  });
});

describe('the seed', () => {
  it('the option’s, else the file’s, else drawn from the randomness passed in', () => {
    assert.equal(
      chooseSeed(5, 7, () => 0.5),
      5,
    );
    assert.equal(
      chooseSeed(undefined, 7, () => 0.5),
      7,
    );
    assert.equal(
      chooseSeed(undefined, undefined, () => 0.5),
      2 ** 46,
    );
  });
});

describe('junit.xml’s own checks', () => {
  it('the steady state after, and every applied fault reverted (naming those that were not)', () => {
    const applied = (endMs: number | null, error?: string) =>
      ({ fault: 'pause-api', instance: 'api-0', status: 'applied', endMs, error }) as FaultRun;
    const result = (faultRuns: FaultRun[], after?: { ok: boolean; reason?: string }) =>
      ({ steadyState: after ? { after } : {}, faultRuns, assertions: [] }) as unknown as ExperimentResult;
    const junitChecks = (r: ExperimentResult) => junitInputsOf(r).checks;
    assert.deepEqual(junitChecks(result([])), []);
    assert.deepEqual(junitChecks(result([applied(10)], { ok: true })), [
      { name: 'steady state after', passed: true },
      { name: 'every fault reverted', passed: true },
    ]);
    assert.deepEqual(
      junitChecks(result([applied(null, 'EPERM'), applied(null)], { ok: false, reason: 'down' })),
      [
        { name: 'steady state after', passed: false, message: 'down' },
        {
          name: 'every fault reverted',
          passed: false,
          message: 'pause-api on api-0: EPERM; pause-api on api-0: not reverted',
        },
      ],
    );
  });
});
