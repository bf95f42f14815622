// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is the experiment file's own syntax
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  formatExperimentError,
  validateExperiment,
  validateExperimentFile,
} from '../../src/experiment/validate.js';
import { cliArgv } from '../helpers/cli.js';

const root = new URL('../../', import.meta.url).pathname;
const brokenDir = join(root, 'test/fixtures/experiment/broken');
const examplesDir = join(root, 'examples/experiments');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [...cliArgv, ...args], {
    encoding: 'utf8',
    cwd: root,
    env: { ...process.env, FAULTLINE_DEBUG: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const VALID = `title: valid
seed: 3
parameters:
  replicas: 3
duration: 30s
targets:
  api:
    type: process
    command: node server.js
    count: \${replicas}
    max_unavailable: 1
monitors:
  health: { type: http, url: "http://127.0.0.1:8080/health", every: 500ms }
faults:
  - disruptor: process.kill
    target: api
    at: 5s
    duration: 2s
hypothesis:
  - { kpi: error_rate, phase: during, below: 1% }
`;

describe('experiment validator', () => {
  // Each broken file starts with `# expect: LINE | FIELD | message fragment`.
  const broken = readdirSync(brokenDir).filter((f) => f.endsWith('.yaml'));

  test('there are at least 20 broken files', () => {
    assert.ok(broken.length >= 20, `only ${broken.length}`);
  });

  for (const name of broken) {
    test(`broken: ${name} names the line and field`, () => {
      const text = readFileSync(join(brokenDir, name), 'utf8');
      const m = /^# expect: (\d+) \|\s*(.*?)\s*\| (.*)$/m.exec(text);
      assert.ok(m, 'fixture has an expect header');
      const [, line, field, fragment] = m as unknown as [string, string, string, string];
      const r = validateExperiment(text, { file: name });
      assert.equal(r.ok, false);
      if (r.ok) return;
      const hit = r.errors.find(
        (e) => e.line === Number(line) && e.field === field && e.message.includes(fragment),
      );
      assert.ok(
        hit,
        `expected ${line} ${field} '${fragment}', got:\n${r.errors.map(formatExperimentError).join('\n')}`,
      );
      assert.match(formatExperimentError(hit), new RegExp(`^${name}:${line}:\\d+: `));
    });
  }

  test('a valid file gives the typed spec with defaults and parameters applied', () => {
    const r = validateExperiment(VALID);
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatExperimentError).join('\n'));
    const api = r.spec.targets.api;
    assert.equal(api?.type === 'process' && api.count, 3);
    assert.equal(r.spec.faults[0]?.disruptor, 'process.kill');
    assert.deepEqual(r.spec.faults[0]?.with, { signal: 'SIGKILL', restart: true });
    assert.equal(r.spec.monitors.health?.timeout, '2s');
  });

  test('--set overrides a default, typed as a YAML scalar; unknown names are errors', () => {
    const r = validateExperiment(VALID, { set: { replicas: '5' } });
    assert.ok(r.ok);
    assert.equal(r.parameters.replicas, 5);
    const api = r.spec.targets.api;
    assert.equal(api?.type === 'process' && api.count, 5);
    const bad = validateExperiment(VALID, { set: { replica: '5' } });
    assert.equal(bad.ok, false);
    if (!bad.ok)
      assert.match(
        formatExperimentError(bad.errors[0]!),
        /--set replica: unknown parameter 'replica'; declared: replicas/,
      );
  });

  test('${ENV} substitution, fallbacks and $${ escapes', () => {
    const text = VALID.replace('command: node server.js', () => 'command: "$${HOME} ${BIN} ${MISSING:-x}"');
    const r = validateExperiment(text, { env: { BIN: '/usr/bin/node' } });
    assert.ok(r.ok);
    const api = r.spec.targets.api;
    assert.equal(api?.type === 'process' && api.command, '${HOME} /usr/bin/node x');
  });

  test('never throws: a mutation fuzz of a valid file always gives ok or errors', () => {
    const lines = VALID.split('\n');
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), line: fc.nat(lines.length) }),
      fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat(lines.length) }),
      fc.record({
        kind: fc.constant('replace' as const),
        at: fc.nat(VALID.length),
        text: fc.string({ maxLength: 6 }),
      }),
      fc.record({
        kind: fc.constant('token' as const),
        at: fc.nat(VALID.length),
        text: fc.constantFrom(
          ':',
          '-',
          '{',
          '}',
          '[',
          ']',
          '"',
          "'",
          '\n',
          '  ',
          '${',
          '-5s',
          'null',
          '&a',
          '*a',
          '~',
          '0',
          '#',
        ),
      }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        let text = VALID;
        for (const m of ms) {
          const ls = text.split('\n');
          if (m.kind === 'delete') ls.splice(m.line % ls.length, 1);
          if (m.kind === 'duplicate') ls.splice(m.line % ls.length, 0, ls[m.line % ls.length] ?? '');
          text = ls.join('\n');
          if (m.kind === 'replace' || m.kind === 'token') {
            const at = m.at % (text.length + 1);
            text = text.slice(0, at) + m.text + text.slice(at + (m.kind === 'replace' ? m.text.length : 0));
          }
        }
        const r = validateExperiment(text);
        if (r.ok) return;
        assert.ok(r.errors.length > 0);
        for (const e of r.errors) {
          assert.equal(typeof e.message, 'string');
          assert.ok(e.message.length > 0);
          if (e.line !== undefined) assert.ok(e.line >= 1 && e.line <= text.split('\n').length + 1);
        }
      }),
      { numRuns: 400, seed: 20240611 },
    );
  });

  test('a file that reuses one anchor 100 times (and more) validates', () => {
    // 150 monitors sharing one definition, each fault reusing one `with:` map: what real reuse looks like
    const monitors = Array.from({ length: 150 }, (_, i) => `  m${i + 1}: *probe`).join('\n');
    const faults = Array.from(
      { length: 100 },
      (_, i) => `  - { disruptor: process.kill, target: *t, at: ${i + 1}s, with: *kill }`,
    ).join('\n');
    const text = `title: reuse
duration: 200s
targets:
  api: { type: process, command: node server.js }
monitors:
  m0: &probe { type: http, url: "http://127.0.0.1:8080/health", every: 500ms }
${monitors}
faults:
  - { disruptor: process.kill, target: &t api, at: 0s, with: &kill { signal: SIGKILL } }
${faults}
`;
    const r = validateExperiment(text);
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatExperimentError).join('\n'));
    assert.equal(Object.keys(r.spec.monitors).length, 151);
    assert.equal(r.spec.faults.length, 101);
  });

  test('a billion laughs is refused quickly at the alias that passes the limit, by line and field', () => {
    const text = readFileSync(join(brokenDir, '28-alias-bomb.yaml'), 'utf8');
    // not a time bound: a billion values would not be walked in minutes; this is only to fail, not hang
    const started = Date.now();
    const r = validateExperiment(text, { file: 'bomb.yaml' });
    assert.ok(Date.now() - started < 20_000);
    assert.deepEqual(!r.ok && r.errors.map(formatExperimentError), [
      'bomb.yaml:10:38: lol.e[7]: *d: aliases expand this file past 100000 values, the limit for an experiment file',
    ]);
  });

  test('every file in examples/experiments validates', () => {
    const files = readdirSync(examplesDir).filter((f) => /\.ya?ml$/.test(f));
    assert.ok(files.length >= 3);
    for (const f of files) {
      const r = validateExperimentFile(join(examplesDir, f), { env: {} });
      assert.ok(r.ok, r.ok ? '' : r.errors.map(formatExperimentError).join('\n'));
    }
  });
});

