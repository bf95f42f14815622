/**
 * host.freeze on the namespace bed: the frozen host's marker process shows state T in /proc and its peers cannot
 * reach it, while the same command line on the other hosts keeps running; the revert continues it and heals the
 * network. Pids work as well as patterns; nothing to freeze is an error that leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { InvalidOptionError } from '../../../src/core/errors.js';
import { readStat } from '../../../src/disruptors/proc.js';
import {
  applyHostFault,
  freeze,
  listRules,
  revertHostFault,
  sweepHost,
} from '../../../src/fleet/faults/index.js';
import type { Host } from '../../../src/fleet/host.js';
import type { SshPool } from '../../../src/fleet/pool.js';
import { bedTestFile } from '../../helpers/exclusive.js';
import { bedFleet, bedUnavailable, connects, fleetBed } from '../../helpers/fleet-bed.js';

bedTestFile();
const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping host.freeze: ${unavailable}`);

describe('host.freeze on the test bed', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'flfz', net: '10.233.146', hosts: 3 });
  // the same command line on every host: only the frozen host's must stop
  const MARKER = `sleep ${86_400 + (process.pid % 1000)}`;
  let hosts: Host[];
  let pool: SshPool;
  let n1: Host;
  let n2: Host;
  let n3: Host;
  /** Each host's marker process pid (the hosts share this machine's pid namespace, so /proc shows them). */
  const markers = new Map<string, number>();
  before(async () => {
    bed.up();
    ({ hosts, pool } = bedFleet(bed));
    [n1, n2, n3] = hosts as [Host, Host, Host];
    for (const h of hosts) {
      const { stdout } = await pool.exec(h, `setsid ${MARKER} </dev/null >/dev/null 2>&1 & echo $!`);
      markers.set(h.name, Number(stdout.trim()));
    }
  });
  after(async () => {
    for (const pid of markers.values()) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await pool?.close();
    bed.down();
  });
  afterEach(async () => {
    for (const h of hosts) await sweepHost(pool, h);
  });

  const input = (faultId: string, targets = [n1]) => ({ fleet: hosts, targets, runId: 'tz', faultId });
  const state = (h: Host) => readStat(markers.get(h.name) as number)?.state;
  const running = (s: string | undefined) => s === 'S' || s === 'R';

  it('stops the matching processes of the host and cuts it off; the revert continues them and heals', async () => {
    const applied = await applyHostFault(pool, freeze, input('hang'), { patterns: [`^${MARKER}$`] });
    assert.equal(state(n1), 'T');
    assert.ok(running(state(n2)) && running(state(n3)), 'the same command on other hosts runs on');
    assert.match(applied.seen[n1.name] ?? '', new RegExp(`^stopped ${markers.get(n1.name)}; 4 rules$`));
    assert.equal(await connects(pool, n2, n1), false, 'peers cannot reach the frozen host');
    assert.equal(await connects(pool, n1, n3), false);
    assert.equal(await connects(pool, n2, n3), true);
    assert.equal((await pool.exec(n1, 'hostname')).stdout.trim(), n1.name, "faultline's SSH still works");

    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    );
    assert.ok(running(state(n1)), `running again (${state(n1)})`);
    assert.equal(await connects(pool, n2, n1), true);
    assert.deepEqual(await listRules(pool, n1, 'faultline:', true), []);
    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    ); // twice is fine
  });

  it('freezes by pid, with no traffic cut when peers is empty', async () => {
    const pid = markers.get(n2.name) as number;
    const applied = await applyHostFault(pool, freeze, input('by-pid', [n2]), { pids: [pid], peers: [] });
    assert.equal(state(n2), 'T');
    assert.equal(await connects(pool, n1, n2), true);
    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    );
    assert.ok(running(state(n2)));
  });

  it('fails when nothing matches, leaving no marker and no rule', async () => {
    await assert.rejects(
      applyHostFault(pool, freeze, input('none'), { patterns: ['^no such process here$'] }),
      /no process to freeze/,
    );
    assert.equal((await pool.exec(n1, 'ls -A /run/faultline')).stdout.trim(), '');
    assert.deepEqual(await listRules(pool, n1, 'faultline:', true), []);
  });

  it('refuses bad options, naming the field', () => {
    const bad = (options: unknown, field: string) =>
      assert.throws(
        () => freeze.plan(input('bad'), options),
        (e) => e instanceof InvalidOptionError && e.field === field,
      );
    bad({}, 'with');
    bad({ pids: [1] }, 'with.pids.0');
    bad({ patterns: ['x'], peers: ['nowhere'] }, 'with.peers[0]');
    bad({ patterns: ['x'], peers: [n1.name] }, 'with.peers');
  });
});
