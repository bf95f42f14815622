/**
 * The hypothesis, the verdict and junit.xml over hand-built series: exact values, which faults get the blame,
 * what "could not be measured" looks like, and how several load runners combine.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  type AssertionResult,
  type AssertionSpec,
  combineSeries,
  evaluateHypothesis,
  type HypothesisInputs,
  trimSeries,
} from '../../src/experiment/hypothesis.js';
import { renderJunit } from '../../src/experiment/junit.js';
import { HYPOTHESIS_KPIS } from '../../src/experiment/schema.js';
import { formatExperimentError, validateExperiment } from '../../src/experiment/validate.js';
import { decideVerdict } from '../../src/experiment/verdict.js';
import { bucketFrom, type LoadSeries, seriesFrom } from '../../src/load/samples.js';

/** 20 s at 100 req/s, 10 ms each; seconds 5–9 (the fault) 30 fail and the rest take 300 ms. */
function series(startMs = 0): LoadSeries {
  return seriesFrom(
    Array.from({ length: 20 }, (_, t) =>
      t >= 5 && t < 10
        ? bucketFrom({ t, outcomes: { ok: 70, '5xx': 30 }, latenciesMs: Array(70).fill(300) })
        : bucketFrom({ t, outcomes: { ok: 100 }, latenciesMs: Array(100).fill(10) }),
    ),
    { startMs },
  );
}

const fault = { name: 'kill', startMs: 5000, endMs: 10_000 };

function inputs(extra: Partial<HypothesisInputs> = {}): HypothesisInputs {
  return {
    load: { web: series() },
    faults: [fault],
    monitors: {},
    method: { startMs: 0, endMs: 20_000 },
    ...extra,
  };
}

const a = (x: Partial<AssertionSpec> & Pick<AssertionSpec, 'kpi'>): AssertionSpec => x as AssertionSpec;

/** Validation errors of a small experiment file whose hypothesis is `hypothesis` (YAML list lines). */
function hypothesisErrors(hypothesis: string): string[] {
  const r = validateExperiment(`title: hypothesis grammar
duration: 30s
targets:
  api: { type: process, command: node server.js }
load:
  - { name: web, type: http, url: "http://127.0.0.1:8080", rate: 10/s }
faults:
  - { name: kill, disruptor: process.kill, target: api, at: 5s, duration: 2s }
hypothesis:
${hypothesis}`);
  return r.ok ? [] : r.errors.map(formatExperimentError);
}

