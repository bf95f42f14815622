import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { monitorImplementations, monitors, tcpMonitorImpl } from '../../../src/plugins/monitors/index.js';
import { MonitorImplementations } from '../../../src/plugins/monitors/support/implementations.js';

describe('monitor implementations', () => {
  it('implement exactly the monitor types the experiment file knows', () => {
    assert.deepEqual([...monitorImplementations.names()].sort(), [...monitors.names()].sort());
    for (const name of monitors.names())
      assert.equal(monitorImplementations.get(name)?.definition, monitors.get(name));
  });

  it('refuses a type registered twice', () => {
    assert.throws(() => new MonitorImplementations([tcpMonitorImpl, tcpMonitorImpl]), /registered twice/);
  });

  it('bad options name the field', () => {
    assert.throws(() => monitorImplementations.create({ type: 'nope' }), /type.*unknown monitor 'nope'/s);
    assert.throws(
      () => monitorImplementations.create({ type: 'http', url: 'http://x', body_match: '(' }),
      /body_match/,
    );
    assert.throws(() => monitorImplementations.create({ type: 'prometheus', metric: 'x' }), /endpoint/);
    assert.throws(() => monitorImplementations.create({ type: 'command' }), /command/);
  });

  it('an entry carries every and timeout from the spec', () => {
    const e = monitorImplementations.entry({
      type: 'tcp',
      host: '127.0.0.1',
      port: 1,
      every: '250ms',
      timeout: '1s',
    });
    assert.equal(e.intervalMs, 250);
    assert.equal(e.timeoutMs, 1000);
  });
});
