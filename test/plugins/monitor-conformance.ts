/**
 * The monitor conformance checks for one monitor type (see monitors.conformance.test.ts), as a function so the
 * monitors sampled on hosts run them on the fleet test bed (host.conformance.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors.js';
import { systemClock } from '../../src/load/clock.js';
import { sampleOnce } from '../../src/monitors/sampler.js';
import type { MonitorContext } from '../../src/monitors/types.js';
import { monitorImplementations } from '../../src/plugins/monitors/index.js';
import type { MonitorHarness, Options } from './harness/monitors/monitor.js';

const DELAY_MS = 300;
const TIMEOUT_MS = 400;

/** Registers the checks for monitor `name` with harness `start`; `context` is what the run would give it. */
export function monitorConformance(
  name: string,
  start: () => Promise<MonitorHarness>,
  context: () => MonitorContext = () => ({}),
): void {
  const create = (options: Options) => monitorImplementations.create({ type: name, ...options }, context());
  const sample = (options: Options, timeoutMs: number) =>
    sampleOnce(create(options), timeoutMs, systemClock, new AbortController().signal);
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
      const { sample: s, settled } = await sample(t.options, 5000);
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
      const { sample: s, settled } = await sample(options, 5000);
      await settled;
      assert.ok(s, 'a sample');
      assert.equal(s.ok, false);
      assert.ok((s.error ?? '').length > 0, 'an error message');
      // and the monitor itself does not throw either: errors are data
      const direct = await create(options).sample({ signal: AbortSignal.timeout(5000), timeoutMs: 5000 });
      assert.equal(direct.ok, false);
      assert.ok((direct.error ?? '').length > 0);
    });

    it('is down at its timeout when the target never answers, and lets go of it', async () => {
      const t = await h.silent();
      const asked = systemClock.epochMs();
      const { sample: s, settled } = await sample(t.options, TIMEOUT_MS);
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
          () => create(b.options),
          (err: unknown) => err instanceof InvalidOptionError && err.field === b.field,
          `${JSON.stringify(b.options)} names ${b.field}`,
        );
      }
    });
  });
}
