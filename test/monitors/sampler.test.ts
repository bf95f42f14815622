import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startMonitors } from '../../src/monitors/sampler.js';
import type { Monitor, MonitorSample, SampleResult } from '../../src/monitors/types.js';
import { FakeClock, flush } from './fake-clock.js';

/** A monitor whose samples the test finishes by hand. */
function manualMonitor() {
  const pending: Array<{ resolve: (r: SampleResult) => void; signal: AbortSignal }> = [];
  let active = 0;
  let maxActive = 0;
  const monitor: Monitor = {
    sample(ctx) {
      active++;
      maxActive = Math.max(maxActive, active);
      return new Promise<SampleResult>((resolve) => {
        pending.push({
          resolve: (r) => {
            active--;
            resolve(r);
          },
          signal: ctx.signal,
        });
      });
    },
  };
  return { monitor, pending, maxActive: () => maxActive };
}

describe('startMonitors', () => {
  it('samples every interval on the injected clock, dating samples by it', async () => {
    const clock = new FakeClock(0);
    const samples: MonitorSample[] = [];
    const stop = new AbortController();
    let n = 0;
    const monitor: Monitor = { sample: async () => ({ ok: true, value: n++ }) };
    const run = startMonitors(
      { a: { monitor } },
      { clock, intervalMs: 100, signal: stop.signal, onSample: (_n, s) => samples.push(s) },
    );
    await clock.advance(350);
    stop.abort();
    await run.done;
    assert.deepEqual(
      samples.map((s) => [s.tMs, s.value, s.ok]),
      [
        [0, 0, true],
        [100, 1, true],
        [200, 2, true],
        [300, 3, true],
      ],
    );
    assert.equal(clock.pending, 0, 'no timer left behind');
  });

  it('records a sample slower than its timeout as down at the timeout, and aborts it', async () => {
    const clock = new FakeClock(0);
    const m = manualMonitor();
    const samples: MonitorSample[] = [];
    const stop = new AbortController();
    const run = startMonitors(
      { slow: { monitor: m.monitor, intervalMs: 100, timeoutMs: 50 } },
      { clock, signal: stop.signal, onSample: (_n, s) => samples.push(s) },
    );
    await clock.advance(60);
    assert.equal(samples.length, 1);
    assert.deepEqual(
      samples[0],
      { tMs: 50, ok: false, latencyMs: 50, error: 'timed out after 50 ms' },
      'dated at the timeout, when it was known to be down',
    );
    assert.equal(m.pending[0]?.signal.aborted, true, 'the slow sample was asked to stop');
    // It ignores the abort and answers "ok" late: still down, and no second sample started meanwhile.
    await clock.advance(200);
    assert.equal(m.pending.length, 1, 'no overlapping sample while the first is still running');
    m.pending[0]?.resolve({ ok: true });
    await flush();
    assert.equal(samples.length, 1);
    assert.equal(m.pending.length, 2, 'the next sample starts once the slow one let go');
    m.pending[1]?.resolve({ ok: true, value: 7 });
    await flush();
    assert.equal(samples[1]?.ok, true);
    assert.equal(samples[1]?.value, 7);
    assert.equal(m.maxActive(), 1);
    stop.abort();
    await run.done;
  });

  it('a sample longer than the interval delays the next instead of overlapping it', async () => {
    const clock = new FakeClock(0);
    const m = manualMonitor();
    const samples: MonitorSample[] = [];
    const stop = new AbortController();
    const run = startMonitors(
      { m: { monitor: m.monitor, intervalMs: 100, timeoutMs: 1000 } },
      { clock, signal: stop.signal, onSample: (_n, s) => samples.push(s) },
    );
    await clock.advance(250);
    assert.equal(m.pending.length, 1);
    m.pending[0]?.resolve({ ok: true });
    await flush();
    assert.equal(m.pending.length, 2, 'next sample at once: its slot has passed');
    assert.deepEqual(
      samples.map((s) => [s.tMs, s.latencyMs]),
      [[250, 250]],
      'dated when the answer came',
    );
    stop.abort();
    assert.equal(m.pending[1]?.signal.aborted, true, 'stop aborts the sample in flight');
    m.pending[1]?.resolve({ ok: false, error: 'aborted' });
    await run.done;
    assert.equal(samples.length, 1, 'the sample aborted by stop is not reported');
    assert.equal(m.maxActive(), 1);
  });

  it('a monitor that throws gives a down sample with the message', async () => {
    const clock = new FakeClock(0);
    const samples: MonitorSample[] = [];
    const stop = new AbortController();
    const monitor: Monitor = {
      sample: async () => {
        throw new Error('boom');
      },
    };
    const run = startMonitors(
      { x: { monitor } },
      { clock, intervalMs: 10, signal: stop.signal, onSample: (_n, s) => samples.push(s) },
    );
    await clock.advance(5);
    stop.abort();
    await run.done;
    assert.equal(samples[0]?.ok, false);
    assert.equal(samples[0]?.error, 'boom');
  });

  it('rejects a non-positive interval naming the field', () => {
    assert.throws(
      () => startMonitors({}, { intervalMs: 0, signal: new AbortController().signal, onSample: () => {} }),
      /intervalMs/,
    );
  });
});
