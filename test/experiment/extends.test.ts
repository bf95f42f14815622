/**
 * `extends:` (a shared system file) and run-time placeholders: maps merge name by name in the base file's order,
 * this file wins, and an error in either file names that file, line and field.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandDeep } from '../../src/experiment/templates.js';
import { validateExperiment, validateExperimentFile } from '../../src/experiment/validate.js';

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