describe('evaluateHypothesis', () => {
  it('measures per phase and blames the fault active in the seconds that broke the promise', () => {
    const [err, p99, after] = evaluateHypothesis(
      [
        a({ kpi: 'error_rate', phase: 'during', below: '1%' }),
        a({ kpi: 'p99', phase: 'during', below: '100ms' }),
        a({ kpi: 'p99', phase: 'after', below: '100ms' }),
      ],
      inputs(),
    );
    assert.equal(err?.measured, 30);
    assert.equal(err?.unit, '%');
    assert.equal(err?.passed, false);
    assert.deepEqual(err?.faultsActive, ['kill']);
    assert.equal(err?.name, 'error_rate during < 1%');
    assert.ok(Math.abs((p99?.measured ?? 0) - 300) < 1);
    assert.equal(p99?.passed, false);
    assert.equal(after?.passed, true);
    assert.ok(Math.abs((after?.measured ?? 0) - 10) < 0.1);
  });

  it('time to recover: exact, and "never" with a note when the system never settles', () => {
    const [ttr] = evaluateHypothesis([a({ kpi: 'time_to_recover', below: '10s' })], inputs());
    assert.equal(ttr?.measured, 0, 'healthy from the first second after the fault');
    assert.equal(ttr?.passed, true);
    const broken = seriesFrom(
      series().buckets.map((b) =>
        b.t >= 5
          ? bucketFrom({ t: b.t, outcomes: { ok: 50, timeout: 50 }, latenciesMs: Array(50).fill(10) })
          : b,
      ),
    );
    const [never] = evaluateHypothesis(
      [a({ kpi: 'time_to_recover', below: '10s' })],
      inputs({ load: { web: broken } }),
    );
    assert.equal(never?.measured, null);
    assert.equal(never?.passed, false);
    assert.match(never?.note ?? '', /^never recovered/);
    assert.deepEqual(never?.faultsActive, ['kill']);
  });

  it('a fault that ends too close to the end is "not measured", not "never"', () => {
    const late = { name: 'late', startMs: 15_000, endMs: 18_000 };
    const [r] = evaluateHypothesis(
      [a({ kpi: 'time_to_recover', below: '10s' })],
      inputs({ faults: [fault, late] }),
    );
    assert.equal(r?.measured, null);
    assert.equal(r?.passed, false);
    assert.match(
      r?.note ?? '',
      /not measured: late ended 2\.0 s before the end of the method; recovery needs 5 s/,
    );
    assert.deepEqual(r?.faultsActive, ['late']);
  });

  it('recovered_when sets what healthy means', () => {
    const slowAfter = seriesFrom(
      series().buckets.map((b) =>
        b.t >= 10 && b.t < 13
          ? bucketFrom({ t: b.t, outcomes: { ok: 100 }, latenciesMs: Array(100).fill(80) })
          : b,
      ),
    );
    const strict = evaluateHypothesis(
      [a({ kpi: 'time_to_recover', below: '10s', recovered_when: { p99: '50ms', for: '5s' } })],
      inputs({ load: { web: slowAfter } }),
    );
    assert.equal(strict[0]?.measured, 3000, 'healthy again from second 13');
    const loose = evaluateHypothesis(
      [a({ kpi: 'time_to_recover', below: '10s', recovered_when: { p99: '100ms', for: '5s' } })],
      inputs({ load: { web: slowAfter } }),
    );
    assert.equal(loose[0]?.measured, 0);
  });

  it('max_downtime: the longest outage of a monitor, blamed on the faults during it', () => {
    const samples = Array.from({ length: 40 }, (_, i) => ({ tMs: i * 500, ok: !(i >= 12 && i < 16) }));
    const [d] = evaluateHypothesis(
      [a({ kpi: 'max_downtime', monitor: 'api', below: '1s' })],
      inputs({ monitors: { api: samples } }),
    );
    assert.equal(d?.measured, 2000);
    assert.equal(d?.passed, false);
    assert.deepEqual(d?.faultsActive, ['kill']);
  });

  it('says why when nothing could be measured', () => {
    const [none] = evaluateHypothesis([a({ kpi: 'p99', phase: 'after', below: '1s' })], inputs({ load: {} }));
    assert.equal(none?.measured, null);
    assert.equal(none?.passed, false);
    assert.equal(none?.note, 'no load was recorded');
  });

  it('several runners combine second by second: counts add, percentiles merge', () => {
    const c = combineSeries([series(0), series(0)]) as LoadSeries;
    assert.equal(c.buckets.length, 20);
    assert.equal(c.buckets[6]?.outcomes['5xx'], 60);
    const [tp] = evaluateHypothesis(
      [a({ kpi: 'throughput', phase: 'before', above: '150/s' })],
      inputs({ load: { a: series(0), b: series(0) } }),
    );
    assert.equal(tp?.measured, 200);
    assert.equal(tp?.passed, true);
  });

  it('trimSeries keeps the seconds mostly inside the window and renumbers them', () => {
    const t = trimSeries(series(0), 2400, 6000);
    // seconds 2..5: second 2 is 60% inside, second 6 not at all
    assert.deepEqual(
      t.buckets.map((b) => b.t),
      [0, 1, 2, 3],
    );
    assert.equal(t.buckets[3]?.outcomes['5xx'], 30, 'second 5 kept its counts');
    assert.equal(t.startMs, 2000);
  });
});

