/**
 * The rule the system tests use to tell a fail of the machine (a starved load generator, as the run itself says)
 * from a fail of the system: only latency breaches, only when the run flagged its generator, never errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAG_WARNING } from '../../src/load/lag.js';
import { type JudgedResult, lagExcused } from './engine-helpers.js';

const lagged = `${LAG_WARNING} (clients: generator lag p99 up to 108 ms against a latency p99 of 144 ms in that second; 20 of 20 seconds lagged)`;
const run = (o: Partial<JudgedResult>): JudgedResult => ({
  verdict: 'fail',
  reason: 'p99 after < 3x before: measured 74.6 ms',
  warnings: [lagged],
  assertions: [
    { kpi: 'error_rate', passed: true },
    { kpi: 'p99', passed: false },
  ],
  steadyState: { after: { ok: true } },
  ...o,
});

test('a latency breach in a run that flagged its own load generator is the machine’s', () => {
  assert.equal(lagExcused(run({})), true);
  assert.equal(lagExcused(run({ assertions: [{ kpi: 'time_to_recover', passed: false }] })), true);
});

test('anything else is the system’s: errors, no lag flag, no broken assertion, the steady state, a failed revert', () => {
  assert.equal(lagExcused(run({ verdict: 'pass', assertions: [{ kpi: 'p99', passed: true }] })), false);
  assert.equal(lagExcused(run({ warnings: [] })), false);
  assert.equal(lagExcused(run({ warnings: ['something else'] })), false);
  assert.equal(
    lagExcused(
      run({
        assertions: [
          { kpi: 'p99', passed: false },
          { kpi: 'error_rate', passed: false },
        ],
      }),
    ),
    false,
  );
  assert.equal(lagExcused(run({ assertions: [{ kpi: 'max_downtime', passed: false }] })), false);
  assert.equal(lagExcused(run({ assertions: [{ kpi: 'p99', passed: true }] })), false);
  assert.equal(lagExcused(run({ steadyState: { after: { ok: false } } })), false);
  assert.equal(lagExcused(run({ reason: 'p99: measured 80 ms; REVERT FAILED for slow on proxy-0' })), false);
  assert.equal(lagExcused(run({ verdict: 'aborted' })), false);
});
