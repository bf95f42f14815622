// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is the experiment file's own syntax
/**
 * schema/experiment.schema.json judges a file as an editor sees it, as written: before `extends:` merging and
 * `${…}` substitution. Every example and valid fixture passes it; every broken fixture fails it, unless it is
 * listed below with the reason a JSON Schema cannot see the problem.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { TEXT_PLACEHOLDER_PATTERN, WHOLE_PLACEHOLDER_PATTERN } from '../../src/experiment/json-schema.js';
import { EXPERIMENT_SCHEMA_ID, experimentSchema } from '../../src/experiment/schema.js';
import { substituteString } from '../../src/experiment/substitute.js';
import { validateExperimentFile } from '../../src/experiment/validate.js';
import { validateJsonSchema } from '../helpers/json-schema.js';

const root = new URL('../../', import.meta.url).pathname;
const schema = JSON.parse(readFileSync(join(root, 'schema/experiment.schema.json'), 'utf8')) as object;
const fixturesDir = join(root, 'test/fixtures/experiment');
const brokenDir = join(fixturesDir, 'broken');

const isYaml = (f: string) => f.endsWith('.yaml') || f.endsWith('.yml');
/** YAML files under `dir`, relative to the repository, at any depth. */
function yamlFilesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter(isYaml)
    .map((f) => join(dir, f))
    .sort();
}

const check = (text: string) => validateJsonSchema(schema, parse(text));

/**
 * Broken fixtures the JSON Schema accepts or cannot read, and why. Each entry is checked to be what it says: `yaml`
 * files do not parse; `semantic` ones pass the zod schema too and fail only faultline's later checks; `registry`
 * ones are refused by a zod refinement that looks the value up in a registry (a toxic's own attributes).
 */
const BEYOND_THE_SCHEMA: Record<
  string,
  { kind: 'yaml' | 'semantic' | 'registry' | 'substitution' | 'extends'; why: string }
> = {
  '01-bad-yaml.yaml': { kind: 'yaml', why: 'not YAML: the editor reports the syntax error itself' },
  '04-missing-target.yaml': { kind: 'semantic', why: 'a fault names a target: a cross-reference' },
  '07-missing-title.yaml': {
    kind: 'extends',
    why: 'a file without title may be the base of another (examples/demo/system.yaml is)',
  },
  '09-count-and-percent.yaml': { kind: 'semantic', why: 'count and percent exclude each other' },
  '10-at-and-when.yaml': { kind: 'semantic', why: 'when excludes at and every' },
  '11-unknown-monitor-in-when.yaml': { kind: 'semantic', why: 'when names a monitor: a cross-reference' },
  '14-undefined-parameter.yaml': {
    kind: 'substitution',
    why: '${replicas} is undeclared but may be an environment variable when the file is run',
  },
  '15-hypothesis-bad-threshold.yaml': { kind: 'semantic', why: 'the form of a threshold depends on the kpi' },
  '16-hypothesis-missing-phase.yaml': { kind: 'semantic', why: 'phase is required for load KPIs only' },
  '17-prometheus-both-sources.yaml': { kind: 'semantic', why: 'endpoint + metric or api + query, not both' },
  '18-at-after-end.yaml': { kind: 'semantic', why: 'at is compared with duration' },
  '20-duplicate-key.yaml': { kind: 'yaml', why: 'a duplicate key: the YAML parser refuses it' },
  '21-max-unavailable-too-big.yaml': { kind: 'semantic', why: 'max_unavailable is compared with count' },
  '23-count-exceeds-instances.yaml': {
    kind: 'semantic',
    why: "a fault's count is compared with its target's",
  },
  '24-placeholder-unknown-target.yaml': { kind: 'semantic', why: '{{targets.NAME…}} is a cross-reference' },
  '25-placeholder-later-target.yaml': { kind: 'semantic', why: 'targets start in file order' },
  '26-placeholder-per-instance-in-monitor.yaml': {
    kind: 'semantic',
    why: 'where {{ports.NAME}} may appear is checked in its text',
  },
  '27-placeholder-unknown-port.yaml': { kind: 'semantic', why: 'a port name is a cross-reference' },
  '28-alias-bomb.yaml': { kind: 'yaml', why: 'aliases past the expansion limit: the YAML parser refuses it' },
  '29-alias-without-anchor.yaml': {
    kind: 'yaml',
    why: 'an alias without anchor: the YAML parser refuses it',
  },
  '32-unknown-toxic-attribute.yaml': {
    kind: 'registry',
    why: "a toxic's attributes depend on its type, looked up in the proxy's toxic registry",
  },
  '33-toxic-attribute-out-of-range.yaml': {
    kind: 'registry',
    why: "a toxic attribute's range is the toxic's own rule",
  },
};