/**
 * 20 s at 100 req/s. Seconds 5–9 (the fault): 50 ok and 20 5xx answered (62 in 10 ms, 7 in 100 ms, 1 in 1 s),
 * 20 timeouts, 6 resets, 4 refused. After: 10 ms each, but second 12 has one 500 ms and one 2 s answer.
 */
function kpiSeries(): LoadSeries {
  const rep = (n: number, v: number) => Array.from({ length: n }, () => v);
  return seriesFrom(
    Array.from({ length: 20 }, (_, t) => {
      if (t >= 5 && t < 10)
        return bucketFrom({
          t,
          outcomes: { ok: 50, '5xx': 20, timeout: 20, reset: 6, refused: 4 },
          latenciesMs: [...rep(62, 10), ...rep(7, 100), 1000],
        });
      if (t === 12) return bucketFrom({ t, outcomes: { ok: 100 }, latenciesMs: [...rep(98, 10), 500, 2000] });
      return bucketFrom({ t, outcomes: { ok: 100 }, latenciesMs: rep(100, 10) });
    }),
  );
}

/** Within HDR's 3 significant digits. */
function near(actual: number | null | undefined, expected: number): void {
  assert.ok(
    actual != null && Math.abs(actual - expected) <= expected * 0.001 + 0.001,
    `${actual} ≉ ${expected}`,
  );
}

describe('evaluateHypothesis: p90, p99.9, max and error rates per outcome class', () => {
  const judged = evaluateHypothesis(
    [
      a({ kpi: 'p90', phase: 'during', below: '200ms' }),
      a({ kpi: 'p99.9', phase: 'after', below: '1s' }),
      a({ kpi: 'p99', phase: 'after', below: '1s' }),
      a({ kpi: 'max', phase: 'after', below: '1s' }),
      a({ kpi: 'error_rate.timeout', phase: 'during', below: '1%' }),
      a({ kpi: 'error_rate.5xx', phase: 'during', below: 0.25 }),
      a({ kpi: 'error_rate.reset', phase: 'during', above: '5%' }),
      a({ kpi: 'error_rate.refused', phase: 'during', below: '5%' }),
      a({ kpi: 'error_rate', phase: 'during', below: '1%' }),
      a({ kpi: 'error_rate.timeout', phase: 'before', below: '1%' }),
    ],
    inputs({ load: { web: kpiSeries() } }),
  );
  const [p90, p999, p99, max, timeout, e5xx, reset, refused, all, timeoutBefore] = judged;

  it('latency: p90 and p99.9 from the merged histograms, max the slowest answer', () => {
    assert.equal(p90?.name, 'p90 during < 200ms');
    near(p90?.measured, 100);
    assert.equal(p90?.unit, 'ms');
    assert.equal(p90?.passed, true);
    assert.equal(p999?.name, 'p99.9 after < 1s');
    near(p999?.measured, 500);
    assert.equal(p999?.passed, true);
    near(p99?.measured, 10);
    assert.equal(max?.name, 'max after < 1s');
    near(max?.measured, 2000);
    assert.equal(max?.passed, false);
    // second 12 broke it, with no fault active: the one that ended last before it gets the blame
    assert.deepEqual(max?.faultsActive, ['kill']);
  });

  it('error rate per class: its share of every completed request, in %, adding up to error_rate', () => {
    assert.equal(timeout?.name, 'error_rate.timeout during < 1%');
    assert.equal(timeout?.measured, 20);
    assert.equal(timeout?.unit, '%');
    assert.equal(timeout?.passed, false);
    assert.deepEqual(timeout?.faultsActive, ['kill']);
    assert.equal(e5xx?.measured, 20);
    assert.equal(e5xx?.passed, true);
    assert.equal(e5xx?.expected, '< 25%');
    assert.equal(reset?.measured, 6);
    assert.equal(reset?.passed, true);
    assert.equal(refused?.measured, 4);
    assert.equal(all?.measured, 50);
    assert.equal(
      [timeout, e5xx, reset, refused].reduce((n, x) => n + (x?.measured ?? 0), 0),
      all?.measured,
    );
    assert.equal(timeoutBefore?.measured, 0);
    assert.equal(timeoutBefore?.passed, true);
  });
});

