/** Suites: validation with file:line, the calendar from a fake "now" and a seed, cron, and the run order. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { randomStream } from '../../src/core/random.js';
import { formatExperimentError } from '../../src/experiment/validate.js';
import { suiteCalendar } from '../../src/suite/calendar.js';
import { planSuiteRuns } from '../../src/suite/plan.js';
import { scheduleSchema, suiteJsonSchema } from '../../src/suite/schema.js';
import { validateSuite, validateSuiteFile } from '../../src/suite/validate.js';
import { assertSchemaFileCurrent } from '../helpers/schema-file.js';

const root = new URL('../../', import.meta.url).pathname;
const NOW = Date.parse('2025-03-03T00:00:00Z'); // a Monday
const file = join(root, 'examples/suites/x.yaml');
const errorsOf = (text: string) => {
  const r = validateSuite(text, { file });
  assert.equal(r.ok, false);
  return r.ok ? [] : r.errors.map(formatExperimentError);
};
const cal = (schedule: unknown, seed = 1) =>
  suiteCalendar(scheduleSchema.parse(schedule), { nowMs: NOW, rng: randomStream(seed) }).startsMs.map((t) =>
    new Date(t).toISOString(),
  );

describe('suite validation', () => {
  test('examples/suites/nightly.yaml validates', () => {
    const r = validateSuiteFile(join(root, 'examples/suites/nightly.yaml'));
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatExperimentError).join('\n'));
  });
  test('schema/suite.schema.json is the one generated from the zod schema', () => {
    assertSchemaFileCurrent(join(root, 'schema/suite.schema.json'), suiteJsonSchema());
  });
  test('an unknown dependency names file:line and the field', () => {
    const errs = errorsOf(
      'title: t\nruns:\n  - name: a\n    experiment: ../experiments/slow-store.yaml\n    depends_on: [b]\n',
    );
    assert.match(errs[0] ?? '', /x\.yaml:5:\d+: runs\[0\]\.depends_on\[0\]: unknown entry 'b'/);
  });
  test('a dependency cycle names file:line and the cycle', () => {
    const errs = errorsOf(
      [
        'title: t',
        'runs:',
        '  - { name: a, experiment: ../experiments/slow-store.yaml, depends_on: [b] }',
        '  - { name: b, experiment: ../experiments/slow-store.yaml, depends_on: [a] }',
      ].join('\n'),
    );
    assert.match(errs[0] ?? '', /x\.yaml:3:\d+: runs\[0\]\.depends_on: dependency cycle: a → b → a/);
  });
  test('an override naming no field of the experiment names the suite line and the path', () => {
    const errs = errorsOf(
      'title: t\nruns:\n  - name: a\n    experiment: ../experiments/kill-one-replica.yaml\n    set:\n      faults.nope.every: 10s\n',
    );
    assert.equal(errs.length, 1);
    assert.match(errs[0] ?? '', /x\.yaml:6:7: runs\.a\.set: 'faults\.nope\.every' names no field/);
  });
  test('schedule needs exactly one of every and cron; a bad cron is an error', () => {
    const errs = errorsOf('title: t\nschedule: { cron: "nope" }\nruns: [{ name: a, experiment: e.yaml }]\n');
    assert.match(errs[0] ?? '', /x\.yaml:2:\d+: schedule\.cron: not a cron expression/);
  });
});

describe('suite calendar (fake now, seeded)', () => {
  const nightly = {
    every: '30m',
    jitter: '10m',
    min_interval: '15m',
    window: { hours: '01:00-05:00', days: ['mon'] },
    times: 4,
  };
  test('every/jitter/window: the same seed gives the same calendar, another seed other jitter', () => {
    const a = cal(nightly, 1);
    assert.deepEqual(a, cal(nightly, 1));
    assert.notDeepEqual(a, cal(nightly, 2));
    assert.equal(a.length, 4);
    for (const t of a) assert.ok(t >= '2025-03-03T01:00' && t < '2025-03-03T05:00', t);
  });
  test('min_interval keeps starts apart even when jitter pulls them together', () => {
    const starts = cal({ every: '10m', jitter: '9m', min_interval: '12m', times: 20 }, 3).map(Date.parse);
    for (let i = 1; i < starts.length; i++)
      assert.ok((starts[i] as number) - (starts[i - 1] as number) >= 12 * 60_000);
  });
  test('cron gives its next times (UTC), limited by until', () => {
    assert.deepEqual(cal({ cron: '0 2 * * *', until: '2025-03-05T12:00:00Z' }), [
      '2025-03-03T02:00:00.000Z',
      '2025-03-04T02:00:00.000Z',
      '2025-03-05T02:00:00.000Z',
    ]);
  });
});

describe('suite run order', () => {
  const entry = (name: string, extra: object = {}) => ({
    name,
    dependsOn: [],
    if: 'passed' as const,
    repeat: 1,
    targets: ['db'],
    durationMs: 1000,
    ...extra,
  });
  test('parallel slots, dependencies waited for', () => {
    const runs = planSuiteRuns(
      {
        entries: [entry('a'), entry('b'), entry('c', { dependsOn: ['a'] })],
        parallel: 2,
        exclusive: [],
      },
      randomStream(1),
    );
    const byName = Object.fromEntries(runs.map((r) => [r.run, r]));
    assert.equal(byName.a?.startMs, 0);
    assert.equal(byName.b?.startMs, 0);
    assert.equal(byName.c?.startMs, 1000);
  });
  test('an exclusive target is never shared by two running entries', () => {
    const runs = planSuiteRuns(
      { entries: [entry('a'), entry('b')], parallel: 2, exclusive: ['db'] },
      randomStream(1),
    );
    assert.deepEqual(runs.map((r) => r.startMs).sort(), [0, 1000]);
  });
});
