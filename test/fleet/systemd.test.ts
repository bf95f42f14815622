/**
 * `service` targets found by `systemd: UNIT`, on the real fleet test bed. No systemd runs on the machines these
 * tests run on, so the bed's SSH sessions get a stand-in `systemctl` first on their PATH
 * (test/fixtures/fake-systemd/systemctl: a shell script that runs each unit's command as a real process and
 * answers `show -p MainPID`, `is-active`, `start`, `stop` and `restart`, logging every call) — for this file's
 * bed only. The tests check that the unit's real process is the one selected (not another process with the
 * same command line), that `host.process.kill` kills it (seen in /proc) and its revert starts the unit again
 * through `systemctl start`, and that `host.process.restart` goes through `systemctl restart`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { processState } from '../../src/disruptors/proc.js';
import type { RunEvent } from '../../src/experiment/run-types.js';
import type { FleetContext } from '../../src/fleet/context.js';
import { runFile, tempDir } from '../experiment/engine-helpers.js';
import { bedTestFile } from '../helpers/exclusive.js';
import { alive, bedExperimentHead, bedFleetContext, bedUnavailable, fleetBed } from '../helpers/fleet-bed.js';
import { killMatching, pidsMatching } from '../plugins/harness/host-bed.js';

bedTestFile();

const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping the systemd target tests: ${unavailable}`);

const PREFIX = 'flxsd';
const HOSTS = [`${PREFIX}-n1`, `${PREFIX}-n2`];
/** The stand-in systemctl's directory: first on the bed's PATH. */
const FAKE_SYSTEMD = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/fake-systemd');
const running = (pid: number) => alive(pid) && !['Z', 'X'].includes(processState(pid) ?? 'X');

