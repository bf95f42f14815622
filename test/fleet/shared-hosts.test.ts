/**
 * Several things share a host, on the real fleet test bed (three sshds in network namespaces):
 *
 * - two targets on the same hosts share `max_unavailable` through the hosts: a partition of one target that cuts
 *   a host off takes the other target's instance on that host too, so a kill on the other target is refused;
 * - pause markers are per host: sweeping one host leaves what a pause stopped on another host stopped (the bed's
 *   hosts share one filesystem, as hosts on a shared /var/tmp would);
 * - faultline's own shells on a host are never selected: a pattern as broad as `sh` neither lists them
 *   (`match`) nor freezes them (`host.freeze`), and the run reverts as usual;
 * - `select:` picks a target's instances by a probe on each host when the run starts (here: a file in one
 *   host's own /run/faultline, as a leader would be told apart), and the fault lands there whatever the seed
 *   would have picked among all hosts; a probe that chooses no host makes the run not ready.
 *
 * The namespaces share this machine's pid namespace: each victim's command line carries a per-test tag and its
 * host's name, and processes are told apart by host through their network namespace.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processState } from '../../src/disruptors/proc.js';
import { planExperiment } from '../../src/experiment/plan.js';
import type { ExperimentResult, RunEvent } from '../../src/experiment/run-types.js';
import { validateExperimentFile } from '../../src/experiment/validate.js';
import type { FleetContext } from '../../src/fleet/context.js';
import { findProcesses, pausedDirOf, startLogOf, stopAndWait } from '../../src/fleet/remote-process.js';
import { runFile, tempDir } from '../experiment/engine-helpers.js';
import { cli } from '../helpers/cli.js';
import { bedTestFile } from '../helpers/exclusive.js';
import {
  alive,
  bedExperimentHead,
  bedFleetContext,
  bedSweepArgv,
  bedUnavailable,
  fleetBed,
} from '../helpers/fleet-bed.js';
import { killMatching, pidsMatching } from '../plugins/harness/host-bed.js';

bedTestFile();

const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping the shared-host tests: ${unavailable}`);

const PREFIX = 'flx';
const HOSTS = [`${PREFIX}-n1`, `${PREFIX}-n2`, `${PREFIX}-n3`];
const stopped = (pid: number) => ['T', 't'].includes(processState(pid) ?? '');

describe('targets, pauses and faultline’s shells sharing hosts, on the fleet test bed', {
  skip: unavailable,
}, () => {
  const bed = fleetBed({ prefix: PREFIX, net: '10.236.71', hosts: 3 });
  const dir = tempDir('fleet-shared');
  const env = { ...process.env, FAULTLINE_STATE_DIR: join(dir, 'state') };
  let fleet: FleetContext;
  let serial = 0;

  before(() => {
    bed.up();
    fleet = bedFleetContext(bed, 'test');
  });
  after(async () => {
    for (const pid of pidsMatching(`${PREFIX}-${process.pid}-`)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {}
    }
    killMatching(`${PREFIX}-${process.pid}-`);
    await fleet?.close();
    bed.down();
    rmSync(dir, { recursive: true, force: true });
    for (const h of HOSTS) {
      rmSync(pausedDirOf(h), { recursive: true, force: true });
      // the start commands' logs (the bed's hosts share this filesystem)
      for (const t of ['proxy', 'svc']) rmSync(startLogOf(`${t}@${h}`), { force: true });
    }
  });

  const newTag = () => `${PREFIX}-${process.pid}-${++serial}`;
  /** The network namespace of host i (its sshd's), to tell the bed's hosts' processes apart. */
  const netnsOf = (pid: number) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      return undefined;
    }
  };

  /** Starts `command` detached on host `h`; resolves with its pid once it runs (it must carry `mark`). */
  async function startOn(h: string, command: string, mark: string): Promise<number> {
    await fleet.exec(h, `nohup setsid ${command} >/dev/null 2>&1 </dev/null &`);
    const deadline = Date.now() + 10_000;
    // another machine's process as far as the code under test knows: polled until /proc shows it
    while (pidsMatching(mark).length === 0) {
      assert.ok(Date.now() < deadline, `${mark} did not start on ${h}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return pidsMatching(mark)[0] as number;
  }
  const startSleeper = (h: string, name: string) => startOn(h, `bash -c 'exec -a ${name} sleep 1000'`, name);
  /** A `db` and a `proxy` sleeper on every host, and the experiment file's start naming them as two targets. */
  async function twoTargets(
    duration: string,
    proxyExtra = '',
  ): Promise<{
    tag: string;
    pids: Record<string, number>;
    file: string;
    head: string;
  }> {
    const tag = newTag();
    const pids: Record<string, number> = {};
    for (const h of HOSTS) {
      await startSleeper(h, `${tag}-db-${h}`);
      pids[h] = await startSleeper(h, `${tag}-proxy-${h}`);
    }
    const head = `${bedExperimentHead(bed, tag, duration)}targets:
  db: { type: service, hosts: fleet, match: "${tag}-db-{{host.name}}" }
  proxy:
    type: service
    hosts: fleet
    match: "${tag}-proxy-{{host.name}}"
    start: "bash -c 'exec -a ${tag}-proxy-{{host.name}} sleep 1000'"
    max_unavailable: 1
${proxyExtra}`;
    return { tag, pids, file: join(dir, `${tag}.yaml`), head };
  }

  it('max_unavailable 1 on one target refuses a kill while a partition of another target holds a host', async () => {
    const { pids, file, head } = await twoTargets('4s', '    excess: drop\n');
    writeFileSync(
      file,
      `${head}faults:
  - { name: cut, disruptor: host.partition, target: db, at: 0s, duration: 3s, with: { shape: isolate, chosen: [${HOSTS[0]}] } }
  - { name: kill, disruptor: host.process.kill, target: proxy, at: 1s, duration: 1s }
`,
    );
    const outDir = tempDir('fleet-shared-run');
    const run = await runFile(file, { seed: 4, outDir });
    assert.equal(run.verdict, 'pass', run.reason);
    const result = JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')) as ExperimentResult;
    rmSync(outDir, { recursive: true, force: true });
    const kill = result.plan.steps.filter((s) => s.fault === 'kill');
    assert.deepEqual(
      kill.map((s) => s.status),
      ['dropped'],
    );
    assert.match(
      kill[0]?.note ?? '',
      new RegExp(`max_unavailable 1 of 3: 1 already unavailable \\(${HOSTS[0]} by cut on db\\)`),
    );
    assert.deepEqual(
      result.faultRuns.map((r) => `${r.fault}:${r.status}`),
      ['cut:applied'],
    );
    assert.notEqual(result.faultRuns[0]?.endMs, null, 'the partition was reverted');
    for (const h of HOSTS) assert.equal(alive(pids[h] as number), true, `proxy on ${h} was not killed`);
  });

  it('a `when:` kill waits while a partition of another target holds a host, and fires once it heals', async () => {
    const { file, head } = await twoTargets('6s');
    writeFileSync(
      file,
      `${head}monitors:
  gate: { type: host.command, hosts: [${HOSTS[2]}], command: "false", every: 200ms }
faults:
  - { name: cut, disruptor: host.partition, target: db, at: 0s, duration: 2s, with: { shape: isolate, chosen: [${HOSTS[0]}] } }
  - { name: kill, disruptor: host.process.kill, target: proxy, when: { monitor: gate, down: true }, duration: 1s }
`,
    );
    const run = await runFile(file, { seed: 4 });
    assert.equal(run.verdict, 'pass', run.reason);
    const cut = run.result.faultRuns.find((r) => r.fault === 'cut');
    const kill = run.result.faultRuns.find((r) => r.fault === 'kill');
    assert.equal(cut?.status, 'applied');
    assert.equal(kill?.status, 'applied', 'the kill fired once there was room');
    // the monitor was down from its first sample: only the partition's hold on proxy's instance kept it back
    assert.ok(
      (kill?.injectStartMs as number) >= (cut?.endMs as number),
      `the kill started ${(kill?.injectStartMs as number) - (cut?.endMs as number)} ms after the partition healed`,
    );
  });

  it('a pause sweep of one host leaves what a pause stopped on another host stopped', async () => {
    const tag = newTag();
    const [n1, n2] = HOSTS as [string, string];
    const victims: Record<string, number> = {};
    for (const h of [n1, n2]) {
      victims[h] = await startSleeper(h, `${tag}-${h}`);
      const procs = await findProcesses(fleet.connections, fleet.ref(h), { match: `${tag}-${h}` });
      assert.deepEqual(
        procs.map((p) => p.pid),
        [victims[h]],
      );
      const { stopped: done } = await stopAndWait(
        fleet.connections,
        fleet.ref(h),
        procs,
        `test ${tag}`,
        10_000,
      );
      assert.deepEqual(done, [victims[h]]);
    }
    assert.ok(stopped(victims[n1] as number) && stopped(victims[n2] as number), 'both paused');
    const marker = (h: string) =>
      existsSync(pausedDirOf(h))
        ? readdirSync(pausedDirOf(h)).filter((f) => f.startsWith(`${victims[h]}.`))
        : [];

    const sweep = (h: string) => cli(bedSweepArgv(bed, h), env);
    const one = await sweep(n1);
    assert.equal(one.code, 0, one.stdout + one.stderr);
    assert.match(one.stdout, new RegExp(`${n1}: paused-processes: continued stopped process ${victims[n1]}`));
    assert.doesNotMatch(one.stdout, new RegExp(`process ${victims[n2]}\\b`));
    assert.equal(stopped(victims[n1] as number), false, 'n1 continued');
    assert.equal(stopped(victims[n2] as number), true, "n2 still stopped: n1's sweep leaves it alone");
    assert.equal(marker(n2).length, 1, "n2's marker is still there, in n2's own directory");

    const two = await sweep(n2);
    assert.equal(two.code, 0, two.stdout + two.stderr);
    assert.match(two.stdout, new RegExp(`${n2}: paused-processes: continued stopped process ${victims[n2]}`));
    assert.equal(stopped(victims[n2] as number), false, 'n2 continued by its own sweep');
    assert.equal(existsSync(pausedDirOf(n2)), false, "n2's emptied directory is gone too");
    killMatching(tag);
  });

  /** The pids of faultline's shells open to host `h` in the test's pool, made several by concurrent commands. */
  async function ownShells(h: string): Promise<number[]> {
    // `$$` in a subshell is the shell's own pid: each concurrent command holds a shell of its own
    const out = await Promise.all(
      [1, 2, 3].map(() => fleet.exec(h, "sh -c 'sleep 0.3; echo $$'").then((r) => Number(r.stdout.trim()))),
    );
    return [...new Set(out)];
  }

  it('a `match` as broad as `sh` never lists faultline’s own shells on the host', async () => {
    const tag = newTag();
    const h = HOSTS[0] as string;
    const shells = await ownShells(h);
    assert.ok(shells.length >= 2, `several shells open: ${shells}`);
    const victim = await startOn(h, `sh -c 'while :; do sleep 1; done; : ${tag}'`, tag);
    // faultline's shells in either form (before and after they were marked), and the victim
    const found = await findProcesses(fleet.connections, fleet.ref(h), {
      match: `^sh( -s faultline-shell)?$|^sh -c .*${tag}`,
    });
    // the bed's hosts share one pid namespace: keep what runs on host h
    const own = netnsOf(bed.sshdPid(1));
    const onHost = found.map((p) => p.pid).filter((p) => netnsOf(p) === own);
    assert.deepEqual(onHost, [victim], 'only the victim, none of the shells');
    for (const s of shells) assert.equal(alive(s), true);
    killMatching(tag);
  });

  it('host.freeze with a pattern matching `sh` leaves faultline’s shells running and reverts', async () => {
    const tag = newTag();
    const h = HOSTS[1] as string;
    const shells = await ownShells(h);
    assert.ok(shells.length >= 2, `several shells open: ${shells}`);
    const victim = await startOn(h, `sh -c 'while :; do sleep 1; done; : ${tag}'`, tag);
    const file = join(dir, `${tag}.yaml`);
    writeFileSync(
      file,
      `${bedExperimentHead(bed, tag, '3s')}targets:
  node: { type: host, hosts: [${h}] }
faults:
  - { name: hang, disruptor: host.freeze, target: node, at: 0s, duration: 1s, with: { patterns: ["^sh( |$)"], peers: [] } }
`,
    );
    let atApply: { victim: boolean; shells: string[] } | undefined;
    const run = await runFile(file, {
      seed: 2,
      onEvent: (e: RunEvent) => {
        if (e.kind === 'fault.applied')
          atApply = { victim: stopped(victim), shells: shells.map((s) => processState(s) ?? 'gone') };
      },
    });
    assert.equal(run.verdict, 'pass', run.reason);
    assert.deepEqual(atApply?.victim, true, 'the victim was stopped when the freeze counted as applied');
    assert.ok(
      atApply?.shells.every((s) => s !== 'T' && s !== 't' && s !== 'gone'),
      `faultline's shells kept running: ${atApply?.shells}`,
    );
    const [fr] = run.result.faultRuns;
    assert.equal(fr?.status, 'applied');
    assert.notEqual(fr?.endMs, null, 'reverted');
    assert.equal(stopped(victim), false, 'the victim runs again');
    // the pool's shells still answer
    const again = await ownShells(h);
    assert.ok(again.length >= 1);
    assert.equal(existsSync(`/proc/${victim}`), true);
    killMatching(tag);
  });
  it('select: picks the instances by a probe on each host; none chosen is not ready', async () => {
    const tag = newTag();
    const pids: Record<string, number> = {};
    for (const h of HOSTS) pids[h] = await startSleeper(h, `${tag}-${h}`);
    const leader = HOSTS[1] as string;
    // state only that host has: each bed host has its own /run/faultline
    const mark = `/run/faultline/${tag}-leader`;
    await fleet.exec(leader, `touch ${mark}`);
    const file = join(dir, `${tag}.yaml`);
    writeFileSync(
      file,
      `${bedExperimentHead(bed, tag, '3s')}targets:
  svc:
    type: service
    hosts: fleet
    match: "${tag}-{{host.name}}"
    start: "bash -c 'exec -a ${tag}-{{host.name}} sleep 1000'"
    select: { command: "test -e ${mark}" }
faults:
  - { name: kill, disruptor: host.process.kill, target: svc, at: 0s, duration: 1s }
`,
    );
    // a seed whose plan over every host picks another host than the chosen one
    const v = validateExperimentFile(file, { env: process.env });
    assert.ok(v.ok);
    const seed = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].find(
      (s) => planExperiment(v.spec, s).steps.find((st) => st.fault === 'kill')?.host !== leader,
    ) as number;
    assert.ok(seed !== undefined);
    const outDir = tempDir('fleet-select-run');
    const run = await runFile(file, { seed, outDir });
    assert.equal(run.verdict, 'pass', run.reason);
    const result = JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')) as ExperimentResult;
    rmSync(outDir, { recursive: true, force: true });
    assert.deepEqual(
      result.faultRuns.map((r) => `${r.fault}:${r.status}:${r.instance}`),
      [`kill:applied:svc@${leader}`],
    );
    assert.deepEqual(result.faultRuns[0]?.info?.killed, [pids[leader]]);
    assert.deepEqual(result.plan.targets.svc?.hosts, [leader], 'planned again over the chosen host');
    assert.ok(
      result.events.some(
        (e) => e.kind === 'target.selected' && e.message === `svc: ${leader} of ${HOSTS.join(', ')} (select)`,
      ),
    );
    for (const h of HOSTS.filter((x) => x !== leader)) assert.equal(alive(pids[h] as number), true);

    // chosen nowhere: not ready, each host and why named
    await fleet.exec(leader, `rm -f ${mark}`);
    const none = await runFile(file, { seed });
    assert.equal(none.verdict, 'not-ready');
    assert.match(
      none.reason,
      new RegExp(
        `target svc: select chose no host \\(${HOSTS[0]}: exit 1; ${HOSTS[1]}: exit 1; ${HOSTS[2]}: exit 1\\)`,
      ),
    );
    assert.deepEqual(none.result.faultRuns, []);
    killMatching(tag);
  });
});
