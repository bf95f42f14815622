import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketFrom, seriesFrom } from '../../src/load/samples.js';
import { checkThresholds, formatThresholdResult, parseThreshold } from '../../src/load/thresholds.js';

describe('load thresholds', () => {
  it('parses every metric, operator and limit form, spaces allowed', () => {
    const cases: [string, string, string, number][] = [
      ['error_rate<1%', 'error_rate', '<', 0.01],
      ['error_rate <= 0.05', 'error_rate', '<=', 0.05],
      ['error_rate.timeout<0.5%', 'error_rate.timeout', '<', 0.005],
      ['p50<200ms', 'p50', '<', 200],
      ['p90<=1.5s', 'p90', '<=', 1500],
      ['p95>10', 'p95', '>', 10],
      ['p99 >= 250us', 'p99', '>=', 0.25],
      ['p99.9<2s', 'p99.9', '<', 2000],
      ['max<1m', 'max', '<', 60_000],
      ['throughput>=500/s', 'throughput', '>=', 500],
      ['throughput>600/m', 'throughput', '>', 10],
      ['throughput>0', 'throughput', '>', 0],
    ];
    for (const [text, metric, op, limit] of cases) {
      const t = parseThreshold(text);
      assert.equal(t.metric, metric, text);
      assert.equal(t.op, op, text);
      assert.ok(Math.abs(t.limit - limit) < 1e-9, `${text}: ${t.limit}`);
      assert.equal(t.expression, text.replace(/\s+/g, ''));
    }
  });

  it('refuses bad expressions naming the option and quoting the text', () => {
    for (const text of [
      '',
      'p99',
      'p99=200ms',
      'p99<<1s',
      'latency<1s',
      'p99<fast',
      'error_rate<101%',
      'error_rate<2',
    ]) {
      assert.throws(
        () => parseThreshold(text),
        (err: Error) => err.message.startsWith(`--threshold: '${text}': `),
        text,
      );
    }
  });

  it('judges over the whole series; a metric nothing measured breaks its threshold', () => {
    const answered = seriesFrom([
      bucketFrom({
        t: 0,
        outcomes: { ok: 9, '5xx': 1 },
        latenciesMs: [10, 10, 10, 10, 10, 10, 10, 10, 10, 300],
      }),
      bucketFrom({ t: 1, outcomes: { ok: 10 }, latenciesMs: Array(10).fill(20) }),
    ]);
    const results = checkThresholds(
      [
        'error_rate<1%',
        'error_rate<=5%',
        'p50<25ms',
        'max>=300ms',
        'throughput>10/s',
        'throughput>=10/s',
      ].map((t) => parseThreshold(t)),
      answered,
    );
    assert.deepEqual(
      results.map((r) => [r.expression, r.ok]),
      [
        ['error_rate<1%', false],
        ['error_rate<=5%', true],
        ['p50<25ms', true],
        ['max>=300ms', true],
        ['throughput>10/s', false],
        ['throughput>=10/s', true],
      ],
    );
    assert.equal(formatThresholdResult(results[0]!), 'error_rate<1%: measured 5.00%');

    const nothingAnswered = seriesFrom([bucketFrom({ t: 0, outcomes: { other: 5 } })]);
    const [p99, errors] = checkThresholds(
      [parseThreshold('p99<1s'), parseThreshold('error_rate<=100%')],
      nothingAnswered,
    );
    assert.deepEqual([p99?.value, p99?.ok], [null, false]);
    assert.equal(formatThresholdResult(p99!), 'p99<1s: not measured (no request was answered)');
    assert.deepEqual([errors?.value, errors?.ok], [1, true]);

    const empty = seriesFrom([]);
    const [rate] = checkThresholds([parseThreshold('error_rate<1%')], empty);
    assert.equal(formatThresholdResult(rate!), 'error_rate<1%: not measured (no request completed)');
  });
});