describe('systemd: UNIT targets on the fleet test bed (a stand-in systemctl)', { skip: unavailable }, () => {
  const units = tempDir('fake-systemd');
  const bed = fleetBed({
    prefix: PREFIX,
    net: '10.236.72',
    hosts: 2,
    env: {
      PATH: `${FAKE_SYSTEMD}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      FAKE_SYSTEMD_DIR: units,
      // cgroup mode, once a test mounts a cgroup v2 hierarchy there on the hosts
      FAKE_SYSTEMD_CGROUP: '/sys/fs/cgroup/unified',
    },
  });
  const dir = tempDir('fleet-systemd');
  let fleet: FleetContext;
  let serial = 0;

  before(() => {
    bed.up();
    mkdirSync(join(units, 'units'));
    fleet = bedFleetContext(bed, 'test');
  });
  after(async () => {
    killMatching(`${PREFIX}-${process.pid}-`);
    await fleet?.close();
    bed.down();
    rmSync(dir, { recursive: true, force: true });
    rmSync(units, { recursive: true, force: true });
  });

  /** A new unit whose process runs as `<tag>` (a sleep); returns the unit's name and the tag. */
  function newUnit(command = (tag: string) => `bash -c 'exec -a ${tag} sleep 1000'`): {
    unit: string;
    tag: string;
  } {
    const tag = `${PREFIX}-${process.pid}-${++serial}`;
    const unit = `${tag}.service`;
    writeFileSync(join(units, 'units', unit), `ExecStart=${command(tag)}\n`);
    return { unit, tag };
  }
  /** The unit's main pid on host h as the stand-in recorded it (undefined when it has none). */
  const mainPid = (unit: string, h: string) => {
    try {
      return Number(readFileSync(join(units, 'run', h, `${unit}.pid`), 'utf8'));
    } catch {
      return undefined;
    }
  };
  /** The stand-in's calls on host h, one `verb [property] unit` each. */
  const calls = (h: string, unit: string) =>
    readFileSync(join(units, 'run', h, 'calls.log'), 'utf8')
      .split('\n')
      .filter((l) => l.endsWith(` ${unit}`))
      .map((l) => l.slice(0, -unit.length - 1));

  /** Starts the unit on every host over SSH, through the stand-in on the PATH; resolves with each main pid. */
  async function startUnit(unit: string): Promise<Record<string, number>> {
    const pids: Record<string, number> = {};
    for (const h of HOSTS) {
      const r = await fleet.exec(
        h,
        `systemctl start -- ${unit} && systemctl show -p MainPID --value -- ${unit}`,
      );
      const pid = Number(r.stdout.trim());
      assert.equal(mainPid(unit, h), pid, `the stand-in answered for ${h}`);
      assert.ok(running(pid), `${unit} runs on ${h}`);
      pids[h] = pid;
    }
    return pids;
  }

  function experiment(tag: string, unit: string, faults: string, duration = '3s', max = 1): string {
    const file = join(dir, `${tag}.yaml`);
    writeFileSync(
      file,
      `${bedExperimentHead(bed, tag, duration)}targets:
  svc: { type: service, hosts: fleet, systemd: ${unit}, max_unavailable: ${max} }
faults:
${faults}`,
    );
    return file;
  }

  it('host.process.kill kills the unit’s own process (not a look-alike) and systemctl start brings it back', async () => {
    const { unit, tag } = newUnit();
    const first = await startUnit(unit);
    // another process with the very same command line on each host: selection by unit must not reach it
    const decoys: number[] = [];
    for (const h of HOSTS) {
      const before = new Set(pidsMatching(tag));
      await fleet.exec(h, `nohup setsid bash -c 'exec -a ${tag} sleep 1000' >/dev/null 2>&1 </dev/null &`);
      const deadline = Date.now() + 10_000;
      // another machine's process as far as the code under test knows: polled until /proc shows it
      while (pidsMatching(tag).every((p) => before.has(p))) {
        assert.ok(Date.now() < deadline, `the look-alike on ${h} did not start`);
        await new Promise((r) => setTimeout(r, 20));
      }
      decoys.push(...pidsMatching(tag).filter((p) => !before.has(p)));
    }
    let goneWhenApplied: boolean | undefined;
    let killedHost = '';
    const run = await runFile(
      experiment(
        tag,
        unit,
        '  - { name: kill, disruptor: host.process.kill, target: svc, at: 0s, duration: 1s }\n',
      ),
      {
        seed: 3,
        onEvent: (e: RunEvent) => {
          if (e.kind !== 'fault.applied') return;
          killedHost = /svc@([\w-]+)/.exec(e.message)?.[1] ?? '';
          goneWhenApplied = !running(first[killedHost] as number);
        },
      },
    );
    assert.equal(run.verdict, 'pass', run.reason);
    assert.ok(HOSTS.includes(killedHost), `a host was picked: ${killedHost}`);
    const other = HOSTS.find((h) => h !== killedHost) as string;
    const [fr] = run.result.faultRuns;
    assert.equal(fr?.status, 'applied');
    assert.deepEqual(fr?.info?.killed, [first[killedHost]], 'the unit’s main pid, from systemctl show');
    assert.equal(goneWhenApplied, true, 'gone from /proc when the kill counted as applied');
    assert.notEqual(fr?.endMs, null, 'reverted');
    // the revert started the unit again through systemctl
    const after = mainPid(unit, killedHost) as number;
    assert.notEqual(after, first[killedHost]);
    assert.ok(running(after), 'a new main process runs');
    const seen = calls(killedHost, unit);
    assert.ok(seen.lastIndexOf('start') > 0, `systemctl start after the kill: ${seen.join(', ')}`);
    assert.ok(seen.includes('show MainPID'), 'found through MainPID');
    assert.equal(mainPid(unit, other), first[other], 'the other host’s unit untouched');
    assert.ok(running(first[other] as number));
    for (const d of decoys) assert.ok(running(d), `look-alike ${d} untouched`);
  });

  it('host.process.restart restarts the unit through systemctl restart', async () => {
    const { unit, tag } = newUnit();
    const first = await startUnit(unit);
    const run = await runFile(
      experiment(
        tag,
        unit,
        '  - { name: bounce, disruptor: host.process.restart, target: svc, at: 0s, count: 2 }\n',
        '3s',
        2,
      ),
      { seed: 1 },
    );
    assert.equal(run.verdict, 'pass', run.reason);
    assert.deepEqual(
      run.result.faultRuns.map((r) => r.status),
      ['applied', 'applied'],
    );
    for (const h of HOSTS) {
      const fr = run.result.faultRuns.find((r) => r.instance === `svc@${h}`);
      assert.deepEqual(fr?.info?.stopped, [first[h]]);
      const now = mainPid(unit, h) as number;
      assert.deepEqual(fr?.info?.started, [now], 'the new main pid');
      assert.notEqual(now, first[h]);
      assert.ok(running(now));
      assert.equal(running(first[h] as number), false, 'the old process is gone');
      assert.ok(calls(h, unit).includes('restart'), `systemctl restart on ${h}`);
    }
  });
  it('on a hybrid-cgroup host, every process of the unit’s cgroup (under /sys/fs/cgroup/unified) is killed', async (t) => {
    // a hybrid host's layout on each host, in its sshd's mount namespace only: a tmpfs at /sys/fs/cgroup and
    // the cgroup v2 hierarchy at /sys/fs/cgroup/unified (the stand-in then runs each unit in a real cgroup)
    const mount =
      'mount -t tmpfs flxsd-cgroup /sys/fs/cgroup && mkdir /sys/fs/cgroup/unified && mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified';
    const unmount = 'umount /sys/fs/cgroup/unified; umount /sys/fs/cgroup';
    const mounted: string[] = [];
    for (const h of HOSTS) {
      const r = await fleet.exec(h, mount, { check: false });
      if (r.status !== 0) {
        for (const m of mounted) await fleet.exec(m, unmount, { check: false });
        t.skip(`cannot mount a cgroup v2 hierarchy on the bed: ${r.stderr.trim()}`);
        return;
      }
      mounted.push(h);
    }
    // a main process and a worker it started, both in the unit's cgroup
    const { unit, tag } = newUnit(
      (tag) => `bash -c '(exec -a ${tag}-worker sleep 1000) & exec -a ${tag}-main sleep 1000'`,
    );
    try {
      const first = await startUnit(unit);
      const cgroup = (h: string) =>
        fleet.exec(h, `systemctl show -p ControlGroup --value -- ${unit}`).then((r) => r.stdout.trim());
      assert.equal(await cgroup(HOSTS[0] as string), `/faultline-fake-systemd/${HOSTS[0]}/${unit}`);
      const workers: Record<string, number> = {};
      for (const h of HOSTS) {
        const procs = await fleet.exec(h, `cat /sys/fs/cgroup/unified${await cgroup(h)}/cgroup.procs`);
        const members = procs.stdout.trim().split('\n').map(Number);
        assert.equal(members.length, 2, `main and worker in the cgroup on ${h}: ${members}`);
        workers[h] = members.find((p) => p !== first[h]) as number;
      }
      const run = await runFile(
        experiment(
          tag,
          unit,
          '  - { name: kill, disruptor: host.process.kill, target: svc, at: 0s, duration: 1s }\n',
        ),
        { seed: 3 },
      );
      assert.equal(run.verdict, 'pass', run.reason);
      const [fr] = run.result.faultRuns;
      const h = fr?.info?.host as string;
      assert.ok(HOSTS.includes(h));
      assert.deepEqual(
        [...((fr?.info?.killed as number[]) ?? [])].sort((a, b) => a - b),
        [first[h] as number, workers[h] as number].sort((a, b) => a - b),
        'the whole cgroup, worker included',
      );
      assert.equal(running(first[h] as number) || running(workers[h] as number), false, 'both gone');
      const again = mainPid(unit, h) as number;
      assert.ok(running(again) && again !== first[h], 'systemctl start ran the unit again');
    } finally {
      for (const h of mounted) {
        await fleet.exec(h, `systemctl stop -- ${unit}`, { check: false });
        await fleet.exec(
          h,
          `rmdir /sys/fs/cgroup/unified/faultline-fake-systemd/${h}; rmdir /sys/fs/cgroup/unified/faultline-fake-systemd; ${unmount}`,
          { check: false },
        );
      }
    }
  });
});
