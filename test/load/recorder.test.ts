import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeriesRecorder } from '../../src/load/recorder.js';
import {
  createLatencyHistogram,
  recordLatencyUs,
  summarizeLatency,
  totalOutcomes,
} from '../../src/load/samples.js';

describe('SeriesRecorder', () => {
  it('records per bucket what hdr-histogram-js would, across a seal and a late completion', () => {
    const rec = new SeriesRecorder({ startMs: 1000, epochStartMs: 5000, model: 'open', target: 't' });
    const expected = [createLatencyHistogram(), createLatencyHistogram()];
    const latencies = [
      [120, 3_500, 80_000.4, 2_047.6],
      [5, 999_999],
    ];
    for (const [t, list] of latencies.entries()) {
      for (const us of list) {
        rec.sent(t);
        rec.completed(t, 'ok', us);
        recordLatencyUs(expected[t]!, us);
      }
    }
    // A request of bucket 0 still in flight while bucket 0 is sealed, then completing late.
    rec.sent(0);
    rec.sent(0);
    rec.completed(0, 'timeout', -1);
    rec.seal(1000 + 2500);
    rec.completed(0, '5xx', 1_234_567);
    recordLatencyUs(expected[0]!, 1_234_567);
    rec.seal(1000 + 2500);
    const s = rec.series();
    assert.equal(s.buckets.length, 2);
    assert.deepEqual(s.buckets[0]?.latency, summarizeLatency(expected[0]!));
    assert.deepEqual(s.buckets[1]?.latency, summarizeLatency(expected[1]!));
    assert.equal(s.buckets[0]?.outcomes.ok, 4);
    assert.equal(s.buckets[0]?.outcomes['5xx'], 1);
    assert.equal(s.buckets[0]?.outcomes.timeout, 1);
    for (const b of s.buckets) assert.equal(b.sent, totalOutcomes(b.outcomes));
    assert.equal(rec.inFlight(), 0);
  });
});
