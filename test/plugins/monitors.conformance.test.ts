/**
 * The rules every monitor keeps (CREATING_PLUGINS.md, "Monitors"), checked against each registered monitor with
 * real targets on 127.0.0.1 (test/plugins/harness/monitors/): a sample is dated when its answer came; a target that is down
 * is a down sample with an error, never a throw or an unhandled rejection; a target that never answers is down at
 * the timeout and the monitor lets go of it; bad options are an InvalidOptionError naming the field.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { monitors } from '../../src/plugins/monitors/index.js';
import { hostMonitorHarnesses, monitorHarnesses } from './harness/monitors/index.js';
import { monitorConformance } from './monitor-conformance.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => {
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no monitor leaves an unhandled rejection behind');
});

it('every registered monitor has a conformance harness', () => {
  const missing = monitors
    .names()
    .filter((n) => monitorHarnesses[n] === undefined && hostMonitorHarnesses[n] === undefined);
  assert.deepEqual(
    missing,
    [],
    `monitors without a harness in test/plugins/harness/monitors/index.ts: ${missing.join(', ')}`,
  );
});

// monitors sampled on hosts run on the fleet test bed: host.conformance.test.ts
for (const name of monitors.names()) {
  const start = monitorHarnesses[name];
  if (start) monitorConformance(name, start);
}
