import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../../src/load/clock.js';
import { sampleOnce } from '../../../src/monitors/sampler.js';
import { monitorImplementations } from '../../../src/plugins/monitors/index.js';
import { ctx } from './helpers.js';

const make = (o: Record<string, unknown>) => monitorImplementations.create({ type: 'command', ...o });

describe('command monitor (real sh -c)', () => {
  it('is up on exit 0 and down on another code, quoting stderr', async () => {
    assert.equal((await make({ command: 'true' }).sample(ctx())).ok, true);
    const r = await make({ command: 'echo broken >&2; exit 3' }).sample(ctx());
    assert.equal(r.ok, false);
    assert.equal(r.error, 'exit 3, expected 0: broken');
  });

  it('honours a different expected exit code and an argv list', async () => {
    assert.equal((await make({ command: 'exit 2', exit_code: 2 }).sample(ctx())).ok, true);
    assert.equal((await make({ command: ['/bin/sh', '-c', 'exit 0'] }).sample(ctx())).ok, true);
  });

  it('reads a number from stdout with the value expression', async () => {
    const r = await make({ command: 'echo "queue_depth=142 items"', value: 'queue_depth=(\\d+)' }).sample(
      ctx(),
    );
    assert.equal(r.ok, true);
    assert.equal(r.value, 142);
    const whole = await make({ command: 'echo 3.5', value: '[\\d.]+' }).sample(ctx());
    assert.equal(whole.value, 3.5);
    const none = await make({ command: 'echo none', value: '(\\d+)' }).sample(ctx());
    assert.equal(none.ok, false);
    assert.match(none.error ?? '', /no number/);
  });

  it('a command slower than the timeout is down and its process group is killed', async () => {
    const stop = new AbortController();
    const t0 = Date.now();
    const { sample, settled } = await sampleOnce(
      make({ command: 'sleep 30; echo late' }),
      200,
      systemClock,
      stop.signal,
    );
    await settled;
    assert.equal(sample?.ok, false);
    assert.equal(sample?.error, 'timed out after 200 ms');
    // Generous bound: the 30 s sleep was killed, not waited for.
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('a missing executable is down with the spawn error', async () => {
    const r = await make({ command: ['/nonexistent/binary'] }).sample(ctx());
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /ENOENT/);
  });
});
