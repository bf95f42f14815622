/**
 * Host faults in experiments against a real 3-member etcd cluster on the namespace test bed (one bed for the
 * file): partitioning the leader away (a new leader, writes through the majority again, time_to_recover
 * measured), a seeded 2+1 split on a group named directly as the target (the minority refuses writes, the
 * majority takes them, judged by a monitor writing on every member), killing 2 of 3 (writes fail, the
 * hypothesis breaks, blamed on the kill; the members are started again), max_unavailable holding back a kill
 * while a partition leaves a host unreachable, the leader chosen by a `select:` probe of etcd on each host and
 * killed, and a frozen member that resumes into a healthy cluster.
 *
 * etcd runs with its default 1 s election timeout; the machine is shared, so bounds are generous.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processState } from '../../src/disruptors/proc.js';
import { type JournalEvent, pendingReverts, readJournal } from '../../src/experiment/journal.js';
import { planExperiment } from '../../src/experiment/plan.js';
import type { RunEvent } from '../../src/experiment/run-types.js';
import { validateExperimentFile } from '../../src/experiment/validate.js';
import { pollUntil } from '../../src/fleet/faults/types.js';
import { startLogOf } from '../../src/fleet/remote-process.js';
import { runFile, tempDir } from '../experiment/engine-helpers.js';
import { bedTestFile } from '../helpers/exclusive.js';
import { bedUnavailable, fleetBed } from '../helpers/fleet-bed.js';

bedTestFile();

const unavailable =
  bedUnavailable() ??
  (['/usr/bin/etcd', '/usr/bin/etcdctl'].some((p) => !existsSync(p))
    ? 'needs etcd (apt-get install etcd-server etcd-client)'
    : undefined);
if (unavailable) console.log(`# skipping the etcd experiment tests: ${unavailable}`);

const PREFIX = 'flwe';
const HOSTS = [`${PREFIX}-n1`, `${PREFIX}-n2`, `${PREFIX}-n3`];
const HEALTHY_MS = 60_000;

describe('host faults in experiments against etcd, on the fleet test bed', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: PREFIX, net: '10.234.57', hosts: 3, etcd: true });
  const dir = tempDir('fleet-etcd');
  let serial = 0;

  before(() => bed.up());
  after(() => {
    bed.down();
    rmSync(dir, { recursive: true, force: true });
    for (const h of HOSTS) rmSync(startLogOf(`etcd@${h}`), { force: true }); // the bed shares this filesystem
  });

  const hostOf = (endpoint: string) => HOSTS[bed.etcd.endpoints().indexOf(endpoint)] as string;
  const endpointOf = (host: string) => bed.etcd.endpoint(HOSTS.indexOf(host) + 1);

  /** Every member answers, and they agree on one leader: resolves with it. */
  async function healthy(): Promise<{ endpoint: string; memberId: string }> {
    let leader: { endpoint: string; memberId: string } | undefined;
    const ok = await pollUntil(
      async () => {
        const seen = await bed.etcd.status();
        leader = seen.length === 3 ? await bed.etcd.leader() : undefined;
        return leader !== undefined;
      },
      HEALTHY_MS,
      200,
    );
    assert.ok(ok && leader, 'the cluster is healthy: three members agreeing on a leader');
    return leader;
  }

  /** No faultline rule left in any host's namespace. */
  function noRulesLeft(): void {
    for (const ns of bed.namespaces) {
      const rules = execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-S'], { encoding: 'utf8' });
      assert.doesNotMatch(rules, /faultline:/, `${ns}: faultline rules left`);
    }
  }

  const service = `targets:
  etcd:
    type: service
    hosts: etcd
    pidfile: ${bed.state}/{{host.name}}/etcd.pid
    start: sh ${bed.state}/{{host.name}}/etcd.sh
`;

  /** Writes an experiment on the bed's inventory: `targets` (default: a service target `etcd`), then `body`. */
  function experiment(body: string, targets = service): string {
    const file = join(dir, `e${++serial}.yaml`);
    writeFileSync(
      file,
      `title: etcd ${serial}
inventory: ${bed.inventory}
known_hosts: ${bed.knownHosts}
${targets}${body}`,
    );
    return file;
  }

  const events = (path: string) => readJournal(path);

  it('partitions the leader away: a new leader, writes through the majority succeed again, time_to_recover measured', async () => {
    const old = await healthy();
    const leader = hostOf(old.endpoint);
    const via = bed.etcd.endpoints().find((e) => e !== old.endpoint) as string;
    const file = experiment(
      `duration: 16s
parameters:
  leader: nobody
load:
  - name: writes
    type: http
    url: ${via}/v3/kv/put
    method: POST
    body: '{"key": "ZmF1bHRsaW5l", "value": "aXNvbGF0ZQ=="}'
    rate: 20/s
    timeout: 1s
faults:
  - { name: isolate, disruptor: host.partition, target: etcd, at: 1s, duration: 5s, with: { shape: isolate, chosen: ["\${leader}"] } }
hypothesis:
  - { kpi: time_to_recover, below: 20s, absorb: true, recovered_when: { for: 1s, p99: 500ms } }
`,
    );
    // 10 s after the fault: the old leader rejoins with a higher term (no pre-vote in etcd 3.4) and may force one
    // more election; p99 bounded at 500 ms because etcd fsyncs every write and a shared CI disk stalls for
    // hundreds of ms (a second at 969 ms was seen), which is the disk, not the partition
    const run = await runFile(file, { seed: 1, set: { leader } });
    const ttr = run.result.assertions.find((h) => h.kpi === 'time_to_recover');
    console.log(`# time_to_recover after isolating leader ${leader}: ${JSON.stringify(ttr?.measured)}`);
    assert.equal(run.verdict, 'pass', run.reason);
    assert.equal(typeof ttr?.measured, 'number', 'recovered: a time, not never');
    const [fr] = run.result.faultRuns;
    assert.equal(fr?.status, 'applied');
    assert.deepEqual(fr?.info?.unavailable, [leader], 'the isolated leader counts unavailable');
    // requests failed while the majority elected, then went through: some of each during the fault
    const during = run.result.load[0]?.kpis.during;
    assert.ok((during?.errorRate ?? 0) > 0, 'writes failed while there was no leader');
    assert.ok((during?.errorRate ?? 1) < 1, 'writes succeeded through the majority');
    const now = await healthy();
    assert.notEqual(now.memberId, old.memberId, 'another member leads');
    // journaled: the whole plan (every host's revert command) before the rules went in
    const es = events(run.journalPath);
    const withRecords = es.findIndex(
      (e) => e.event === 'fault.applying' && Array.isArray(e.revert.records) && e.revert.records.length === 3,
    );
    const applied = es.findIndex((e) => e.event === 'fault.applied');
    assert.ok(withRecords >= 0 && withRecords < applied, 'records journaled before the fault applied');
    assert.deepEqual(pendingReverts(es), []);
    noRulesLeft();
  });

  it('a 2+1 split of a group named as the target: the minority refuses writes, the majority takes them', async () => {
    await healthy();
    const write = `ETCDCTL_API=3 etcdctl --endpoints http://127.0.0.1:2379 --command-timeout 1s put faultline-{{host.name}} x`;
    const file = experiment(
      `duration: 8s
faults:
  - { name: split, disruptor: host.partition, target: etcd-hosts, at: 1s, duration: 5s, with: { shape: halves } }
monitors:
  writes: { type: host.command, hosts: etcd, command: "${write}", every: 500ms, timeout: 4s }
`,
      `targets:
  etcd-hosts:
    type: host
    hosts: etcd
`,
    );
    // the inventory group named directly as the target: its hosts, split the same way by the same seed
    const direct = experiment(
      `duration: 8s
faults:
  - { name: split, disruptor: host.partition, target: etcd, at: 1s, duration: 5s, with: { shape: halves } }
`,
      '',
    );
    const run = await runFile(file, { seed: 4 });
    assert.equal(run.verdict, 'pass', run.reason);
    const step = run.result.plan.steps[0];
    const [minority, majority] = (step?.group?.sides ?? [[], []]) as [string[], string[]];
    assert.equal(minority.length, 1, JSON.stringify(step?.group));
    assert.equal(majority.length, 2);
    assert.deepEqual(step?.group?.unavailable, minority);
    const fr = run.result.faultRuns[0];
    assert.ok(fr?.status === 'applied' && fr.endMs !== null);
    const samples = run.result.monitors.find((m) => m.name === 'writes')?.samples ?? [];
    // once the majority has a leader (an election at most), every sample is the majority writing, the minority not
    const inWindow = samples.filter((s) => s.tMs >= fr.startMs + 3_000 && s.tMs <= (fr.endMs as number));
    assert.ok(inWindow.length > 0, 'samples while split');
    for (const s of inWindow) {
      assert.equal(s.value, 2, `two members write: ${s.error ?? s.detail}`);
      assert.match(s.error ?? '', new RegExp(minority[0] as string), 'the minority member refused');
    }
    assert.ok(
      samples.some((s) => s.tMs < fr.startMs && s.value === 3),
      'all three wrote before the split',
    );
    await healthy();
    noRulesLeft();

    const named = await runFile(direct, { seed: 4 });
    assert.equal(named.verdict, 'pass', named.reason);
    assert.equal(named.result.spec.targets.etcd?.type, 'host', 'the group became a host target');
    assert.deepEqual(named.result.plan.targets.etcd?.hosts, HOSTS);
    // the run split the hosts as its plan said
    assert.deepEqual(named.result.faultRuns[0]?.info?.sides, named.result.plan.steps[0]?.group?.sides);
    await healthy();
    noRulesLeft();
  });

  it('killing 2 of 3 members: writes fail, the hypothesis breaks, blamed on the kill; both start again', async () => {
    await healthy();
    const endpoints = bed.etcd.endpoints().join(',');
    const before = HOSTS.map((_, i) => bed.etcd.pid(i + 1));
    const file = experiment(
      `duration: 6s
load:
  - name: writes
    type: command
    command: "ETCDCTL_API=3 etcdctl --endpoints ${endpoints} --dial-timeout 1s --command-timeout 1s put faultline-kill x"
    timeout: 3s
faults:
  - { name: kill-two, disruptor: host.process.kill, target: etcd, count: 2, at: 1s, duration: 3s }
hypothesis:
  - { kpi: error_rate, phase: during, below: 5% }
`,
    );
    const run = await runFile(file, { seed: 2 });
    assert.equal(run.verdict, 'fail', run.reason);
    const broken = run.result.assertions.find((h) => !h.passed);
    assert.deepEqual(broken?.faultsActive, ['kill-two']);
    const killed = run.result.faultRuns.filter((r) => r.status === 'applied');
    assert.equal(killed.length, 2);
    const victims = killed.map((r) => r.instance.replace('etcd@', ''));
    for (const h of victims) {
      const i = HOSTS.indexOf(h) + 1;
      assert.notEqual(bed.etcd.pid(i), before[i - 1], `${h} runs a new member`);
    }
    await healthy();
  });

  it('max_unavailable 1: a kill while a partition leaves a host unreachable is skipped, with the reason', async () => {
    await healthy();
    const pids = HOSTS.map((_, i) => bed.etcd.pid(i + 1));
    const file = experiment(
      `    max_unavailable: 1
    excess: drop
duration: 4s
faults:
  - { name: cut, disruptor: host.partition, target: etcd, at: 0s, duration: 3s, with: { shape: isolate } }
  - { name: kill, disruptor: host.process.kill, target: etcd, at: 1s, duration: 1s }
`,
    );
    const run = await runFile(file, { seed: 9 });
    assert.equal(run.verdict, 'pass', run.reason);
    const dropped = run.result.plan.steps.filter((s) => s.status === 'dropped');
    assert.deepEqual(
      dropped.map((s) => s.fault),
      ['kill'],
    );
    assert.match(dropped[0]?.note ?? '', /max_unavailable 1 of 3/);
    assert.deepEqual(
      run.result.faultRuns.map((r) => `${r.fault}:${r.status}`),
      ['cut:applied'],
    );
    assert.deepEqual(
      HOSTS.map((_, i) => bed.etcd.pid(i + 1)),
      pids,
      'no member was killed',
    );
    await healthy();
    noRulesLeft();
  });

  it('select: the leader, chosen by a probe of etcd on each host, is the member a kill takes', async () => {
    const leader = hostOf((await healthy()).endpoint);
    const pids = HOSTS.map((_, i) => bed.etcd.pid(i + 1));
    const file = experiment(
      `duration: 3s
faults:
  - { name: kill, disruptor: host.process.kill, target: leader, at: 0s, duration: 1s }
`,
      `targets:
  leader:
    type: service
    hosts: etcd
    pidfile: ${bed.state}/{{host.name}}/etcd.pid
    start: sh ${bed.state}/{{host.name}}/etcd.sh
    select:
      command: >-
        ETCDCTL_API=3 etcdctl --endpoints http://127.0.0.1:2379 endpoint status -w fields
        | awk -F' : ' '/"MemberID"/ {m=$2} /"Leader"/ {l=$2} END {exit !(m != "" && (m "") == (l ""))}'
`,
    );
    // a seed that, over all three hosts, would pick another member
    const v = validateExperimentFile(file, { env: process.env });
    assert.ok(v.ok);
    const seed = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].find(
      (s) => planExperiment(v.spec, s).steps.find((st) => st.fault === 'kill')?.host !== leader,
    ) as number;
    const run = await runFile(file, { seed });
    assert.equal(run.verdict, 'pass', run.reason);
    assert.deepEqual(
      run.result.faultRuns.map((r) => `${r.status}:${r.instance}`),
      [`applied:leader@${leader}`],
    );
    assert.deepEqual(run.result.faultRuns[0]?.info?.killed, [pids[HOSTS.indexOf(leader)]]);
    assert.ok(
      run.result.events.some(
        (e) => e.kind === 'target.selected' && e.message.startsWith(`leader: ${leader} of`),
      ),
    );
    await healthy();
  });

  it('a frozen member (host.freeze) is stopped while frozen, resumes, and the cluster is healthy after', async () => {
    await healthy();
    let stoppedWhenApplied: boolean | undefined;
    let frozen = '';
    const file = experiment(
      `duration: 4s
faults:
  - { name: freeze, disruptor: host.freeze, target: etcd, at: 0s, duration: 2s }
`,
    );
    const run = await runFile(file, {
      seed: 5,
      onEvent: (e: RunEvent) => {
        if (e.kind !== 'fault.applied') return;
        frozen = /etcd@([\w-]+)/.exec(e.message)?.[1] ?? '';
        const pid = bed.etcd.pid(HOSTS.indexOf(frozen) + 1);
        stoppedWhenApplied = ['T', 't'].includes(processState(pid) ?? '');
      },
    });
    assert.equal(run.verdict, 'pass', run.reason);
    assert.equal(stoppedWhenApplied, true, `etcd on ${frozen} was stopped when the fault counted as applied`);
    const pid = bed.etcd.pid(HOSTS.indexOf(frozen) + 1);
    assert.notEqual(processState(pid), 'T', 'resumed');
    const es: JournalEvent[] = events(run.journalPath);
    assert.deepEqual(pendingReverts(es), []);
    await healthy();
    noRulesLeft();
    // the frozen member answers again
    await bed.etcd.ctl([endpointOf(frozen)], ['--command-timeout', '5s', 'get', 'faultline-x']);
  });
});
