/**
 * `extends:` (a shared system file) and run-time placeholders: maps merge name by name in the base file's order,
 * this file wins, and an error in either file names that file, line and field.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { expandDeep } from '../../src/experiment/templates.js';
import { validateExperiment, validateExperimentFile } from '../../src/experiment/validate.js';
import { cliArgv } from '../helpers/cli.js';

const BASE = `parameters:
  rate: 100
warmup: 2s
targets:
  db:
    type: process
    command: db --port {{ports.sql}}
    ports: { sql: 0 }
  api:
    type: process
    command: api
    count: \${replicas}
monitors:
  api: { type: tcp, port: 1 }
`;

function validate(child: string, base = BASE, set: Record<string, string> = {}) {
  return validateExperiment(child, { file: 'exp/child.yaml', readBase: () => base, set });
}

describe('extends', () => {
  it('fills in what the file does not set; maps merge by name in the base order; the file wins', () => {
    const r = validate(`extends: ../system.yaml
title: t
duration: 5s
parameters:
  replicas: 3
targets:
  api: { type: process, command: api-v2, count: 2 }
  cache: { type: process, command: cache }
`);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.deepEqual(Object.keys(r.spec.targets), ['db', 'api', 'cache']);
    assert.equal(r.spec.targets.api?.type === 'process' && r.spec.targets.api.command, 'api-v2');
    assert.equal(r.spec.warmup, '2s');
    assert.deepEqual(Object.keys(r.spec.monitors), ['api']);
    assert.equal(r.parameters.rate, 100);
  });

  it('parameters of this file (and --set) reach the base file', () => {
    const r = validate('extends: s.yaml\ntitle: t\nduration: 5s\nparameters:\n  replicas: 2\n', BASE, {
      replicas: '4',
    });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.equal(r.spec.targets.api?.type === 'process' && r.spec.targets.api.count, 4);
  });

  it('an error in the base file names the base file, line and field', () => {
    const r = validate('extends: system.yaml\ntitle: t\nduration: 5s\nparameters:\n  replicas: -1\n');
    assert.equal(r.ok, false);
    const e = !r.ok ? r.errors[0] : undefined;
    assert.equal(e?.file, 'exp/system.yaml');
    assert.equal(e?.line, 12);
    assert.equal(e?.field, 'targets.api.count');
  });

  it('an error in this file still names this file', () => {
    const r = validate('extends: system.yaml\ntitle: t\nduration: -5s\nparameters:\n  replicas: 1\n');
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && [r.errors[0]?.file, r.errors[0]?.line, r.errors[0]?.field], [
      'exp/child.yaml',
      3,
      'duration',
    ]);
  });

  it('a missing or nested base file is one clear error', () => {
    const missing = validateExperimentFile(
      'test/fixtures/experiment/kill-one.yaml'.replace('kill-one', 'nope'),
    );
    assert.equal(missing.ok, false);
    const r = validateExperiment('extends: nowhere.yaml\ntitle: t\nduration: 1s\n', { file: 'x.yaml' });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? (r.errors[0]?.message ?? '') : '', /cannot read nowhere\.yaml/);
    const nested = validate('extends: a.yaml\ntitle: t\nduration: 1s\n', 'extends: b.yaml\n');
    assert.match(!nested.ok ? (nested.errors[0]?.message ?? '') : '', /one level only/);
  });
});

describe('extends: which files it follows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-extends-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const CHILD = (path: string) => `title: t\nduration: 5s\n\nextends: ${path}\n`;
  // the refusal names this file and the line of its extends: field (line 4 of CHILD)
  const refusal = (file: string, path: string, why: string) =>
    new RegExp(`^${file}:4:10: extends: cannot read ${path}: ${why}\\n$`);
  const validateCli = (file: string) => {
    // generous: only there to fail instead of hanging; the command is expected to answer at once
    const r = spawnSync(process.execPath, [...cliArgv, 'validate', file], {
      encoding: 'utf8',
      env: { ...process.env, FAULTLINE_DEBUG: '' },
      timeout: 20_000,
    });
    assert.equal(r.signal, null, `validate ${file} did not finish`);
    return { code: r.status, err: r.stderr };
  };

  it('a FIFO is refused at once, not waited on', () => {
    const fifo = join(dir, 'base.fifo');
    execFileSync('mkfifo', [fifo]);
    const file = join(dir, 'fifo.yaml');
    writeFileSync(file, CHILD('base.fifo'));
    const r = validateCli(file);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, refusal(file, fifo, 'not a regular file \\(a FIFO\\)'));
  });

  it('/dev/zero is refused, not read until memory runs out; an absolute path is that file', () => {
    const file = join(dir, 'zero.yaml');
    writeFileSync(file, CHILD('/dev/zero'));
    const r = validateCli(file);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, refusal(file, '/dev/zero', 'not a regular file \\(a character device\\)'));
  });

  it('a file over 1 MiB is refused, the limit stated; a directory is refused', () => {
    writeFileSync(join(dir, 'huge.yaml'), `# ${'x'.repeat(1024 * 1024 - 2)}\nwarmup: 1s\n`);
    writeFileSync(join(dir, 'big-child.yaml'), CHILD('huge.yaml'));
    const r = validateExperimentFile(join(dir, 'big-child.yaml'));
    assert.deepEqual(!r.ok && r.errors.map((e) => [e.line, e.field, e.message]), [
      [
        4,
        'extends',
        `cannot read ${join(dir, 'huge.yaml')}: too large: 1048588 bytes; the limit for an experiment file is 1 MiB`,
      ],
    ]);
    // exactly at the limit is fine
    writeFileSync(join(dir, 'full.yaml'), `warmup: 1s\n# ${'x'.repeat(1024 * 1024 - 14)}\n`);
    writeFileSync(join(dir, 'full-child.yaml'), CHILD('full.yaml'));
    const full = validateExperimentFile(join(dir, 'full-child.yaml'));
    assert.ok(full.ok, JSON.stringify(!full.ok && full.errors));
    assert.equal(full.spec.warmup, '1s');
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'folder-child.yaml'), CHILD('folder'));
    const d = validateExperimentFile(join(dir, 'folder-child.yaml'));
    assert.match(!d.ok ? (d.errors[0]?.message ?? '') : '', /not a regular file \(a directory\)/);
    assert.equal(!d.ok && d.errors[0]?.line, 4);
  });

  it('an absolute path to a regular file is honoured, not taken as relative', () => {
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'system.yaml'), 'warmup: 3s\n');
    const elsewhere = join(dir, 'experiments');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'abs.yaml'), CHILD(join(shared, 'system.yaml')));
    const r = validateExperimentFile(join(elsewhere, 'abs.yaml'));
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.equal(r.spec.warmup, '3s');
  });

  it('a missing base file and a base file that extends another name their lines', () => {
    const r = validateExperiment(CHILD('nowhere.yaml'), { file: 'x.yaml' });
    assert.equal(!r.ok && r.errors[0]?.line, 4);
    const nested = validate('title: t\nextends: a.yaml\nduration: 1s\n', '# shared\nextends: b.yaml\n');
    assert.deepEqual(!nested.ok && [nested.errors[0]?.file, nested.errors[0]?.line], ['exp/a.yaml', 2]);
  });
});

describe('run-time placeholders', () => {
  const targets = new Map([
    ['db', [{ id: 'db-0', index: 0, ports: { sql: 5432 } }]],
    [
      'api',
      [
        { id: 'api-0', index: 0, ports: { http: 8000 } },
        { id: 'api-1', index: 1, ports: { http: 8001 } },
      ],
    ],
  ]);

  it('expands per instance and across targets', () => {
    const self = targets.get('api')?.[1];
    const out = expandDeep(
      {
        cmd: ['srv', '--port', '{{ports.http}}', '--db', '{{targets.db.ports.sql}}'],
        peers: '{{targets.api.ports.http}}',
        id: '{{instance}}/{{index}}/{{targets.api.count}}',
      },
      ['targets', 'api'],
      { targets, ...(self ? { self } : {}) },
    );
    assert.deepEqual(out, {
      cmd: ['srv', '--port', '8001', '--db', '5432'],
      peers: '8000,8001',
      id: 'api-1/1/2',
    });
  });

  it('{{faultline}} is a command line that runs this faultline, from any folder, in any field', () => {
    const { command } = expandDeep({ command: '{{faultline}} --version' }, ['monitors', 'm'], { targets });
    const argv = command.split(' ');
    assert.ok(argv.length >= 3 && !command.includes('{{'), command);
    const r = spawnSync(argv[0] as string, argv.slice(1), { cwd: tmpdir(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
    const v = validateExperiment(
      `title: t\nduration: 1s\ntargets:\n  p:\n    type: process\n    command: "{{faultline}} proxy --port {{ports.api}}"\n    ports: { api: 0 }\n`,
      { file: 'e.yaml', env: {} },
    );
    assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  });

  it('a placeholder with no value names the field and what exists', () => {
    assert.throws(
      () => expandDeep({ url: 'http://x:{{targets.cache.ports.http}}' }, ['monitors', 'm'], { targets }),
      /monitors\.m\.url: \{\{targets\.cache\.ports\.http\}\} has no value; targets: db, api/,
    );
    assert.throws(
      () => expandDeep({ url: 'http://x:{{ports.http}}' }, ['monitors', 'm'], { targets }),
      /per-instance placeholders only work in targets and fault options/,
    );
    assert.deepEqual(
      expandDeep({ path: '/kv/{{key}}', api: '{{targets.db.ports.sql}}' }, ['load', 0], {
        targets,
        keepUnknown: true,
      }),
      { path: '/kv/{{key}}', api: '5432' },
    );
  });
});