describe('schema/experiment.schema.json', () => {
  test('declares its draft, $id and title', () => {
    const s = schema as Record<string, unknown>;
    assert.equal(s.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(s.$id, EXPERIMENT_SCHEMA_ID);
    assert.equal(s.title, 'faultline experiment');
  });

  // suite files have their own schema (schema/suite.schema.json, checked in test/suite)
  const examples = yamlFilesUnder('examples').filter((f) => !f.startsWith('examples/suites/'));
  test('examples/ has the demo system and its experiments', () => {
    assert.ok(examples.includes('examples/demo/system.yaml'));
    assert.ok(examples.includes('examples/experiments/kill-one-replica.yaml'));
  });
  for (const file of examples)
    test(`${file} validates as written`, () => {
      assert.deepEqual(check(readFileSync(join(root, file), 'utf8')), []);
    });

  const fixtures = readdirSync(fixturesDir).filter(isYaml);
  for (const name of fixtures)
    test(`fixture ${name} validates as written`, () => {
      assert.deepEqual(check(readFileSync(join(fixturesDir, name), 'utf8')), []);
    });

  for (const name of readdirSync(brokenDir).filter(isYaml).sort()) {
    const known = BEYOND_THE_SCHEMA[name];
    test(`broken ${name}: ${known ? `beyond the schema (${known.kind}): ${known.why}` : 'refused'}`, () => {
      const path = join(brokenDir, name);
      const text = readFileSync(path, 'utf8');
      assert.equal(validateExperimentFile(path).ok, false, 'faultline refuses it');
      if (known?.kind === 'yaml') {
        assert.throws(() => parse(text));
        return;
      }
      const errors = check(text);
      if (known === undefined) {
        assert.notDeepEqual(errors, [], 'the JSON Schema refuses it too');
        return;
      }
      assert.deepEqual(errors, [], 'listed as beyond the schema, yet refused by it: take it off the list');
      if (known.kind === 'semantic') assert.ok(experimentSchema.safeParse(parse(text)).success);
      if (known.kind === 'registry') assert.equal(experimentSchema.safeParse(parse(text)).success, false);
    });
  }

  test('every file listed as beyond the schema exists', () => {
    const broken = new Set(readdirSync(brokenDir));
    for (const name of Object.keys(BEYOND_THE_SCHEMA)) assert.ok(broken.has(name), name);
  });
});

const BASE = `title: t
duration: 10s
targets:
  api:
    type: process
    command: node server.js
    count: 3
`;
/** BASE with `from` written as `to` (split/join: String.replace would read `$$` in `to` as one `$`). */
const edit = (from: string, to: string) => BASE.split(from).join(to);
// In a flow mapping (`{ … }`) a placeholder is quoted, as docs/experiments.md says; it is the same string.
const withFault = (fault: string) => `${BASE}faults:\n  - ${fault}\n`;

describe('placeholders in the JSON Schema', () => {
  test('a placeholder validates where a number, a boolean, a duration or an enum is expected', () => {
    for (const text of [
      `${BASE}seed: \${seed}\nwarmup: \${warmup:-2s}\n`,
      edit('count: 3', 'count: ${replicas}'),
      edit('10s', '${duration}'),
      edit('10s', '${seconds}s'),
      edit('type: process', 'type: ${kind}'),
      withFault(
        '{ disruptor: process.kill, target: api, count: "${n}", at: "${at}", with: { signal: "${sig}" } }',
      ),
      withFault('{ disruptor: "${which}", target: api, percent: "${p}", every: "${every}" }'),
      withFault(
        '{ disruptor: process.pause, target: api, when: { kpi: "${kpi}", above: 5%, for: "${for}" } }',
      ),
      `${BASE}hypothesis:\n  - { kpi: p99, phase: "\${phase}", below: "\${limit}" }\n`,
      `${BASE}monitors:\n  m: { type: tcp, host: 127.0.0.1, port: "\${port}", every: "\${every}" }\n`,
    ])
      assert.deepEqual(check(text), [], text);
  });

  test('a wrong type or bad text without a placeholder is still refused', () => {
    for (const [text, error] of [
      [edit('count: 3', 'count: three'), '/targets/api'],
      [edit('count: 3', 'count: "3"'), '/targets/api'],
      // only a whole placeholder can become a number; text around it stays text
      [edit('count: 3', 'count: ${a}${b}'), '/targets/api'],
      // $${ is a literal ${, not a placeholder
      [edit('count: 3', 'count: $${n}'), '/targets/api'],
      [edit('10s', 'ten seconds'), '/duration'],
      [edit('10s', '-5'), '/duration'],
      [withFault('{ disruptor: process.pause, target: api, every: 0s }'), '/faults/0'],
      [withFault('{ disruptor: process.kill, target: api, with: { signal: SIGBOOM } }'), '/faults/0'],
      [withFault('{ disruptor: process.kill, target: api, with: { signal: [SIGKILL] } }'), '/faults/0'],
      [withFault('{ disruptor: process.pause, target: api, durration: 5s }'), '/faults/0'],
      [`${BASE}seed: true\n`, '/seed'],
      // keys are never substituted
      [edit('api:', '"${name}":'), '/targets'],
    ] as const) {
      const errors = check(text);
      assert.ok(
        errors.some((e) => e.startsWith(error)),
        `${text}\nexpected an error at ${error}, got: ${errors.join('; ')}`,
      );
    }
  });

  test('a file that extends another, or is the base of one, may leave out title and duration', () => {
    assert.deepEqual(check('extends: base.yaml\nfaults: []\n'), []);
    assert.deepEqual(check('warmup: 3s\ntargets: {}\n'), []);
  });

  // The schema's patterns and the substitution read `${…}` alike, escapes and fallbacks included.
  test('the placeholder patterns agree with substitution (property)', () => {
    const whole = new RegExp(WHOLE_PLACEHOLDER_PATTERN, 'u');
    const text = new RegExp(TEXT_PLACEHOLDER_PATTERN, 'u');
    const chars = fc.constantFrom('$', '{', '}', 'a', '_', '.', ':', '-', '1', ' ');
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 12 }), (s) => {
        let references = 0;
        const r = substituteString(s, () => {
          references++;
          return 7;
        });
        assert.equal(text.test(s), references > 0, s);
        assert.equal(whole.test(s), r.value === 7, s);
      }),
      { numRuns: 2000 },
    );
  });
});
