/** formatPercent: one way to write a percentage everywhere. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPercent } from '../../src/core/percent.js';

describe('formatPercent', () => {
  it('writes no space before the sign, one decimal from 10% up and two below', () => {
    assert.equal(formatPercent(0.22143), '22.1%');
    assert.equal(formatPercent(0.025), '2.50%');
    assert.equal(formatPercent(0.0025), '0.25%');
    assert.equal(formatPercent(0), '0%');
    assert.equal(formatPercent(1), '100%');
  });

  it('never writes a value as 0% or 100% when it is not', () => {
    assert.equal(formatPercent(0.00001), '<0.01%');
    assert.equal(formatPercent(0.99999), '99.9%');
  });
});