describe('evaluateHypothesis: absorb', () => {
  const ttr = (extra: Partial<AssertionSpec>, faults: HypothesisInputs['faults'] = [fault]) =>
    evaluateHypothesis([a({ kpi: 'time_to_recover', below: '10s', ...extra })], inputs({ faults }))[0];

  it('an absorbed fault is measured from its start: the seconds it was active count', () => {
    assert.equal(ttr({})?.measured, 0, 'healthy from the first second after the end');
    assert.equal(ttr({ absorb: true })?.measured, 5000);
    assert.equal(ttr({ absorb: ['kill'] })?.measured, 5000);
    assert.equal(ttr({ absorb: ['other'] })?.measured, 0, 'only the faults named');
    assert.equal(ttr({ absorb: true, below: '3s' })?.passed, false);
  });

  it('a fault window marked absorb is measured from its start too', () => {
    assert.equal(ttr({}, [{ ...fault, absorb: true }])?.measured, 5000);
  });
});

describe('hypothesis grammar in the experiment file', () => {
  it('docs/experiments.md names every KPI an assertion accepts', () => {
    const doc = readFileSync(new URL('../../docs/experiments.md', import.meta.url), 'utf8');
    for (const kpi of HYPOTHESIS_KPIS) {
      const [, cls] = /^error_rate\.(.+)$/.exec(kpi) ?? [];
      assert.ok(cls === undefined ? doc.includes(`\`${kpi}\``) : doc.includes(`\`${cls}\``), kpi);
    }
  });

  it('accepts the new KPIs and absorb, and keeps the old names', () => {
    assert.deepEqual(
      hypothesisErrors(`  - { kpi: p90, phase: during, below: 200ms }
  - { kpi: p99.9, phase: after, below: 1s }
  - { kpi: max, phase: during, below: 2s }
  - { kpi: error_rate.timeout, phase: during, below: 1% }
  - { kpi: error_rate.5xx, phase: during, below: 0.01 }
  - { kpi: error_rate.reset, phase: after, below: 1% }
  - { kpi: error_rate.refused, phase: after, below: 1% }
  - { kpi: error_rate, phase: during, below: 1% }
  - { kpi: p50, phase: before, below: 10ms }
  - { kpi: p95, phase: before, below: 10ms }
  - { kpi: p99, phase: before, below: 10ms }
  - { kpi: throughput, phase: before, above: 5/s }
  - { kpi: time_to_recover, below: 10s, absorb: true }
  - { kpi: time_to_recover, below: 10s, absorb: [kill] }
`),
      [],
    );
  });

  it('checks them like the others: a phase, a bound of the right kind, absorb only where it means something', () => {
    const found = hypothesisErrors(`  - { kpi: error_rate.timeout, below: 1% }
  - { kpi: error_rate.timeout, phase: during, below: 200ms }
  - { kpi: p99.9, phase: after, below: 1% }
  - { kpi: p99, phase: after, below: 1s, absorb: true }
  - { kpi: time_to_recover, below: 10s, absorb: [kil] }
`);
    const expect = [
      /hypothesis\[0\]\.phase: required for error_rate\.timeout/,
      /hypothesis\[1\]\.below: expected a percentage/,
      /hypothesis\[2\]\.below: /,
      /hypothesis\[3\]\.absorb: only applies to time_to_recover/,
      /hypothesis\[4\]\.absorb\[0\]: unknown fault 'kil'; defined: kill/,
    ];
    for (const re of expect)
      assert.ok(
        found.some((e) => re.test(e)),
        `${re} not in:\n${found.join('\n')}`,
      );
    // an unknown KPI names the known ones
    const [unknown] = hypothesisErrors('  - { kpi: p99.99, phase: after, below: 1s }\n');
    assert.match(unknown ?? '', /hypothesis\[0\]\.kpi: .*"error_rate\.timeout".*"p99\.9"/);
  });
});

