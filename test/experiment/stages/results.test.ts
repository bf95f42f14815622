/**
 * The results stage from hand-built inputs: fault windows and report phases, KPIs, the verdict and the result
 * object, with the end time passed in (no clock, no processes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultRun } from '../../../src/experiment/executor.js';
import { planExperiment } from '../../../src/experiment/plan.js';
import type { ExperimentSpec } from '../../../src/experiment/schema.js';
import {
  buildResult,
  failedReverts,
  faultWindows,
  monitorTarget,
  type ResultInputs,
  reportPhases,
} from '../../../src/experiment/stages/results.js';
import { validateExperiment } from '../../../src/experiment/validate.js';
import { bucketFrom, type LoadSeries, seriesFrom } from '../../../src/load/samples.js';

const text = `title: stages
description: "  a paused api  "
seed: 1
duration: 10s
targets:
  api: { type: attach, pid_files: [/nonexistent/api.pid] }
monitors:
  api: { type: http, url: "http://127.0.0.1:1/health" }
load:
  - { name: clients, type: http, url: "http://127.0.0.1:1/", rate: 10/s }
faults:
  - { name: pause-api, disruptor: process.pause, target: api, at: 2s, duration: 3s }
hypothesis:
  - { kpi: error_rate, phase: during, below: 10% }
`;

function spec(): ExperimentSpec {
  const v = validateExperiment(text);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.spec;
}

function run(over: Partial<FaultRun> = {}): FaultRun {
  return {
    id: 'f1',
    fault: 'pause-api',
    disruptor: 'process.pause',
    target: 'api',
    occurrence: 0,
    instance: 'api-0',
    status: 'applied',
    startMs: 14_000,
    endMs: 17_000,
    detail: 'process.pause',
    ...over,
  };
}

/** Ten seconds of load from epoch 10 s; seconds listed in `failing` are all refused. */
function load(failing: number[]): LoadSeries {
  const buckets = Array.from({ length: 10 }, (_, t) =>
    failing.includes(t)
      ? bucketFrom({ t, outcomes: { refused: 10 } })
      : bucketFrom({ t, outcomes: { ok: 10 }, latenciesMs: Array(10).fill(5) }),
  );
  return seriesFrom(buckets, { startMs: 10_000 });
}

function inputs(over: Partial<ResultInputs> = {}): ResultInputs {
  const s = spec();
  return {
    spec: s,
    plan: planExperiment(s, 1),
    seed: 1,
    command: 'faultline run stages.yaml --seed 1',
    startedMs: 9_000,
    endedMs: 21_000,
    events: [{ tMs: 9_000, kind: 'run.started', message: 'stages (seed 1)' }],
    method: { startMs: 10_000, endMs: 20_000 },
    faultRuns: [run()],
    reverts: [{ id: 'f1', type: 'process.pause', ok: true, attempts: 1 }],
    loadSeries: { clients: load([]) },
    samples: { api: [] },
    monitors: s.monitors,
    ...over,
  };
}

describe('fault windows and report phases', () => {
  it('applied faults only, each cut at the end of the method', () => {
    const runs = [
      run(),
      run({ id: 'f2', startMs: 18_000, endMs: null }),
      run({ id: 'f3', status: 'failed' }),
      run({ id: 'f4', status: 'dropped' }),
    ];
    assert.deepEqual(faultWindows(runs, 20_000), [
      { name: 'pause-api', startMs: 14_000, endMs: 17_000 },
      { name: 'pause-api', startMs: 18_000, endMs: 20_000 },
    ]);
  });

  it('before up to the first fault, during to the last one’s end, after to the method’s end', () => {
    const method = { startMs: 10_000, endMs: 20_000 };
    const windows = [
      { startMs: 15_000, endMs: 16_000 },
      { startMs: 13_000, endMs: 14_000 },
    ];
    assert.deepEqual(reportPhases(method, windows), {
      before: { startMs: 10_000, endMs: 13_000 },
      during: { startMs: 13_000, endMs: 16_000 },
      after: { startMs: 16_000, endMs: 20_000 },
    });
    assert.deepEqual(reportPhases(method, []), { before: method }, 'no fault: the whole method is before');
    assert.deepEqual(reportPhases(undefined, windows), {}, 'no method: no phases');
  });

  it('a revert that failed is named with its error, else the rollback’s, else "not reverted"', () => {
    const stuck = [
      run({ endMs: null, error: 'EPERM' }),
      run({ id: 'f2', endMs: null }),
      run({ id: 'f3', endMs: null }),
    ];
    const reverts = [{ id: 'f2', type: 'process.pause', ok: false, attempts: 3, error: 'ESRCH' }];
    assert.deepEqual(
      failedReverts(stuck, reverts).map((r) => [r.id, r.attempts, r.error]),
      [
        ['f1', 0, 'EPERM'],
        ['f2', 3, 'ESRCH'],
        ['f3', 0, 'not reverted'],
      ],
    );
    assert.deepEqual(failedReverts([run()], []), []);
  });

  it('a monitor’s target is what it looks at', () => {
    assert.equal(monitorTarget(spec().monitors, 'api'), 'http://127.0.0.1:1/health');
    assert.equal(monitorTarget(spec().monitors, 'nope'), undefined);
  });
});

