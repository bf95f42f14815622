import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors.js';
import { runCommandLoad, startCommandLoad } from '../../src/load/command-runner.js';

describe('command runner', () => {
  it('runs once per worker, counting exit status 0 as ok with its duration', async () => {
    const r = await runCommandLoad({
      command: process.execPath,
      args: ['-e', ''],
      mode: 'once',
      concurrency: 3,
    });
    assert.equal(r.model, 'command');
    assert.equal(r.summary.ok, 3);
    assert.equal(r.summary.latency.count, 3);
    assert.ok(r.summary.latency.minMs > 1, 'a node start-up takes more than a millisecond');
    assert.deepEqual(r.series.buckets[0]?.exits, { '0': 3 });
  });

  it('counts a failing exit status as other and keeps the status', async () => {
    const r = await runCommandLoad({ command: 'exit 3', mode: 'once', concurrency: 2 });
    assert.equal(r.summary.outcomes.other, 2);
    assert.equal(r.summary.errorRate, 1);
    assert.deepEqual(r.series.buckets[0]?.exits, { '3': 2 });
  });

  it('kills a run at timeoutMs and counts it as timeout', async () => {
    const r = await runCommandLoad({ command: 'sleep', args: ['10'], mode: 'once', timeoutMs: 200 });
    assert.equal(r.summary.outcomes.timeout, 1);
    assert.ok(r.elapsedMs < 10_000, 'killed before the command would have ended by itself');
  });

  it('repeats until the duration is over', async () => {
    const r = await runCommandLoad({ command: 'true', durationMs: 600, concurrency: 2 });
    assert.ok(r.summary.ok >= 2, `ok=${r.summary.ok}`);
    assert.equal(r.summary.completed, r.summary.sent);
    assert.ok(r.elapsedMs >= 600, `ran ${r.elapsedMs} ms`);
  });

  it('stops starting runs on stop()', async () => {
    const run = startCommandLoad({ command: 'sleep 0.05', durationMs: 60_000 });
    setTimeout(() => run.stop(), 300);
    const r = await run.done;
    assert.equal(r.stopped, true);
    assert.ok(r.summary.ok >= 1 && r.summary.ok < 20, `ok=${r.summary.ok}`);
  });

  it('rejects bad options naming the field', () => {
    assert.throws(
      () => startCommandLoad({ command: '' }),
      (e: unknown) => e instanceof InvalidOptionError && e.field === 'command',
    );
    assert.throws(
      () => startCommandLoad({ command: 'true', concurrency: 0 }),
      (e: unknown) => e instanceof InvalidOptionError && e.field === 'concurrency',
    );
  });
});
