/**
 * The contract every registered disruptor keeps (CREATING_PLUGINS.md, "Disruptors"), checked for each one
 * against a real target its harness starts (test/plugins/harness/disruptors/). The suite iterates the registry, so a new
 * disruptor without a harness fails it. Disruptors that act on hosts run on the fleet test bed
 * (host.conformance.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { disruptorNames } from '../../src/plugins/disruptors/index.js';
import { disruptorConformance } from './disruptor-conformance.js';
import { harnesses, hostHarnesses } from './harness/disruptors/index.js';

describe('disruptor conformance harnesses', () => {
  it('name only registered disruptors', () => {
    const names = disruptorNames();
    for (const name of [...Object.keys(harnesses), ...Object.keys(hostHarnesses)])
      assert.ok(names.includes(name), `no disruptor '${name}'`);
  });
});

for (const name of disruptorNames()) {
  const found = harnesses[name];
  if (found !== undefined) disruptorConformance(name, found);
  else if (hostHarnesses[name] === undefined)
    describe(`disruptor ${name}`, () => {
      it('has a conformance harness', () => {
        assert.fail(
          `disruptor '${name}' has no conformance harness: add one to test/plugins/harness/disruptors/`,
        );
      });
    });
}
