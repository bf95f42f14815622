/**
 * Experiments on hosts, on the real fleet test bed (three sshds in network namespaces and one idle address):
 * targets found by `pgrep -f` on each host through the bed's inventory, `host.process.kill` / `pause` applied
 * over SSH and seen in /proc, journaled before they take effect and reverted at the end; count, percent and
 * max_unavailable across hosts; Nagios plug-ins as monitors; a host nobody answers for is "not ready"; and
 * `faultline recover` after a kill -9 of the runner — with one host down (it stays pending, named, until the next
 * recover) — and `recover --sweep` without a journal.
 *
 * The namespaces share this machine's pid namespace and filesystem: each victim is a `sleep` whose command line
 * carries its host's name and a per-test tag, so patterns never match another host's process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processState } from '../../src/disruptors/proc.js';
import { type JournalEvent, pendingReverts, readJournal } from '../../src/experiment/journal.js';
import type { RunEvent } from '../../src/experiment/run-types.js';
import type { FleetContext } from '../../src/fleet/context.js';
import { pausedDirOf, startLogOf } from '../../src/fleet/remote-process.js';
import { startChild, stopAll } from '../disruptors/helpers.js';
import { runFile, tempDir } from '../experiment/engine-helpers.js';
import { cli, cliArgv } from '../helpers/cli.js';
import { bedTestFile } from '../helpers/exclusive.js';
import { alive, bedFleetContext, bedSweepArgv, bedUnavailable, fleetBed } from '../helpers/fleet-bed.js';
import { killMatching, pidsMatching } from '../plugins/harness/host-bed.js';

bedTestFile();

const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping the fleet experiment tests: ${unavailable}`);

const HOSTS = ['fltexp-n1', 'fltexp-n2', 'fltexp-n3'];
const stopped = (pid: number) => ['T', 't'].includes(processState(pid) ?? '');

describe('experiments on hosts, on the fleet test bed', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'fltexp', net: '10.232.47', hosts: 3, idle: 1 });
  const dir = tempDir('fleet-exp');
  const env = { ...process.env, FAULTLINE_STATE_DIR: join(dir, 'state') };
  let fleet: FleetContext;
  let serial = 0;

  before(() => {
    bed.up();
    fleet = bedFleetContext(bed, 'test');
  });
  after(async () => {
    await stopAll();
    for (const pid of pidsMatching(`fltexp-${process.pid}-`)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {}
    }
    killMatching(`fltexp-${process.pid}-`);
    await fleet?.close();
    bed.down();
    rmSync(dir, { recursive: true, force: true });
    // the start commands' logs (the bed's hosts share this filesystem)
    for (const h of HOSTS) rmSync(startLogOf(`svc@${h}`), { force: true });
    // the pause markers' directories, one per host
    for (const h of HOSTS) rmSync(pausedDirOf(h), { recursive: true, force: true });
  });

  /** A tag unique to one test; the victim on host H runs as `<tag>-H`. */
  const newTag = () => `fltexp-${process.pid}-${++serial}`;

  /** Starts the victim on each host over SSH; resolves with each one's pid (seen locally). */
  async function startVictims(tag: string, hosts = HOSTS): Promise<Record<string, number>> {
    const pids: Record<string, number> = {};
    for (const h of hosts) {
      await fleet.exec(
        h,
        `nohup setsid bash -c 'exec -a ${tag}-${h} sleep 1000' >/dev/null 2>&1 </dev/null &`,
      );
      const deadline = Date.now() + 5000;
      // another machine's process as far as the code under test knows: polled until /proc shows it
      while (pidsMatching(`${tag}-${h}`).length === 0) {
        assert.ok(Date.now() < deadline, `victim on ${h} did not start`);
        await new Promise((r) => setTimeout(r, 20));
      }
      pids[h] = pidsMatching(`${tag}-${h}`)[0] as number;
    }
    return pids;
  }

  /** Writes an experiment (`<tag><suffix>.yaml`) whose `svc` target is the victims of `tag` on `hosts`. */
  function experiment(tag: string, body: string, hosts = 'fleet', extra = '', suffix = ''): string {
    const file = join(dir, `${tag}${suffix}.yaml`);
    writeFileSync(
      file,
      `title: ${tag}
inventory: ${bed.inventory}
known_hosts: ${bed.knownHosts}
${extra}targets:
  svc:
    type: service
    hosts: ${hosts}
    match: "${tag}-{{host.name}}"
    start: "bash -c 'exec -a ${tag}-{{host.name}} sleep 1000'"
${body}`,
    );
    return file;
  }

  const events = (journal: string) => readJournal(journal);
  const indexOf = (es: JournalEvent[], pred: (e: JournalEvent) => boolean) => es.findIndex(pred);

  it('kills a process on a host: journaled first, seen gone, and started again when the fault ends', async () => {
    const tag = newTag();
    const pids = await startVictims(tag, ['fltexp-n2']);
    const victim = pids['fltexp-n2'] as number;
    const file = experiment(
      tag,
      `    max_unavailable: 1
duration: 3s
faults:
  - { name: kill, disruptor: host.process.kill, target: svc, at: 0s, duration: 1s }
`,
      '[fltexp-n2]',
    );
    let goneWhenApplied: boolean | undefined;
    const run = await runFile(file, {
      seed: 3,
      onEvent: (e: RunEvent) => {
        if (e.kind === 'fault.applied') goneWhenApplied = !alive(victim) || processState(victim) === 'Z';
      },
    });
    assert.equal(run.verdict, 'pass', run.reason);
    assert.equal(goneWhenApplied, true, 'the process was gone when the fault counted as applied');
    const [fr] = run.result.faultRuns;
    assert.equal(fr?.status, 'applied');
    assert.equal(fr?.instance, 'svc@fltexp-n2');
    assert.deepEqual(fr?.info?.killed, [victim]);
    assert.notEqual(fr?.endMs, null, 'reverted');
    // the revert started the service again on its host
    const now = pidsMatching(`${tag}-fltexp-n2`);
    assert.ok(now.length > 0 && !now.includes(victim), `restarted: ${now}`);
    const es = events(run.journalPath);
    const applying = indexOf(es, (e) => e.event === 'fault.applying');
    const applied = indexOf(es, (e) => e.event === 'fault.applied');
    assert.ok(applying >= 0 && applying < applied, 'fault.applying before fault.applied');
    const record = (es[applying] as Extract<JournalEvent, { event: 'fault.applying' }>).revert;
    assert.equal((record.host as { name: string }).name, 'fltexp-n2');
    assert.equal((record.host as { address: string }).address, bed.addressOf(2));
    assert.match(
      JSON.stringify(record.restart),
      new RegExp(`${tag}-fltexp-n2`),
      'the start command journaled',
    );
    assert.equal(es.find((e) => e.event === 'fleet')?.event, 'fleet', 'the hosts journaled');
    assert.deepEqual(pendingReverts(es), []);
  });

  it('pauses across hosts within max_unavailable: 2 of 3 stopped (seen in /proc), the third dropped, all resumed', async () => {
    const tag = newTag();
    const pids = await startVictims(tag);
    const file = experiment(
      tag,
      `    max_unavailable: 2
    excess: drop
duration: 3s
faults:
  - { name: pause, disruptor: host.process.pause, target: svc, percent: 100, at: 0s, duration: 1500ms }
`,
    );
    const stoppedAt: number[] = [];
    const run = await runFile(file, {
      seed: 11,
      onEvent: (e: RunEvent) => {
        if (e.kind === 'fault.applied') stoppedAt.push(Object.values(pids).filter(stopped).length);
      },
    });
    assert.equal(run.verdict, 'pass', run.reason);
    const runs = run.result.faultRuns;
    const applied = runs.filter((r) => r.status === 'applied');
    assert.equal(applied.length, 2, JSON.stringify(runs));
    const dropped = run.result.plan.steps.filter((s) => s.status === 'dropped');
    assert.equal(dropped.length, 1, 'the plan dropped the third');
    assert.match(dropped[0]?.note ?? '', /max_unavailable 2 of 3/);
    assert.equal(new Set(applied.map((r) => r.instance)).size, 2, 'two different hosts');
    assert.ok(stoppedAt.length === 2 && stoppedAt[1] === 2, `stopped when applied: ${stoppedAt}`);
    for (const pid of Object.values(pids)) assert.equal(stopped(pid), false, `pid ${pid} resumed`);
    // the plan named the hosts the seed picked, and the run used them
    const planned = run.result.plan.steps.filter((s) => s.status === 'apply').map((s) => `svc@${s.host}`);
    assert.deepEqual(applied.map((r) => r.instance).sort(), planned.sort());
    const es = events(run.journalPath);
    for (const r of applied) {
      const first = indexOf(es, (e) => e.event === 'fault.applying' && e.id === r.id);
      const withPids = indexOf(
        es,
        (e) =>
          e.event === 'fault.applying' &&
          e.id === r.id &&
          Array.isArray(e.revert.processes) &&
          e.revert.processes.length > 0,
      );
      const done = indexOf(es, (e) => e.event === 'fault.applied' && e.id === r.id);
      assert.ok(
        first >= 0 && withPids > first && done > withPids,
        `${r.id}: journaled, with pids, then applied`,
      );
    }
  });

  it('a host nobody answers for makes the run not ready, naming it (exit 4, no stack trace)', async () => {
    const tag = newTag();
    await startVictims(tag, ['fltexp-n1']);
    // the bed's idle namespace: an address, and no sshd behind it
    const file = experiment(
      tag,
      `duration: 2s
faults:
  - { disruptor: host.process.pause, target: svc, at: 0s }
`,
      '[fltexp-n1, down1]',
      `hosts:
  down1: { address: ${bed.addressOf(4)}, user: root, identity: ${bed.identity} }
`,
    );
    const r = await cli(['run', file, '--seed', '1', '--out', join(dir, `${tag}-out`), '--no-report'], env);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /not.ready/i);
    assert.match(r.stdout, /down1: cannot connect to 10\.232\.47\.14:22/);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(stopped(pidsMatching(`${tag}-fltexp-n1`)[0] as number), false, 'nothing was paused');
  });

  it('Nagios plug-ins as monitors and steady-state probes: OK and WARNING up, CRITICAL not ready', async () => {
    const tag = newTag();
    await startVictims(tag, ['fltexp-n1']);
    const plugins = '/usr/lib/nagios/plugins';
    const file = experiment(
      tag,
      `duration: 1500ms
monitors:
  sshd: { type: host.command, hosts: fleet, nagios: true, command: "${plugins}/check_tcp -H {{host.address}} -p 22", every: 300ms, timeout: 5s }
  warn: { type: host.command, hosts: [fltexp-n2], nagios: true, command: "${plugins}/check_dummy 1 degraded", every: 300ms, timeout: 5s }
  load: { type: host.command, hosts: fleet, command: "echo 3", value: "(\\\\d+)", aggregate: sum, every: 300ms, timeout: 5s }
steady_state:
  within: 10s
  probes: [{ monitor: sshd }]
`,
      '[fltexp-n1]',
    );
    const run = await runFile(file, { seed: 1 });
    assert.equal(run.verdict, 'pass', run.reason);
    const samples = (name: string) => run.result.monitors.find((m) => m.name === name)?.samples ?? [];
    assert.ok(samples('sshd').length > 0 && samples('sshd').every((s) => s.ok && s.value === 0));
    assert.match(samples('sshd')[0]?.detail ?? '', /fltexp-n1 TCP OK.*fltexp-n2 TCP OK.*fltexp-n3 TCP OK/);
    assert.ok(
      samples('warn').every((s) => s.ok && s.value === 1),
      'WARNING is up, worst state 1',
    );
    assert.ok(
      samples('load').every((s) => s.value === 9),
      'three hosts print 3: the sum is 9',
    );

    const critical = experiment(
      tag,
      `duration: 1s
steady_state:
  within: 1s
  probes:
    - probe: { type: host.command, hosts: fleet, nagios: true, command: "${plugins}/check_dummy {{host.port}} x", timeout: 5s }
    - probe: { type: host.command, hosts: [fltexp-n3], nagios: true, command: "${plugins}/check_dummy 2 'disk full'", timeout: 5s }
`,
      '[fltexp-n1]',
      '',
      '-crit',
    );
    const r = await cli(
      ['run', critical, '--seed', '1', '--out', join(dir, `${tag}-crit-out`), '--no-report'],
      env,
    );
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /fltexp-n3: CRITICAL: disk full/);
    assert.match(r.stdout, /UNKNOWN/, 'exit 22 of check_dummy (port 22) is out of range: UNKNOWN');
  });

  it('kill -9 of `faultline run` mid-pause: `faultline recover` resumes every paused process over SSH', async () => {
    const tag = newTag();
    const pids = await startVictims(tag, ['fltexp-n1', 'fltexp-n2']);
    const file = experiment(
      tag,
      `duration: 60s
faults:
  - { name: freeze, disruptor: host.process.pause, target: svc, count: 2, at: 0s }
`,
      '[fltexp-n1, fltexp-n2]',
    );
    const out = join(dir, `${tag}-out`);
    const runner = startChild([...cliArgv, 'run', file, '--seed', '5', '--out', out, '--no-report'], { env });
    // line() looks at every line seen so far each time output arrives: its predicate must not count
    for (const h of ['fltexp-n1', 'fltexp-n2'])
      await runner.line((l) => /fault\.applied/.test(l) && l.includes(`@${h}:`), 60_000);
    runner.proc.kill('SIGKILL');
    await runner.exited;
    assert.ok(stopped(pids['fltexp-n1'] as number) && stopped(pids['fltexp-n2'] as number), 'both paused');

    // fltexp-n2 is down while recover runs (its sshd refuses): its revert fails, stays pending, and is named
    const refuse = ['INPUT', '-p', 'tcp', '--dport', '22', '-j', 'REJECT', '--reject-with', 'tcp-reset'];
    const iptables = (op: string) =>
      execFileSync('ip', ['netns', 'exec', 'fltexp-n2', 'iptables', op, ...refuse]);
    iptables('-I');
    const journal = join(out, 'journal.ndjson');
    const first = await cli(['recover', journal, '--attempts', '1'], env);
    assert.equal(first.code, 1, first.stdout + first.stderr);
    assert.match(first.stdout, /continued process \d+ \(svc@fltexp-n1\) on host fltexp-n1/);
    assert.match(
      first.stdout,
      /FAILED to continue process \d+ \(svc@fltexp-n2\) on host fltexp-n2 .*fltexp-n2: /,
    );
    assert.equal(stopped(pids['fltexp-n1'] as number), false, 'n1 resumed');
    assert.equal(stopped(pids['fltexp-n2'] as number), true, 'n2 still paused: its host is down');
    assert.deepEqual(
      pendingReverts(readJournal(journal)).map((p) => p.instance),
      ['svc@fltexp-n2'],
      'n2 stays pending',
    );

    iptables('-D'); // n2 answers again
    const second = await cli(['recover', journal], env);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /recovered: 1 of 1 reverted/);
    assert.equal(stopped(pids['fltexp-n2'] as number), false, 'n2 resumed');
  });

  it('`recover --sweep` continues what a killed run left paused, with no journal', async () => {
    const tag = newTag();
    const pids = await startVictims(tag, ['fltexp-n3']);
    const file = experiment(
      tag,
      `duration: 60s
faults:
  - { disruptor: host.process.pause, target: svc, at: 0s }
`,
      '[fltexp-n3]',
    );
    const out = join(dir, `${tag}-out`);
    const runner = startChild([...cliArgv, 'run', file, '--seed', '5', '--out', out, '--no-report'], { env });
    await runner.line((l) => /fault\.applied/.test(l), 60_000);
    runner.proc.kill('SIGKILL');
    await runner.exited;
    const victim = pids['fltexp-n3'] as number;
    assert.equal(stopped(victim), true);
    const sweep = bedSweepArgv(bed, 'fltexp-n3');
    const r = await cli(sweep, env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`fltexp-n3: paused-processes: continued stopped process ${victim}`));
    assert.equal(stopped(victim), false);
    const again = await cli(sweep, env);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.doesNotMatch(again.stdout, /continued/, 'a second sweep finds nothing');
    // the journal still lists it; recover finds it already running again and is done
    const rec = await cli(['recover', join(out, 'journal.ndjson')], env);
    assert.equal(rec.code, 0, rec.stdout + rec.stderr);
  });
});
