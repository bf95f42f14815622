/** The `http` runner's own options, beyond what the runner conformance suite checks of every runner. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '../../../src/core/errors.js';
import { type RunnerSpec, startRunner } from '../../../src/plugins/runners/start.js';
import { startHoldingServer } from '../../load/servers.js';

describe('http runner', () => {
  it('pipelining: 4 puts four requests on the one connection before its first response', async () => {
    const held = await startHoldingServer(4);
    try {
      const spec = { type: 'http', url: held.url, connections: 1, pipelining: 4 } as RunnerSpec;
      const result = await startRunner(spec, { durationMs: 1000, seed: 1 }).done;
      assert.equal(held.batches.length, 1, `connections: ${held.batches.length}`);
      const batches = held.batches[0] as number[];
      assert.equal(batches[0], 4, batches.join(','));
      assert.ok(Math.max(...batches) <= 4, batches.join(','));
      assert.equal(
        result.summary.ok,
        batches.reduce((a, b) => a + b, 0),
      );
      assert.equal(result.summary.errorRate, 0);
    } finally {
      await held.close();
    }
  });

  it('refuses a pipelining that is not a positive integer, naming it', () => {
    for (const pipelining of [0, 2.5, '4']) {
      assert.throws(
        () =>
          startRunner({ type: 'http', url: 'http://127.0.0.1:1/', pipelining } as unknown as RunnerSpec, {
            durationMs: 1000,
            seed: 1,
          }),
        (e: unknown) => e instanceof InvalidOptionError && e.field === 'pipelining',
        String(pipelining),
      );
    }
  });
});
