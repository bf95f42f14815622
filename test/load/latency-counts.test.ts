import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LatencyCounts } from '../../src/load/latency-counts.js';
import { createLatencyHistogram, recordLatencyUs, summarizeLatency } from '../../src/load/samples.js';

describe('LatencyCounts', () => {
  it('summarises and encodes exactly like recording into hdr-histogram-js', () => {
    const latency = fc.oneof(
      fc.double({ min: 0, max: 5000, noNaN: true }),
      fc.double({ min: 0, max: 4e9, noNaN: true }),
      fc.integer({ min: 2040, max: 2060 }),
      fc.constantFrom(0, 1, 1023, 1024, 2047, 2048, 4095, 4096, 3_600_000_000),
    );
    fc.assert(
      fc.property(fc.array(latency, { maxLength: 300 }), (values) => {
        const direct = createLatencyHistogram();
        const counts = new LatencyCounts();
        for (const v of values) {
          recordLatencyUs(direct, v);
          counts.record(v);
        }
        assert.equal(counts.count, values.length);
        assert.deepEqual(summarizeLatency(counts.toHistogram()), summarizeLatency(direct));
      }),
      { numRuns: 300 },
    );
  });
});

describe('LatencyCounts percentile, max and reset', () => {
  it('gives the percentiles and maximum hdr-histogram-js gives for the same values', () => {
    const latency = fc.oneof(
      fc.double({ min: 0, max: 5000, noNaN: true }),
      fc.double({ min: 0, max: 4e9, noNaN: true }),
      fc.constantFrom(1, 2047, 2048, 2049, 4096, 3_600_000_000),
    );
    fc.assert(
      fc.property(
        fc.array(latency, { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0, 1, 50, 90, 99, 99.9, 100, 33.3),
        (values, p) => {
          const direct = createLatencyHistogram();
          const counts = new LatencyCounts();
          for (const v of values) {
            recordLatencyUs(direct, v);
            counts.record(v);
          }
          assert.equal(counts.max, direct.maxValue);
          assert.equal(counts.percentile(p), direct.getValueAtPercentile(p));
          assert.ok(counts.percentile(p) >= 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('forgets everything on reset, and records afresh after it', () => {
    const counts = new LatencyCounts();
    assert.equal(counts.percentile(99), 0);
    for (const v of [5, 700, 90_000]) counts.record(v);
    counts.reset();
    assert.equal(counts.count, 0);
    assert.equal(counts.max, 0);
    assert.equal(counts.percentile(50), 0);
    counts.record(3);
    assert.equal(counts.count, 1);
    assert.equal(counts.percentile(50), 3);
    assert.equal(counts.max, 3);
  });
});
