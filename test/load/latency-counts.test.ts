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
