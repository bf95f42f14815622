import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as hdr from 'hdr-histogram-js';
import {
  createLatencyHistogram,
  decodeLatency,
  mergeLatency,
  recordLatencyUs,
  summarizeLatency,
} from '../../src/load/samples.js';

/** hdr-histogram-js's own mean getter, the reference for the faster one. */
const libraryMean = Object.getOwnPropertyDescriptor(hdr.JsHistogram.prototype, 'mean')?.get as (
  this: unknown,
) => number;

const latencies = fc.array(
  fc.oneof(fc.double({ min: 0, max: 20_000, noNaN: true }), fc.double({ min: 0, max: 4e9, noNaN: true })),
  { maxLength: 200 },
);

describe('latency histograms', () => {
  it("have exactly hdr-histogram-js's mean, computed without its iterator", () => {
    fc.assert(
      fc.property(latencies, (values) => {
        const h = createLatencyHistogram();
        for (const v of values) recordLatencyUs(h, v);
        assert.equal(h.mean, libraryMean.call(h));
      }),
      { numRuns: 200 },
    );
  });

  it("decode and merge as hdr-histogram-js's own histograms do", () => {
    const library = () =>
      hdr.build({
        bitBucketSize: 32,
        lowestDiscernibleValue: 1,
        highestTrackableValue: 3_600_000_000,
        numberOfSignificantValueDigits: 3,
        autoResize: false,
        useWebAssembly: false,
      });
    const decode = (encoded: string) => hdr.decodeFromCompressedBase64(encoded, 32, false);
    fc.assert(
      fc.property(latencies, latencies, (a, b) => {
        const [ha, hb] = [createLatencyHistogram(), createLatencyHistogram()];
        for (const v of a) recordLatencyUs(ha, v);
        for (const v of b) recordLatencyUs(hb, v);
        const [sa, sb] = [summarizeLatency(ha), summarizeLatency(hb)];
        const reference = library();
        if (sa.count > 0) {
          assert.deepEqual(summarizeLatency(decodeLatency(sa.hdr)), summarizeLatency(decode(sa.hdr)));
          reference.add(decode(sa.hdr));
        }
        if (sb.count > 0) reference.add(decode(sb.hdr));
        assert.deepEqual(summarizeLatency(mergeLatency([sa, sb])), summarizeLatency(reference));
      }),
      { numRuns: 100 },
    );
  });
});
