/**
 * Host faults in experiment files, without connecting anywhere: the partition's seeded sides in `--dry-run`
 * (the same seed, the same hosts and sides; other seeds, other splits), a group named directly as a fault's
 * target, `max_unavailable` counting the hosts a partition cuts from the majority, and the library's option
 * errors reported as file:line: field (exit 2).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ExperimentPlan } from '../../src/experiment/plan.js';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-host-faults-'));
after(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(dir, 'hosts.ini'),
  `[etcd]
e1 ansible_host=10.9.0.1
e2 ansible_host=10.9.0.2
e3 ansible_host=10.9.0.3
e4 ansible_host=10.9.0.4
e5 ansible_host=10.9.0.5

[all:vars]
ansible_user=root
`,
);

let n = 0;
function write(body: string): string {
  const file = join(dir, `e${++n}.yaml`);
  writeFileSync(
    file,
    `title: host faults
inventory: hosts.ini
known_hosts: kh
duration: 20s
${body}`,
  );
  return file;
}

const PARTITION = `faults:
  - { name: split, disruptor: host.partition, target: etcd, at: 1s, duration: 5s, with: { shape: halves } }
  - { name: ring, disruptor: host.partition, target: etcd, at: 10s, duration: 5s, with: { shape: majorities-ring } }
`;

describe('host faults in experiment files', () => {
  it('--dry-run prints the partition’s hosts and seeded sides; the same seed gives the same, others differ', async () => {
    const file = write(PARTITION);
    const once = await cli(['run', file, '--dry-run', '--seed', '7']);
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /target etcd: 5 instance\(s\) on e1, e2, e3, e4, e5/, 'a group as the target');
    assert.match(
      once.stdout,
      /\+1\.000s\s+split \(host\.partition\) → etcd on e1, e2, e3, e4, e5 until \+6\.000s: sides (e\d ?){2} \| (e\d ?){3}; unavailable: e\d, e\d/,
    );
    assert.match(once.stdout, /ring \(host\.partition\) .*views .*; none unavailable/);
    const again = await cli(['run', file, '--dry-run', '--seed', '7']);
    assert.equal(again.stdout, once.stdout, 'the same seed, the same plan');

    const sides = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) {
      const r = await cli(['run', file, '--dry-run', '--json', '--seed', String(seed)]);
      const plan = JSON.parse(r.stdout) as ExperimentPlan;
      const split = plan.steps.find((s) => s.fault === 'split')?.group;
      assert.ok(split, r.stdout);
      assert.deepEqual(split.hosts, ['e1', 'e2', 'e3', 'e4', 'e5']);
      assert.equal(split.sides.flat().length, 5, 'halves put every host on a side');
      assert.deepEqual(split.unavailable, split.sides[0], 'the smaller half cannot reach a majority');
      sides.add(JSON.stringify(split.sides));
    }
    assert.ok(sides.size > 1, 'other seeds split otherwise');
  });

  it('max_unavailable counts the hosts a partition cuts from the majority: a kill beyond it is dropped', async () => {
    const file = write(`targets:
  db:
    type: service
    hosts: etcd
    match: "etcd --name {{host.name}}"
    max_unavailable: 2
    excess: drop
faults:
  - { name: split, disruptor: host.partition, target: db, at: 0s, duration: 5s, with: { shape: halves } }
  - { name: kill, disruptor: host.process.kill, target: db, at: 1s, duration: 1s }
  - { name: later, disruptor: host.process.kill, target: db, at: 6s, duration: 1s }
  - { name: cut, disruptor: host.partition, target: db, at: 8s, duration: 1s, with: { shape: isolate, chosen: [e1, e2, e3] } }
`);
    const r = await cli(['run', file, '--dry-run', '--json', '--seed', '3']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as ExperimentPlan;
    const status = Object.fromEntries(plan.steps.map((s) => [s.fault, s.status]));
    assert.deepEqual(status, { split: 'apply', kill: 'dropped', later: 'apply', cut: 'apply' });
    assert.match(
      plan.steps.find((s) => s.fault === 'kill')?.note ?? '',
      /max_unavailable 2 of 5: 2 already unavailable/,
    );
    // the chosen three of five keep a majority: the other two are the ones cut off, and fit in the room of 2
    assert.match(plan.steps.find((s) => s.fault === 'cut')?.group?.describe ?? '', /unavailable: e4, e5/);
    // isolating two of five leaves those two without a majority: more than a room of 1
    const over = write(`targets:
  db: { type: host, hosts: etcd, max_unavailable: 1, excess: drop }
faults:
  - { name: cut, disruptor: host.partition, target: db, at: 0s, with: { shape: isolate, chosen: [e1, e2] } }
`);
    const o = JSON.parse(
      (await cli(['run', over, '--dry-run', '--json', '--seed', '1'])).stdout,
    ) as ExperimentPlan;
    assert.equal(o.steps[0]?.status, 'dropped');
    assert.match(
      o.steps[0]?.note ?? '',
      /max_unavailable 1 of 5: 0 already unavailable, .*would leave 2 more \(e1, e2\)/,
    );
  });

  it('max_unavailable counts hosts a host-wide fault on another target holds: both ways, a kill does not', async () => {
    // db and proxy run on the same five hosts; a partition of db that cuts e1 off leaves proxy's e1 unreachable
    const targets = `targets:
  db: { type: service, hosts: etcd, match: "etcd {{host.name}}" }
  proxy: { type: service, hosts: etcd, match: "proxy {{host.name}}", max_unavailable: 1, excess: drop }
`;
    const plan = async (body: string) => {
      const r = await cli(['run', write(targets + body), '--dry-run', '--json', '--seed', '3']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as ExperimentPlan;
    };
    const status = (p: ExperimentPlan) => Object.fromEntries(p.steps.map((s) => [s.fault, s.status]));
    const note = (p: ExperimentPlan, fault: string) => p.steps.find((s) => s.fault === fault)?.note ?? '';

    const killAfterCut = await plan(`faults:
  - { name: cut, disruptor: host.partition, target: db, at: 0s, duration: 5s, with: { shape: isolate, chosen: [e1] } }
  - { name: kill, disruptor: host.process.kill, target: proxy, at: 1s, duration: 1s }
  - { name: after, disruptor: host.process.kill, target: proxy, at: 6s, duration: 1s }
`);
    assert.deepEqual(status(killAfterCut), { cut: 'apply', kill: 'dropped', after: 'apply' });
    assert.match(
      note(killAfterCut, 'kill'),
      /max_unavailable 1 of 5: 1 already unavailable \(e1 by cut on db\)/,
    );

    // the other way: proxy's kill holds one host, so a cut of db that would take e1 from proxy too waits for it
    const cutAfterKill = await plan(`faults:
  - { name: kill, disruptor: host.process.kill, target: proxy, at: 0s, duration: 5s }
  - { name: cut, disruptor: host.partition, target: db, at: 1s, duration: 1s, with: { shape: isolate, chosen: [e1] } }
`);
    const kill = cutAfterKill.steps.find((s) => s.fault === 'kill');
    const cut = cutAfterKill.steps.find((s) => s.fault === 'cut');
    if (kill?.host === 'e1') assert.equal(cut?.startMs, 1000, 'e1 is already down for proxy');
    else {
      assert.equal(cut?.status, 'apply');
      assert.equal(cut?.startMs, 5000, 'after the kill ends');
      assert.equal(cut?.note, 'delayed 4000 ms by max_unavailable 1 of target proxy');
    }

    // a kill is not host-wide: a kill on db leaves proxy's room alone
    const twoKills = await plan(`faults:
  - { name: kdb, disruptor: host.process.kill, target: db, at: 0s, duration: 5s }
  - { name: kproxy, disruptor: host.process.kill, target: proxy, at: 1s, duration: 1s }
`);
    assert.deepEqual(status(twoKills), { kdb: 'apply', kproxy: 'apply' });
  });

  it('select: the dry run says the instances are chosen at run start; select on a local target is an error', async () => {
    const file = write(`targets:
  db:
    type: service
    hosts: etcd
    match: "etcd {{host.name}}"
    select: { command: "etcdctl endpoint status -w fields | grep -q IsLeader.*true" }
faults:
  - { name: kill, disruptor: host.process.kill, target: db, at: 1s, duration: 1s }
`);
    const r = await cli(['run', file, '--dry-run', '--seed', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /target db: its instances are chosen when the run starts, by select/);
    const local = write(`targets:
  app: { type: process, command: ["sleep", "100"], select: { command: "true" } }
faults:
  - { name: kill, disruptor: process.kill, target: app, at: 1s, duration: 1s }
`);
    const bad = await cli(['run', local, '--dry-run']);
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /:\d+:\d+: targets\.app\.select/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  });

  it('examples/fleet/etcd-partition.yaml plans to isolate the leader it is given', async () => {
    const state = join(dir, 'bed');
    mkdirSync(state);
    writeFileSync(
      join(state, 'inventory.ini'),
      '[etcd]\nflt-n1 ansible_host=10.231.0.11\nflt-n2 ansible_host=10.231.0.12\nflt-n3 ansible_host=10.231.0.13\n',
    );
    const args = ['--set', `state=${state}`, '--set', 'leader=flt-n2'];
    const r = await cli(['run', 'examples/fleet/etcd-partition.yaml', '--dry-run', '--seed', '1', ...args]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /isolate-leader \(host\.partition\) → etcd on flt-n1, flt-n2, flt-n3 .*: sides flt-n2 \| flt-n1 flt-n3; unavailable: flt-n2/,
    );
  });

  it('bad host-fault options are validation errors naming file:line and the field (exit 2)', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        '  - { disruptor: host.partition, target: etcd, at: 0s, with: { shape: ring } }',
        /:\d+:\d+: faults\[0\]\.with\.shape: .*isolate/,
      ],
      [
        '  - { disruptor: host.partition, target: etcd, at: 0s, with: { shape: isolate, chosen: [e9] } }',
        /:\d+:\d+: faults\[0\]\.with\.chosen\[0\]: "e9" is not one of the fault's hosts/,
      ],
      [
        '  - { disruptor: host.partition, target: etcd, count: 2, at: 0s, with: { shape: halves } }',
        /:\d+:\d+: faults\[0\]\.count: host\.partition acts on every host of its target at once/,
      ],
      [
        '  - { disruptor: host.network, target: etcd, at: 0s, with: { loss: 10%, peers: [nohost] } }',
        /:\d+:\d+: faults\[0\]\.with\.peers\[0\]: no host "nohost"/,
      ],
      [
        '  - { disruptor: host.freeze, target: etcd, at: 0s }',
        /:\d+:\d+: faults\[0\]\.with: give pids or patterns/,
      ],
      [
        '  - { disruptor: host.stress, target: nowhere, at: 0s, with: { cpu: 1, duration: 5s } }',
        /unknown target 'nowhere'/,
      ],
    ];
    for (const [fault, expected] of cases) {
      const file = write(`faults:\n${fault}\n`);
      const r = await cli(['validate', file]);
      assert.equal(r.code, 2, `${fault}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, expected, fault);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
