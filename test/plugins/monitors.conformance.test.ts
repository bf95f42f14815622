/**
 * The rules every monitor keeps (CREATING_PLUGINS.md, "Monitors"), checked against each registered monitor with
 * real targets on 127.0.0.1 (test/plugins/harness/monitors/): a sample is dated when its answer came; a target that is down
 * is a down sample with an error, never a throw or an unhandled rejection; a target that never answers is down at
 * the timeout and the monitor lets go of it; bad options are an InvalidOptionError naming the field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors.js';
import { systemClock } from '../../src/load/clock.js';
import { sampleOnce } from '../../src/monitors/sampler.js';
import { monitorImplementations, monitors } from '../../src/plugins/monitors/index.js';
import { monitorHarnesses } from './harness/monitors/index.js';
import type { MonitorHarness, Options } from './harness/monitors/monitor.js';

const DELAY_MS = 300;
const TIMEOUT_MS = 400;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => {
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no monitor leaves an unhandled rejection behind');
});

const sample = (type: string, options: Options, timeoutMs: number) =>
  sampleOnce(
    monitorImplementations.create({ type, ...options }),
    timeoutMs,
    systemClock,
    new AbortController().signal,
  );

it('every registered monitor has a conformance harness', () => {
  const missing = monitors.names().filter((n) => monitorHarnesses[n] === undefined);
  assert.deepEqual(
    missing,
    [],
    `monitors without a harness in test/plugins/harness/monitors/index.ts: ${missing.join(', ')}`,
  );
});

for (const name of monitors.names()) {
  const start = monitorHarnesses[name];
  if (!start) continue;
  describe(`monitor conformance: ${name}`, () => {
    let h: MonitorHarness;
    before(async () => {
      h = await start();
    });
    after(() => h.close());

    it('dates its sample when the answer came, not when it was asked', async () => {
      const t = await h.delayed(DELAY_MS);
      const asked = systemClock.epochMs();
      // generous timeout: the tcp harness answers on the next SYN retransmission, about a second later
      const { sample: s, settled } = await sample(name, t.options, 5000);
      await settled;
      assert.ok(s, 'a sample');
      assert.equal(s.ok, true, `up once answered: ${s.error ?? ''}`);
      const answered = t.answeredAt();
      assert.ok(answered !== undefined, 'the target recorded when it answered');
      assert.ok(answered >= asked + DELAY_MS - 5, 'the harness answered late');
      assert.ok(s.tMs >= answered, `dated ${s.tMs}, answered at ${answered}`);
    });

    it('is a down sample with an error when the target is down, never a throw', async () => {
      const options = await h.down();
      const { sample: s, settled } = await sample(name, options, 5000);
      await settled;
      assert.ok(s, 'a sample');
      assert.equal(s.ok, false);
      assert.ok((s.error ?? '').length > 0, 'an error message');
      // and the monitor itself does not throw either: errors are data
      const direct = await monitorImplementations
        .create({ type: name, ...options })
        .sample({ signal: AbortSignal.timeout(5000), timeoutMs: 5000 });
      assert.equal(direct.ok, false);
      assert.ok((direct.error ?? '').length > 0);
    });

    it('is down at its timeout when the target never answers, and lets go of it', async () => {
      const t = await h.silent();
      const asked = systemClock.epochMs();
      const { sample: s, settled } = await sample(name, t.options, TIMEOUT_MS);
      assert.ok(s, 'a sample');
      assert.equal(s.ok, false);
      assert.match(s.error ?? '', /timed out/);
      assert.ok(s.tMs >= asked + TIMEOUT_MS - 5, 'dated at the timeout');
      assert.ok(s.tMs < asked + TIMEOUT_MS + 1000, 'not long after it');
      // aborted: the monitor's own promise settles promptly and the target sees it go
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        settled,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('the monitor ignored the abort')), 2000);
        }),
      ]).finally(() => clearTimeout(timer));
      await t.released();
    });

    it('refuses bad options with an InvalidOptionError naming the field', () => {
      assert.ok(h.bad.length > 0, 'the harness lists bad options');
      for (const b of h.bad) {
        assert.throws(
          () => monitorImplementations.create({ type: name, ...b.options }),
          (err: unknown) => err instanceof InvalidOptionError && err.field === b.field,
          `${JSON.stringify(b.options)} names ${b.field}`,
        );
      }
    });
  });
}
