/**
 * host.stress on the namespace bed: stress-ng runs (with its workers) once applied and is gone once reverted;
 * a host's revert and sweep touch only its own stress (the bed's hosts share one pid namespace); stress-ng's
 * timeout ends a stress nobody reverts.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { InvalidOptionError } from '../../../src/core/errors.js';
import { applyHostFault, revertHostFault, stress, sweepHost } from '../../../src/fleet/faults/index.js';
import { pollUntil } from '../../../src/fleet/faults/types.js';
import type { Host } from '../../../src/fleet/host.js';
import type { SshPool } from '../../../src/fleet/pool.js';
import { bedTestFile } from '../../helpers/exclusive.js';
import { bedFleet, bedUnavailable, fleetBed } from '../../helpers/fleet-bed.js';

bedTestFile();
const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping host.stress: ${unavailable}`);

describe('host.stress on the test bed', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'flfs', net: '10.233.145', hosts: 2 });
  let hosts: Host[];
  let pool: SshPool;
  let n1: Host;
  let n2: Host;
  before(() => {
    bed.up();
    ({ hosts, pool } = bedFleet(bed));
    [n1, n2] = hosts as [Host, Host];
  });
  after(async () => {
    await pool?.close();
    bed.down();
  });
  afterEach(async () => {
    for (const h of hosts) await sweepHost(pool, h);
  });

  const input = (faultId: string, targets = [n1]) => ({ fleet: hosts, targets, runId: 'ts', faultId });
  /** Live stress-ng processes (any state but zombie) started on the host, by their tag's fault id. */
  const stressOn = async (h: Host, faultId: string) => {
    const script = `for g in $(pgrep --ns $$ --nslist net -f 'faultline-stress[:]ts:${faultId}'); do ps -eo pgid=,stat=,comm= | awk -v g=$g '$1 == g && $2 !~ /^Z/ {print $3}'; done`;
    return (await pool.exec(h, script)).stdout.split('\n').filter(Boolean).sort();
  };

  it('runs stress-ng with its workers once applied; nothing of it is left after the revert', async () => {
    const applied = await applyHostFault(pool, stress, input('cpu-vm'), {
      cpu: 1,
      memory: '16MiB',
      duration: '2m',
    });
    assert.match(applied.seen[n1.name] ?? '', /stress-ng group \d+ with [23] workers/);
    const procs = await stressOn(n1, 'cpu-vm');
    assert.ok(procs.includes('stress-ng'), procs.join());
    assert.ok(procs.includes('stress-ng-cpu'), procs.join());
    assert.ok(procs.includes('stress-ng-vm'), procs.join());
    assert.match(applied.steps[0]?.record.what ?? '', /--cpu 1 --vm 1 --vm-bytes 16777216 --timeout 120s/);

    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    );
    assert.deepEqual(await stressOn(n1, 'cpu-vm'), [], 'the revert returns once the group is gone');
    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    ); // twice is fine
  });

  it("a host's revert and sweep leave another host's stress alone", async () => {
    const both = await applyHostFault(pool, stress, input('both', hosts), { cpu: 1, duration: '2m' });
    const [one] = both.steps.filter((s) => s.host === n1).map((s) => s.record);
    await revertHostFault(pool, hosts, [one as never]);
    assert.deepEqual(await stressOn(n1, 'both'), []);
    assert.ok((await stressOn(n2, 'both')).includes('stress-ng-cpu'), "n2's stress still runs");
    assert.deepEqual(await sweepHost(pool, n1), []);
    assert.ok((await stressOn(n2, 'both')).includes('stress-ng-cpu'));
    const swept = await sweepHost(pool, n2);
    assert.equal(swept.length, 1);
    assert.match(swept[0] ?? '', /^stress: stress group \d+$/);
    assert.deepEqual(await stressOn(n2, 'both'), []);
  });

  it("ends on its own after its duration (stress-ng's --timeout), reverted or not", async () => {
    await applyHostFault(pool, stress, input('short'), { cpu: 1, duration: '2s' });
    assert.ok(await pollUntil(async () => (await stressOn(n1, 'short')).length === 0, 30_000, 200));
  });

  it('refuses bad options, naming the field', () => {
    const bad = (options: unknown, field: string) =>
      assert.throws(
        () => stress.plan(input('bad'), options),
        (e) => e instanceof InvalidOptionError && e.field === field,
      );
    bad({ duration: '10s' }, 'with');
    bad({ cpu: 1 }, 'with.duration');
    bad({ cpu: -1, duration: '1s' }, 'with.cpu');
    bad({ cpu: 1, vm: 2, duration: '1s' }, 'with.vm');
  });
});