describe('buildResult', () => {
  it('passes when the hypothesis holds, with KPIs per phase and result.json’s fields in order', () => {
    const i = inputs();
    const r = buildResult(i);
    assert.equal(r.verdict, 'pass');
    assert.equal(r.exitCode, 0);
    assert.equal(r.reason, 'all 1 assertion held');
    assert.deepEqual(Object.keys(r), [
      ...['format', 'title', 'description', 'seed', 'command', 'verdict', 'reason', 'exitCode'],
      ...['startedMs', 'endedMs', 'phases', 'load', 'faults', 'monitors', 'assertions', 'events'],
      ...['spec', 'plan', 'steadyState', 'faultRuns', 'reverts'],
    ]);
    assert.equal(r.description, 'a paused api');
    assert.deepEqual(r.phases.during, { startMs: 14_000, endMs: 17_000 });
    assert.equal(r.load[0]?.kpis.during.errorRate, 0);
    assert.deepEqual(r.faults, [
      { name: 'pause-api', target: 'api-0', startMs: 14_000, endMs: 17_000, detail: 'process.pause' },
    ]);
    assert.deepEqual(r.monitors[0]?.target, 'http://127.0.0.1:1/health');
    assert.notEqual(r.events, i.events, 'the events as they were, not the live list');
    assert.deepEqual(r.events, i.events);
  });

  it('fails on errors during the fault, naming it', () => {
    const r = buildResult(inputs({ loadSeries: { clients: load([4, 5, 6]) } }));
    assert.equal(r.verdict, 'fail');
    assert.equal(r.exitCode, 1);
    assert.match(r.reason ?? '', /^error_rate during < 10%: measured 100% \(faults: pause-api\)$/);
  });

  it('not ready: nothing judged, no phases, exit 4', () => {
    const r = buildResult(
      inputs({ notReady: 'steady state before: api down', method: undefined, faultRuns: [], reverts: [] }),
    );
    assert.deepEqual(
      [r.verdict, r.exitCode, r.reason],
      ['not-ready', 4, 'not ready: steady state before: api down'],
    );
    assert.deepEqual(r.assertions, []);
    assert.deepEqual(r.phases, {});
  });

  it('aborted with a fault still applied: exit 3, the revert failure named loudly', () => {
    const r = buildResult(inputs({ aborted: 'stopped', faultRuns: [run({ endMs: null, error: 'EPERM' })] }));
    assert.equal(r.verdict, 'aborted');
    assert.equal(r.exitCode, 3);
    assert.equal(
      r.reason,
      'aborted: stopped; REVERT FAILED for pause-api on api-0: still applied, run `faultline recover`',
    );
    assert.deepEqual(r.phases.during, { startMs: 14_000, endMs: 20_000 }, 'cut at the method’s end');
  });

  it('a steady state that did not come back fails the run; warm-up and steady states are kept', () => {
    const after = { ok: false, rounds: 3, tookMs: 5000, probes: [], reason: 'api down' };
    const warmup = { minMs: 1000, maxMs: 30_000, tookMs: 1000, settled: true, reason: 'no load to settle' };
    const r = buildResult(inputs({ steadyAfter: after, warmup }));
    assert.equal(r.verdict, 'fail');
    assert.equal(r.reason, 'steady state did not come back: api down');
    assert.deepEqual(r.steadyState, { after });
    assert.deepEqual(r.warmup, warmup);
  });
});
