/**
 * Hosts in experiment files, without connecting anywhere: `inventory:` (INI or YAML, relative to the file) merged
 * with `hosts:`, host and group names resolved into each target's instances, bad host fields reported as
 * file:line: field (exit 2), and `--dry-run` naming the hosts a seed picks — the same hosts for the same seed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hostNamesOf } from '../../src/experiment/check.js';
import { hostsOf } from '../../src/experiment/hosts.js';
import { validateExperiment, validateExperimentFile } from '../../src/experiment/validate.js';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-fleet-spec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const INVENTORY = `[db]
db[1:3] ansible_host=10.9.0.[1:3]

[web]
web1 ansible_host=10.9.1.1 ansible_user=deploy ansible_become=true

[all:vars]
ansible_user=root
ansible_ssh_private_key_file=keys/id
`;
mkdirSync(join(dir, 'inv'));
writeFileSync(
  join(dir, 'inv', 'hosts.ini'),
  INVENTORY.replace(
    'db[1:3] ansible_host=10.9.0.[1:3]',
    'db1 ansible_host=10.9.0.1\ndb2 ansible_host=10.9.0.2\ndb3 ansible_host=10.9.0.3',
  ),
);

const BASE = `title: hosts
inventory: inv/hosts.ini
known_hosts: kh
hosts:
  cache1: { address: 10.9.2.1, user: ops, identity: ~/.ssh/cache, groups: [cache], become: true }
duration: 10s
targets:
  etcd:
    type: service
    hosts: db
    match: "etcd --name {{host.name}}"
    start: "systemd-run etcd --name {{host.name}}"
    max_unavailable: 1
  boxes: { type: host, hosts: [web1, cache] }
faults:
  - { name: kill, disruptor: host.process.kill, target: etcd, percent: 67, at: 1s, duration: 2s }
  - { name: pause, disruptor: host.process.pause, target: etcd, count: 1, every: 2s, duration: 1s }
  - { name: cmd, disruptor: host.command, target: boxes, at: 0s, with: { inject: "touch /tmp/{{host.name}}" } }
monitors:
  sshd: { type: host.command, hosts: [db, web1], nagios: true, command: "check_tcp -H {{host.address}} -p 22" }
`;

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('hosts in experiment files', () => {
  it('merges inventory: and hosts:, resolves paths, and gives each target its hosts in order', () => {
    const v = validateExperimentFile(write('ok.yaml', BASE), { env: {} });
    assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
    const spec = v.spec;
    assert.deepEqual(Object.keys(spec.hosts), ['db1', 'db2', 'db3', 'web1', 'cache1']);
    assert.deepEqual(hostNamesOf(spec.targets.etcd!), ['db1', 'db2', 'db3']);
    assert.deepEqual(hostNamesOf(spec.targets.boxes!), ['web1', 'cache1']);
    const byName = new Map(hostsOf(spec).map((h) => [h.name, h]));
    assert.equal(byName.get('db2')?.address, '10.9.0.2');
    assert.equal(byName.get('db2')?.identity, join(dir, 'inv', 'keys/id'), 'relative to the inventory');
    assert.equal(byName.get('web1')?.user, 'deploy');
    assert.equal(byName.get('web1')?.become, true);
    assert.equal(byName.get('cache1')?.identity?.endsWith('/.ssh/cache'), true);
    assert.equal(spec.known_hosts, join(dir, 'kh'), 'relative to the experiment file');
    assert.equal(spec.host_key, 'strict', 'strict by default');
    assert.deepEqual((spec.monitors.sshd as { hosts?: string[] }).hosts, ['db1', 'db2', 'db3', 'web1']);
  });

  it('reads a YAML inventory too', () => {
    write(
      'inv/hosts.yaml',
      'all:\n  children:\n    db:\n      hosts:\n        db1: { ansible_host: 10.9.0.1 }\n        db2: { ansible_host: 10.9.0.2 }\n',
    );
    const v = validateExperimentFile(
      write(
        'yaml.yaml',
        'title: t\ninventory: inv/hosts.yaml\nduration: 1s\ntargets:\n  s: { type: host, hosts: db }\n',
      ),
      { env: {} },
    );
    assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
    assert.deepEqual(hostNamesOf(v.spec.targets.s!), ['db1', 'db2']);
  });

  const bad: Array<[string, string, RegExp]> = [
    [
      'an unknown host or group',
      BASE.replace('hosts: db\n', 'hosts: [db1, dbx]\n'),
      /:\d+:\d+: targets\.etcd\.hosts\[1\]: no host or group 'dbx'; hosts: db1, db2, db3, web1, cache1; groups: all, db, web, cache/,
    ],
    [
      'a port out of range',
      BASE.replace('address: 10.9.2.1,', 'address: 10.9.2.1, port: 70000,'),
      /:5:\d+: hosts\.cache1\.port: /,
    ],
    [
      'an unknown host field',
      BASE.replace('become: true }', 'become: true, password: x }'),
      /:5:\d+: hosts\.cache1\.password: unknown field 'password'/,
    ],
    [
      'a host also in the inventory',
      BASE.replace('cache1:', 'db1:'),
      /:5:\d+: hosts\.db1: host 'db1' is also in the inventory/,
    ],
    [
      'a missing inventory',
      BASE.replace('inv/hosts.ini', 'inv/nope.ini'),
      /:2:\d+: inventory: inv\/nope\.ini: cannot read/,
    ],
    [
      'two ways to find the service',
      BASE.replace('    match:', '    pidfile: /run/etcd.pid\n    match:'),
      /:\d+:\d+: targets\.etcd\.match: give exactly one of pidfile, match or systemd/,
    ],
    [
      'a local disruptor on hosts',
      BASE.replace('host.process.kill, target: etcd', 'process.kill, target: etcd'),
      /faults\[0\]\.target: target 'etcd' is on hosts; this disruptor acts on local processes/,
    ],
    [
      'a host disruptor on a local target',
      BASE.replace(
        'boxes: { type: host, hosts: [web1, cache] }',
        'boxes: { type: attach, pid_files: [/run/x.pid] }',
      ),
      /faults\[2\]\.target: target 'boxes' is a local attach target; this disruptor acts on hosts/,
    ],
    [
      'a restart with no start command',
      BASE.replace('    start: "systemd-run etcd --name {{host.name}}"\n', '').replace(
        'host.process.kill',
        'host.process.restart',
      ),
      /faults\[0\]\.target: target has no start command/,
    ],
    [
      'a host placeholder on a local monitor',
      `${BASE}  web: { type: http, url: "http://{{host.address}}/" }\n`,
      /monitors\.web\.url: \{\{host\.address\}\}: host placeholders only work/,
    ],
    [
      'a host.command monitor with no hosts',
      BASE.replace('hosts: [db, web1], nagios', 'nagios'),
      /monitors\.sshd: host\.command needs hosts/,
    ],
  ];
  for (const [what, text, expected] of bad) {
    it(`reports ${what} as file:line: field, exit 2, no stack trace`, async () => {
      const file = write(`bad-${what.replace(/\W+/g, '-')}.yaml`, text);
      const r = await cli(['validate', file]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, expected);
      assert.ok(r.stderr.startsWith(file), r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  it('reports a bad inventory line through the inventory: field', () => {
    const v = validateExperiment('title: t\ninventory: x.ini\nduration: 1s\n', {
      file: join(dir, 'x.yaml'),
      readInventory: () => '[db]\ndb1 ansible_port=99999\n[bad\n',
    });
    assert.equal(v.ok, false);
    const [e] = v.ok ? [] : v.errors;
    assert.equal(e?.line, 2);
    assert.equal(e?.field, 'inventory');
    assert.match(e?.message ?? '', /x\.ini: inventory line 3: bad section header \[bad/);
  });

  it('--dry-run names the hosts the seed picks: the same seed, the same hosts', async () => {
    const file = write('dry.yaml', BASE);
    const a = await cli(['run', file, '--dry-run', '--seed', '42']);
    const b = await cli(['run', file, '--dry-run', '--seed', '42']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stdout, /target etcd: 3 instance\(s\) on db1, db2, db3, at most 1 unavailable at once/);
    assert.match(a.stdout, /kill \(host\.process\.kill\) → etcd\[\d\] on db\d/);
    assert.match(a.stdout, /cmd \(host\.command\) → boxes\[0\] on web1/);
    const picks = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const r = await cli(['run', file, '--dry-run', '--json', '--seed', String(seed)]);
      const plan = JSON.parse(r.stdout) as { steps: Array<{ fault: string; host?: string; status: string }> };
      const kill = plan.steps.find((s) => s.fault === 'kill' && s.status === 'apply');
      assert.ok(kill?.host?.startsWith('db'), JSON.stringify(plan.steps));
      picks.add(kill?.host as string);
    }
    assert.ok(picks.size >= 2, `seeds pick different hosts: ${[...picks]}`);
  });
});