describe('faultline validate', () => {
  test('prints ok and exits 0 for a valid file', () => {
    const r = cli('validate', 'examples/experiments/kill-one-replica.yaml');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'ok\n');
  });

  test('prints file:line:col: field: message and exits 2, no stack trace', () => {
    const file = 'test/fixtures/experiment/broken/04-missing-target.yaml';
    const r = cli('validate', file);
    assert.equal(r.code, 2);
    assert.equal(r.err, `${file}:7:40: faults[0].target: unknown target 'db'; defined: api\n`);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });

  test('a misspelt toxic attribute exits 2 naming file:line and the attribute, for validate and run', () => {
    const file = 'test/fixtures/experiment/broken/32-unknown-toxic-attribute.yaml';
    for (const args of [
      ['validate', file],
      ['run', file, '--dry-run'],
    ]) {
      const r = cli(...args);
      assert.equal(r.code, 2, r.err);
      assert.equal(
        r.err,
        `${file}:15:17: faults[0].with.attributes.latncy: unknown attribute 'latncy' of toxic latency (known: latency, jitter)\n`,
      );
    }
  });

  test('an alias bomb exits 2 naming file:line, no stack trace', () => {
    const file = 'test/fixtures/experiment/broken/28-alias-bomb.yaml';
    for (const args of [
      ['validate', file],
      ['run', file, '--dry-run'],
    ]) {
      const r = cli(...args);
      assert.equal(r.code, 2, r.err);
      assert.match(
        r.err,
        new RegExp(`^${file}:10:38: lol\\.e\\[7\\]: \\*d: aliases expand this file past 100000`),
      );
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
  });

  test('a missing file and a bad --set exit 2 with one line', () => {
    const missing = cli('validate', 'no/such/file.yaml');
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^no\/such\/file\.yaml: cannot read: /);
    const set = cli('validate', 'examples/experiments/kill-one-replica.yaml', '--set', 'nonsense');
    assert.equal(set.code, 2);
    assert.match(set.err, /--set: expected name=value/);
    assert.doesNotMatch(set.err, /\n\s+at /);
  });
});
