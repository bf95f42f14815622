import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import {
  PromParseError,
  parsePromText,
  selectPromSamples,
} from '../../../../src/plugins/monitors/support/prom-text.js';

describe('Prometheus text parser', () => {
  it('reads what prom-client writes: escaped label values, HELP/TYPE, histogram buckets, summaries', async () => {
    const registry = new Registry();
    const g = new Gauge({
      name: 'queue_depth',
      help: 'Jobs waiting.\nSecond line \\ slash',
      labelNames: ['queue'],
      registers: [registry],
    });
    g.set({ queue: 'say "hi"\\now\nthen' }, 7);
    g.set({ queue: 'plain' }, 3);
    const c = new Counter({
      name: 'jobs_total',
      help: 'Jobs done',
      labelNames: ['status'],
      registers: [registry],
    });
    c.inc({ status: 'ok' }, 5);
    const h = new Histogram({
      name: 'req_seconds',
      help: 'Latency',
      buckets: [0.1, 0.5],
      registers: [registry],
    });
    h.observe(0.05);
    h.observe(0.3);
    h.observe(2);
    const s = new Summary({ name: 'size_bytes', help: 'Sizes', percentiles: [0.5], registers: [registry] });
    s.observe(10);
    const text = await registry.metrics();
    const e = parsePromText(text);

    assert.equal(e.types.queue_depth, 'gauge');
    assert.equal(e.types.req_seconds, 'histogram');
    assert.equal(e.help.queue_depth, 'Jobs waiting.\nSecond line \\ slash');
    const tricky = selectPromSamples(e, 'queue_depth', { queue: 'say "hi"\\now\nthen' });
    assert.equal(tricky.length, 1);
    assert.equal(tricky[0]?.value, 7);
    assert.equal(selectPromSamples(e, 'queue_depth', { queue: 'plain' })[0]?.value, 3);
    assert.equal(selectPromSamples(e, 'jobs_total', { status: 'ok' })[0]?.value, 5);
    const buckets = selectPromSamples(e, 'req_seconds_bucket');
    assert.deepEqual(
      buckets.map((b) => [b.labels.le, b.value]),
      [
        ['0.1', 1],
        ['0.5', 2],
        ['+Inf', 3],
      ],
    );
    assert.equal(selectPromSamples(e, 'req_seconds_count')[0]?.value, 3);
    assert.equal(selectPromSamples(e, 'req_seconds_sum')[0]?.value, 2.35);
    assert.equal(selectPromSamples(e, 'size_bytes', { quantile: '0.5' })[0]?.value, 10);
  });

  it('handles comments, blank lines, special values, timestamps, spacing and a trailing comma', () => {
    const e = parsePromText(
      [
        '# a free comment',
        '',
        'up 1',
        'temp{room="a",} NaN',
        'x{ a = "1" , b="2"}  +Inf  1700000000000',
        'y -Inf',
        'z 1.5e3\r',
      ].join('\n'),
    );
    assert.equal(e.samples.length, 5);
    assert.ok(Number.isNaN(e.samples[1]?.value));
    assert.deepEqual(e.samples[1]?.labels, { room: 'a' });
    assert.deepEqual(e.samples[2], {
      name: 'x',
      labels: { a: '1', b: '2' },
      value: Infinity,
      timestampMs: 1700000000000,
    });
    assert.equal(e.samples[3]?.value, -Infinity);
    assert.equal(e.samples[4]?.value, 1500);
  });

  it('names the line of malformed input', () => {
    const bad = [
      'm{a="1} 2',
      'm{a=1} 2',
      'm 1 2 3',
      'm{a="\\x"} 1',
      'm abc',
      '{a="1"} 1',
      'm{a="1",a="2"} 1',
    ];
    for (const line of bad) {
      assert.throws(
        () => parsePromText(`ok 1\n${line}\n`),
        (err: unknown) => err instanceof PromParseError && err.line === 2,
        line,
      );
    }
  });
});
