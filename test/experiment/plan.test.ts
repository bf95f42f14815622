import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { peakUnavailable, planExperiment } from '../../src/experiment/plan.js';
import { experimentJsonSchema } from '../../src/experiment/schema.js';
import { formatExperimentError, validateExperiment } from '../../src/experiment/validate.js';
import { cliArgv } from '../helpers/cli.js';
import { assertSchemaFileCurrent } from '../helpers/schema-file.js';

const root = new URL('../../', import.meta.url).pathname;
const goldenPath = join(root, 'test/fixtures/experiment/golden-plan.json');
const schemaPath = join(root, 'schema/experiment.schema.json');

function spec(text: string, set?: Record<string, string>) {
  const r = validateExperiment(text, set ? { set } : {});
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatExperimentError).join('\n'));
  return r.spec;
}

// Three faults each wanting one of five instances at the same moment, for overlapping windows: 3 down at once
// unless the blast radius holds them back.
const THREE_OF_FIVE = `title: three of five
parameters: { excess: delay }
duration: 60s
targets:
  api: { type: process, command: node server.js, count: 5, max_unavailable: 2, excess: "\${excess}" }
faults:
  - { name: a, disruptor: process.pause, target: api, at: 10s, duration: 10s }
  - { name: b, disruptor: process.kill, target: api, at: 10s, duration: 10s }
  - { name: c, disruptor: process.pause, target: api, at: 12s, duration: 10s }
  - { name: d, disruptor: process.pause, target: api, percent: 60, every: 7s, duration: 5s }
  - { name: e, disruptor: process.pause, target: api, when: { kpi: error_rate, above: 5% } }
`;

describe('planExperiment', () => {
  test('blast radius: a schedule that would take 3 of 5 down never has more than 2 down', () => {
    const plan = planExperiment(spec(THREE_OF_FIVE), 1);
    assert.equal(peakUnavailable(plan).api, 2);
    // Checked independently at every start and end: count instances whose window covers the moment.
    const applied = plan.steps.filter((s) => s.status === 'apply');
    for (const t of applied.flatMap((s) => [s.startMs as number, (s.endMs as number) - 1])) {
      const down = new Set(
        applied.filter((s) => (s.startMs as number) <= t && t < (s.endMs as number)).map((s) => s.instance),
      );
      assert.ok(down.size <= 2, `${down.size} down at ${t} ms`);
    }
    const c = plan.steps.find((s) => s.fault === 'c' && s.status === 'apply');
    assert.ok(c && (c.startMs as number) > 12_000, 'c is delayed past its requested 12s');
    assert.match(c?.note ?? '', /delayed .* by max_unavailable 2/);
    assert.equal(plan.steps.at(-1)?.status, 'on-condition');
  });

  test('with excess: drop, the excess is dropped and the plan says why', () => {
    const plan = planExperiment(spec(THREE_OF_FIVE, { excess: 'drop' }), 1);
    assert.ok(peakUnavailable(plan).api! <= 2);
    const dropped = plan.steps.filter((s) => s.status === 'dropped');
    assert.ok(dropped.length > 0);
    assert.ok(
      plan.steps.every((s) => s.status !== 'apply' || s.startMs === s.requestedMs),
      'nothing delayed',
    );
    for (const s of dropped) assert.match(s.note ?? '', /max_unavailable 2 of 5/);
  });

  test('the limit holds for any seed (property)', () => {
    const s = spec(THREE_OF_FIVE);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (seed) => {
        assert.ok(peakUnavailable(planExperiment(s, seed)).api! <= 2);
      }),
      { numRuns: 200 },
    );
  });

  test('same seed ⇒ same plan (golden); another seed picks other instances', () => {
    const s = spec(THREE_OF_FIVE);
    const plan = planExperiment(s, 42);
    assert.deepEqual(planExperiment(s, 42), plan);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenPath, `${JSON.stringify(plan, null, 2)}\n`);
    assert.deepEqual(plan, JSON.parse(readFileSync(goldenPath, 'utf8')));
    const picks = (seed: number) =>
      planExperiment(s, seed)
        .steps.map((st) => st.instance)
        .join(',');
    assert.ok([1, 2, 3, 4, 5].some((seed) => picks(seed) !== picks(42)));
  });

  test("adding a fault does not change another fault's picks", () => {
    const s = spec(THREE_OF_FIVE);
    const more = spec(
      THREE_OF_FIVE.replace('targets:', 'targets:\n  db: { type: process, command: db, count: 3 }').concat(
        '  - { name: z, disruptor: process.kill, target: db, at: 1s }\n',
      ),
    );
    const of = (p: ReturnType<typeof planExperiment>) => p.steps.filter((st) => st.target === 'api');
    assert.deepEqual(of(planExperiment(more, 9)), of(planExperiment(s, 9)));
  });

  test('count and percent pick that many distinct instances', () => {
    const s = spec(`title: t
duration: 10s
targets: { api: { type: process, command: x, count: 10 } }
faults:
  - { name: three, disruptor: process.pause, target: api, count: 3, at: 1s }
  - { name: forty, disruptor: process.pause, target: api, percent: 40, at: 5s, duration: 1s }
`);
    const plan = planExperiment(s, 5);
    const three = plan.steps.filter((st) => st.fault === 'three').map((st) => st.instance);
    const forty = plan.steps.filter((st) => st.fault === 'forty').map((st) => st.instance);
    assert.equal(new Set(three).size, 3);
    assert.equal(new Set(forty).size, 4);
    assert.ok(
      forty.every((i) => !three.includes(i)),
      'faults avoid instances already down',
    );
  });
});

describe('faultline run --dry-run', () => {
  function cli(...args: string[]) {
    const r = spawnSync(process.execPath, [...cliArgv, ...args], {
      encoding: 'utf8',
      cwd: root,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  test('prints the same schedule for the same seed, and --seed overrides the file', () => {
    const file = 'examples/experiments/kill-one-replica.yaml';
    const a = cli('run', file, '--dry-run');
    const b = cli('run', file, '--dry-run', '--seed', '42');
    assert.equal(a.code, 0, a.err);
    assert.equal(a.out, b.out);
    assert.match(a.out, /^seed 42 /m);
    assert.match(a.out, /\+5\.000s\s+kill-a-replica \(process\.kill\) → replicas\[\d\] until \+9\.000s/);
    const c = cli('run', file, '--dry-run', '--seed', '43', '--json');
    assert.equal(JSON.parse(c.out).seed, 43);
  });

  test('invalid input exits 2, with or without --dry-run, and touches nothing', () => {
    for (const args of [['--dry-run'], []]) {
      const bad = cli('run', 'test/fixtures/experiment/broken/02-unknown-disruptor.yaml', ...args);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /:9:16: faults\[0\]\.disruptor: unknown disruptor/);
      assert.equal(bad.out, '');
    }
  });
});

describe('JSON Schema', () => {
  test('schema/experiment.schema.json is the one generated from the zod schema', () => {
    assertSchemaFileCurrent(schemaPath, experimentJsonSchema());
  });

  test('it lists every registered disruptor with its options', () => {
    const text = JSON.stringify(experimentJsonSchema());
    for (const name of [
      'process.kill',
      'process.pause',
      'process.restart',
      'proxy.toxic',
      'failpoint',
      'command',
      'http',
    ])
      assert.ok(text.includes(`"const":"${name}"`), name);
  });
});
