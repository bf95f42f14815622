/**
 * Crash safety across hosts: `faultline run` (the CLI, in a child process) is killed with SIGKILL at 20 points
 * drawn from a seed (a quarter counted from the run's start, the rest from its method's) across short runs that
 * partition the bed's hosts, freeze a service, fill two hosts' disks (a tmpfs per host, in its sshd's mount
 * namespace) and shape one host's traffic (tc); after `faultline recover` no host has a faultline iptables rule,
 * tc qdisc, fill file, marker file or stopped process left.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomStream } from '../../src/core/random.js';
import { processState } from '../../src/disruptors/proc.js';
import type { FleetContext } from '../../src/fleet/context.js';
import { startChild, stopAll } from '../disruptors/helpers.js';
import { tempDir } from '../experiment/engine-helpers.js';
import { cli, cliArgv } from '../helpers/cli.js';
import { bedTestFile } from '../helpers/exclusive.js';
import {
  bedExperimentHead,
  bedFleetContext,
  bedSweepArgv,
  bedUnavailable,
  fleetBed,
} from '../helpers/fleet-bed.js';
import { killMatching, pidsMatching } from '../plugins/harness/host-bed.js';

bedTestFile();

const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping the fleet crash test: ${unavailable}`);

const KILL_POINTS = 20;
const PREFIX = 'flwc';
const HOSTS = [`${PREFIX}-n1`, `${PREFIX}-n2`, `${PREFIX}-n3`];

describe('host faults: kill -9 of the runner at 20 points, then faultline recover', {
  skip: unavailable,
}, () => {
  const bed = fleetBed({ prefix: PREFIX, net: '10.234.58', hosts: 3 });
  const dir = tempDir('fleet-crash');
  const fill = `/tmp/faultline-crash-fill-${process.pid}`;
  const tag = `${PREFIX}-${process.pid}-victim`;
  const env = { ...process.env, FAULTLINE_STATE_DIR: join(dir, 'state') };
  let fleet: FleetContext;

  before(async () => {
    bed.up();
    fleet = bedFleetContext(bed, 'crash-setup');
    for (const h of HOSTS) {
      // each sshd has a mount namespace of its own: the tmpfs is seen by that host's sessions only
      await fleet.exec(h, `mkdir -p ${fill} && mount -t tmpfs -o size=64m fill ${fill}`);
      await fleet.exec(
        h,
        `nohup setsid bash -c 'exec -a ${tag}-${h} sleep 1000' >/dev/null 2>&1 </dev/null &`,
      );
    }
    const deadline = Date.now() + 10_000;
    while (HOSTS.some((h) => pidsMatching(`${tag}-${h}`).length === 0)) {
      assert.ok(Date.now() < deadline, 'the victims started');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  after(async () => {
    await stopAll();
    for (const pid of pidsMatching(tag)) {
      try {
        process.kill(pid, 'SIGCONT'); // never leave a stopped process behind, whatever failed
      } catch {}
    }
    killMatching(tag);
    if (fleet) for (const h of HOSTS) await fleet.exec(h, `umount ${fill}`, { check: false });
    await fleet?.close();
    bed.down();
    rmSync(dir, { recursive: true, force: true });
    rmSync(fill, { recursive: true, force: true });
  });

  /** What faultline left on host i (1-based), each as a phrase; [] when it is clean. */
  function leftOn(i: number): string[] {
    const ns = bed.namespaces[i - 1] as string;
    const inNs = (...argv: string[]) =>
      spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' }).stdout;
    const inMounts = (script: string) =>
      spawnSync('nsenter', ['-t', String(bed.sshdPid(i)), '-m', 'sh', '-c', script], { encoding: 'utf8' })
        .stdout;
    const left: string[] = [];
    for (const rule of inNs('iptables', '-S').split('\n')) if (rule.includes('faultline:')) left.push(rule);
    for (const q of inNs('tc', 'qdisc', 'show').split('\n')) if (q.includes('fa17:')) left.push(q);
    const files = inMounts(`ls -A ${fill} /run/faultline 2>/dev/null`).split('\n');
    left.push(...files.filter((f) => f.startsWith('.faultline-fill') || /^(freeze|fill|tc)-/.test(f)));
    const victim = pidsMatching(`${tag}-${HOSTS[i - 1]}`)[0] as number;
    if (['T', 't'].includes(processState(victim) ?? '')) left.push(`process ${victim} stopped`);
    return left;
  }

  it('leaves nothing on any host at any of 20 kill points', async () => {
    const file = join(dir, 'crash.yaml');
    writeFileSync(
      file,
      `${bedExperimentHead(bed, 'host faults, killed', '2s')}targets:
  svc:
    type: service
    hosts: fleet
    match: "${tag}-{{host.name}}"
faults:
  - { name: cut, disruptor: host.partition, target: fleet, at: 0s, duration: 2s, with: { shape: halves } }
  - { name: fill, disruptor: host.disk-fill, target: svc, count: 2, at: 0s, with: { path: ${fill}, free: 8MiB } }
  - { name: hang, disruptor: host.freeze, target: svc, at: 200ms, duration: 1500ms }
  - { name: slow, disruptor: host.network, target: svc, at: 400ms, with: { bandwidth: 1mbit } }
`,
    );
    const delays = randomStream(2027).fork('kill-points');
    let pendingSeen = 0;
    let undone = 0;
    for (let k = 0; k < KILL_POINTS; k++) {
      const delayMs = delays.intAt(k, 0, 2400);
      const out = join(dir, `run-${k}`);
      const runner = startChild([...cliArgv, 'run', file, '--seed', String(k), '--out', out, '--no-report'], {
        env,
      });
      // every fourth kill point counts from the start (SSH, targets, warm-up), the rest from the method's start,
      // so how long start-up takes on a busy machine does not decide how many land while faults are applied
      const from = k % 4 === 0 ? 'start' : 'method';
      await runner.line((l) => (from === 'start' ? /run\.started/ : /\bphase\s+method\b/).test(l));
      await new Promise((r) => setTimeout(r, delayMs)); // the kill point itself, not a synchronisation
      runner.proc.kill('SIGKILL');
      assert.equal((await runner.exited).signal, 'SIGKILL');

      const where = `kill point ${k} at ${delayMs} ms after the ${from}`;
      const rec = await cli(['recover', join(out, 'journal.ndjson')], env);
      assert.equal(rec.code, 0, `${where}: ${rec.stdout}${rec.stderr}`);
      if (!/nothing to revert/.test(rec.stdout)) pendingSeen += 1;
      // recover says what it undid on each host, in the records' words
      if (/undid fault \S+ \(host\.\S+\) on host flwc-n\d \(10\.234\.58\.\d+\): /.test(rec.stdout))
        undone += 1;
      for (let i = 1; i <= HOSTS.length; i++)
        assert.deepEqual(leftOn(i), [], `${where}: left on ${HOSTS[i - 1]}`);
    }
    assert.ok(pendingSeen >= KILL_POINTS / 2, `only ${pendingSeen} kill points left anything to recover`);
    assert.ok(undone > 0, 'recover named what it undid on a host');
  });

  it('`recover --sweep` removes what a killed run left, with no journal', async () => {
    const file = join(dir, 'sweep.yaml');
    writeFileSync(
      file,
      `${bedExperimentHead(bed, 'host faults, swept', '60s')}targets:
  svc:
    type: service
    hosts: fleet
    match: "${tag}-{{host.name}}"
# one fault per instance of svc (three): a fourth would find no instance free. The bridge leaves every host
# a majority, so the partition takes no host away; the frozen host is svc's and fleet's, and stress goes elsewhere.
faults:
  - { name: cut, disruptor: host.partition, target: fleet, at: 0s, with: { shape: bridge } }
  - { name: hang, disruptor: host.freeze, target: svc, at: 0s, with: { peers: [] } }
  - { name: fill, disruptor: host.disk-fill, target: svc, at: 0s, with: { path: ${fill}, free: 8MiB } }
  - { name: slow, disruptor: host.network, target: svc, at: 0s, with: { bandwidth: 1mbit } }
  - { name: busy, disruptor: host.stress, target: fleet, at: 0s, with: { cpu: 1, cpuLoad: 5, duration: 60s } }
`,
    );
    const runner = startChild(
      [...cliArgv, 'run', file, '--seed', '1', '--out', join(dir, 'swept'), '--no-report'],
      {
        env,
      },
    );
    const applied = new Set<string>(); // line() looks at every line so far each time output arrives
    await runner.line((l) => {
      if (/fault\.applied/.test(l)) applied.add(l);
      return applied.size === 5;
    }, 60_000);
    runner.proc.kill('SIGKILL');
    await runner.exited;
    const left = HOSTS.flatMap((_, i) => leftOn(i + 1));
    assert.ok(
      left.some((l) => l.includes('faultline:')),
      `rules in place: ${left}`,
    );
    assert.ok(
      left.some((l) => l.includes('fa17:')),
      'a qdisc in place',
    );
    assert.ok(
      left.some((l) => l.startsWith('.faultline-fill')),
      'a fill file in place',
    );
    assert.ok(
      left.some((l) => l.endsWith('stopped')),
      'a stopped process',
    );
    assert.ok(pidsMatching('faultline-stress[:]').length > 0, 'stress-ng runs');

    const sweep = bedSweepArgv(bed, 'fleet');
    const r = await cli(sweep, env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const kind of ['freeze', 'stress', 'iptables', 'tc', 'disk-fill'])
      assert.match(
        r.stdout,
        new RegExp(`: ${kind}: (?!nothing left)`),
        `${kind} swept something: ${r.stdout}`,
      );
    for (let i = 1; i <= HOSTS.length; i++) assert.deepEqual(leftOn(i), [], `left on ${HOSTS[i - 1]}`);
    assert.deepEqual(pidsMatching('faultline-stress[:]'), [], 'no stress-ng left');
    const again = await cli(sweep, env);
    assert.doesNotMatch(
      again.stdout.replace(/: nothing left/g, ''),
      /: (freeze|stress|iptables|tc|disk-fill): /,
    );
  });
});