describe('decideVerdict', () => {
  const ok = {
    name: 'x',
    kpi: 'p99',
    expected: '< 1 ms',
    measured: 0.5,
    unit: 'ms',
    passed: true,
    faultsActive: [],
  };
  it('not-ready beats aborted beats fail beats pass, with exit codes 4, 3, 1, 0', () => {
    assert.equal(
      decideVerdict({ notReady: 'x', aborted: 'y', assertions: [], failedReverts: [] }).exitCode,
      4,
    );
    assert.equal(decideVerdict({ aborted: 'y', assertions: [], failedReverts: [] }).verdict, 'aborted');
    const fail = decideVerdict({
      assertions: [{ ...ok, passed: false, faultsActive: ['kill'] }],
      failedReverts: [],
    });
    assert.equal(fail.exitCode, 1);
    assert.equal(fail.reason, 'x: measured 0.5 ms (faults: kill)');
    const pass = decideVerdict({ assertions: [ok], steadyAfter: { ok: true }, failedReverts: [] });
    assert.equal(pass.verdict, 'pass');
    assert.equal(pass.reason, 'all 1 assertion held and the steady state came back');
  });
  it('a failed revert fails a run that otherwise passed, by name', () => {
    const v = decideVerdict({
      assertions: [ok],
      failedReverts: [
        { id: 'f.0.a-0', type: 'command', ok: false, attempts: 3, fault: 'f', instance: 'a-0' },
      ],
    });
    assert.equal(v.verdict, 'fail');
    assert.match(v.reason, /REVERT FAILED for f on a-0/);
  });
});

describe('renderJunit', () => {
  it('one testcase per assertion and check, escaped, failures counted', () => {
    const xml = renderJunit({
      title: 'a <b> & "c"',
      verdict: 'fail',
      reason: 'r',
      durationSec: 1.5,
      assertions: [
        {
          name: 'p99 < 1ms',
          kpi: 'p99',
          expected: '< 1ms',
          measured: 3,
          unit: 'ms',
          passed: false,
          faultsActive: ['k'],
        },
      ],
      checks: [{ name: 'every fault reverted', passed: true }],
    });
    assert.match(
      xml,
      /<testsuite name="a &lt;b&gt; &amp; &quot;c&quot;" tests="2" failures="1" time="1.500">/,
    );
    assert.match(xml, /<failure message="expected &lt; 1ms, 3 ms">faults active: k<\/failure>/);
    assert.match(xml, /name="every fault reverted"><\/testcase>/);
  });
});

