/**
 * host.disk-fill on the namespace bed, on a 64 MiB tmpfs mounted in each host's own mount namespace (so the
 * real disk is never filled): df shows at most `free` + slack after apply, the revert frees it, and a sweep
 * finds fills by their marker files or in the paths it is given.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { InvalidOptionError } from '../../../src/core/errors.js';
import {
  applyHostFault,
  diskFill,
  parseSize,
  revertHostFault,
  sweepHost,
} from '../../../src/fleet/faults/index.js';
import type { Host } from '../../../src/fleet/host.js';
import type { SshPool } from '../../../src/fleet/pool.js';
import { bedTestFile } from '../../helpers/exclusive.js';
import { bedFleet, bedUnavailable, fleetBed } from '../../helpers/fleet-bed.js';

bedTestFile();
const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping host.disk-fill: ${unavailable}`);

const MiB = 1024 * 1024;

describe('host.disk-fill on the test bed', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'flfd', net: '10.233.144', hosts: 2 });
  const dir = `/tmp/faultline-fill-test-${process.pid}`;
  let hosts: Host[];
  let pool: SshPool;
  let n1: Host;
  let n2: Host;
  before(async () => {
    bed.up();
    ({ hosts, pool } = bedFleet(bed));
    [n1, n2] = hosts as [Host, Host];
    // each host's sshd has a mount namespace of its own: the tmpfs is mounted there, seen by its sessions only
    for (const h of hosts)
      await pool.exec(h, `mkdir -p ${dir} && mount -t tmpfs -o size=64m fill-test ${dir}`);
  });
  after(async () => {
    if (pool) for (const h of hosts) await pool.exec(h, `umount ${dir}`, { check: false });
    await pool?.close();
    bed.down();
    await import('node:fs').then((fs) => fs.rmSync(dir, { recursive: true, force: true }));
  });
  afterEach(async () => {
    for (const h of hosts) await sweepHost(pool, h, { paths: [dir] });
  });

  const input = (faultId: string, targets = [n1]) => ({ fleet: hosts, targets, runId: 'td', faultId });
  const avail = async (h: Host) =>
    Number((await pool.exec(h, `df -B1 --output=avail ${dir} | tail -n 1`)).stdout.trim());

  it('leaves at most free + slack bytes available, on the targeted host only; the revert frees it', async () => {
    const before = await avail(n1);
    assert.ok(before > 60 * MiB, `the tmpfs starts empty (${before})`);
    const applied = await applyHostFault(pool, diskFill, input('fill'), { path: dir, free: '8MiB' });
    const during = await avail(n1);
    assert.ok(during <= 8 * MiB + MiB, `${during} bytes available`);
    assert.ok(during >= 7 * MiB, `not filled beyond the ask (${during})`);
    assert.match(applied.seen[n1.name] ?? '', /\.faultline-fill-td holds \d+/);
    assert.equal((await pool.exec(n1, `ls -A ${dir}`)).stdout.trim(), '.faultline-fill-td');
    assert.ok((await avail(n2)) > 60 * MiB, "the other host's filesystem is untouched");

    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    );
    assert.ok((await avail(n1)) > 60 * MiB);
    assert.equal(
      (await pool.exec(n1, `ls -A ${dir}; ls -A /run/faultline`)).stdout,
      '',
      'no fill file, no marker',
    );
    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    ); // twice is fine
  });

  it('refuses a path that is no directory, and a second fill of the same run in the same place', async () => {
    await assert.rejects(
      applyHostFault(pool, diskFill, input('nodir'), { path: `${dir}/missing`, free: 0 }),
      /missing is not a directory/,
    );
    const first = await applyHostFault(pool, diskFill, input('one'), { path: dir, free: '32MiB' });
    await assert.rejects(
      applyHostFault(pool, diskFill, input('two'), { path: dir, free: '16MiB' }),
      /\.faultline-fill-td exists: another fault of run td fills/,
    );
    await diskFill.verify(pool, first.steps[0] as never);
    await revertHostFault(
      pool,
      hosts,
      first.steps.map((s) => s.record),
    );
  });

  it('sweeps fills without records: by marker file, and any .faultline-fill-* in the given paths', async () => {
    await applyHostFault(pool, diskFill, input('lost', hosts), { path: dir, free: '16MiB' });
    await pool.exec(n2, `fallocate -l 4194304 ${dir}/.faultline-fill-older-run`); // no marker at all
    const byMarker = await sweepHost(pool, n1);
    assert.deepEqual(byMarker, [`disk-fill: ${dir}/.faultline-fill-td`]);
    assert.ok((await avail(n1)) > 60 * MiB);
    const byPath = await sweepHost(pool, n2, { paths: [dir] });
    assert.deepEqual(byPath.sort(), [
      `disk-fill: ${dir}/.faultline-fill-older-run`,
      `disk-fill: ${dir}/.faultline-fill-td`,
    ]);
    assert.ok((await avail(n2)) > 60 * MiB);
  });

  it('parses sizes and refuses bad options, naming the field', () => {
    assert.deepEqual(
      ['64MiB', '1G', '500MB', 1024, '10'].map((s) => parseSize(s)),
      [64 * MiB, 1024 * MiB, 500e6, 1024, 10],
    );
    const bad = (options: unknown, field: string) =>
      assert.throws(
        () => diskFill.plan(input('bad'), options),
        (e) => e instanceof InvalidOptionError && e.field === field,
      );
    bad({ path: 'relative', free: 0 }, 'with.path');
    bad({ path: dir, free: 'lots' }, 'with.free');
    bad({ path: dir }, 'with.free');
  });
});