describe('evaluateHypothesis: the baseline', () => {
  /** 20 s at 100 req/s: 300 ms answers before the fault (seconds 0–4), 400 ms during it, 300 ms after. */
  const slow = (): LoadSeries =>
    seriesFrom(
      Array.from({ length: 20 }, (_, t) =>
        bucketFrom({ t, outcomes: { ok: 100 }, latenciesMs: Array(100).fill(t >= 5 && t < 10 ? 400 : 300) }),
      ),
    );

  it('a promise already broken before the first fault says so, in the result, the verdict and junit', () => {
    const [during, after, before] = evaluateHypothesis(
      [
        a({ kpi: 'p99', phase: 'during', below: '250ms' }),
        a({ kpi: 'p99', phase: 'after', below: '250ms' }),
        a({ kpi: 'p99', phase: 'before', below: '250ms' }),
      ],
      inputs({ load: { web: slow() } }),
    );
    assert.equal(during?.passed, false);
    assert.match(during?.note ?? '', /^baseline already outside the promise: p99 before 300(\.\d+)? ms$/);
    assert.deepEqual(during?.faultsActive, ['kill'], 'the faults active are still listed');
    assert.match(after?.note ?? '', /^baseline already outside the promise/);
    assert.equal(before?.passed, false);
    assert.equal(before?.note, undefined, 'the before phase is the baseline itself');
    const v = decideVerdict({ assertions: [during as AssertionResult], failedReverts: [] });
    assert.match(
      v.reason,
      /^p99 during < 250ms: measured \d+ ms \(baseline already outside the promise: p99 before \d+(\.\d+)? ms\), faults active: kill$/,
    );
    const xml = renderJunit({
      title: 't',
      verdict: 'fail',
      reason: v.reason,
      durationSec: 1,
      assertions: [during as AssertionResult],
      checks: [],
    });
    assert.match(xml, /<failure message="expected &lt; 250ms, \d+ ms \(baseline already outside the promise/);
  });

  it('no note when the baseline kept the promise and only the fault broke it', () => {
    const [p99] = evaluateHypothesis([a({ kpi: 'p99', phase: 'during', below: '100ms' })], inputs());
    assert.equal(p99?.passed, false);
    assert.equal(p99?.note, undefined);
  });

  it('bounds relative to the before phase: "2x before", resolved in expected', () => {
    const [during, after, tp, err] = evaluateHypothesis(
      [
        a({ kpi: 'p99', phase: 'during', below: '2x before' }),
        a({ kpi: 'p99', phase: 'after', below: '1.5x before' }),
        a({ kpi: 'throughput', phase: 'during', above: '0.5 x before' }),
        a({ kpi: 'error_rate', phase: 'during', below: '2x before' }),
      ],
      inputs(),
    );
    // before: 10 ms; during: 300 ms (the fault's seconds), after: 10 ms
    assert.equal(during?.name, 'p99 during < 2x before');
    assert.equal(during?.passed, false);
    assert.match(during?.expected ?? '', /^< 2x before \(20(\.\d+)? ms\)$/);
    assert.equal(during?.note, undefined, 'a relative bound never blames the baseline');
    assert.equal(after?.passed, true);
    assert.equal(tp?.passed, true, 'throughput during (100/s) above half of before (100/s)');
    assert.equal(tp?.expected, '> 0.5x before (50 req/s)');
    // 0% errors before: any error during breaks "2x before"
    assert.equal(err?.passed, false);
    assert.equal(err?.measured, 30);
  });

  it('a relative bound without a before phase cannot be judged, and says why', () => {
    const early = { name: 'early', startMs: 0, endMs: 3000 };
    const [r] = evaluateHypothesis(
      [a({ kpi: 'p99', phase: 'during', below: '2x before' })],
      inputs({ faults: [early] }),
    );
    assert.equal(r?.measured, null);
    assert.equal(r?.passed, false);
    assert.match(r?.note ?? '', /^no baseline: nothing measured in phase before/);
  });
});

describe('relative bounds in the experiment file', () => {
  it('accepts "Nx before" on load KPIs during and after', () => {
    assert.deepEqual(
      hypothesisErrors(`  - { kpi: p99, phase: during, below: 2x before }
  - { kpi: p50, phase: after, below: 1.5x before }
  - { kpi: throughput, phase: during, above: 0.8x before }
  - { kpi: error_rate, phase: after, below: 2 x before }
`),
      [],
    );
  });

  it('refuses it where it means nothing', () => {
    const found = hypothesisErrors(`  - { kpi: p99, phase: before, below: 2x before }
  - { kpi: time_to_recover, below: 2x before }
  - { kpi: p99, phase: during, below: 0x before }
  - { kpi: p99, phase: during, below: 2x after }
`);
    const expect = [
      /hypothesis\[0\]\.below: 2x before compares the before phase with itself/,
      /hypothesis\[1\]\.below: a bound relative to before \(2x before\) only applies to load KPIs/,
      /hypothesis\[2\]\.below: the factor must be greater than 0/,
      /hypothesis\[3\]\.below: /,
    ];
    for (const re of expect)
      assert.ok(
        found.some((e) => re.test(e)),
        `${re} not in:\n${found.join('\n')}`,
      );
  });
});
