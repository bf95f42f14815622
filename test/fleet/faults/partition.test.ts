/**
 * host.partition on the namespace bed: TCP between cut hosts fails while the rest still connects, the records
 * are journaled before any rule exists, a revert removes only its own rules (and may run twice), and a sweep
 * removes faultline's rules without any record.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidOptionError } from '../../../src/core/errors.js';
import {
  applyHostFault,
  type HostRevertRecord,
  listRules,
  partition,
  revertHostFault,
  sweepRules,
} from '../../../src/fleet/faults/index.js';
import type { Host } from '../../../src/fleet/host.js';
import type { SshPool } from '../../../src/fleet/pool.js';
import { bedTestFile } from '../../helpers/exclusive.js';
import { bedFleet, bedUnavailable, connects, fleetBed } from '../../helpers/fleet-bed.js';

bedTestFile();
const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping host.partition: ${unavailable}`);

describe('host.partition on the test bed', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'flfp', net: '10.233.141', hosts: 3 });
  let hosts: Host[];
  let pool: SshPool;
  let n1: Host;
  let n2: Host;
  let n3: Host;
  before(() => {
    bed.up();
    ({ hosts, pool } = bedFleet(bed));
    [n1, n2, n3] = hosts as [Host, Host, Host];
  });
  after(async () => {
    await pool?.close();
    bed.down();
  });

  const input = (faultId: string, seed = 1) => ({ fleet: hosts, targets: hosts, runId: 'tp', faultId, seed });
  /** Every ordered pair's reachability over SSH's port, as "a>b" strings of the pairs that connect. */
  const links = async () => {
    const pairs = hosts.flatMap((a) => hosts.filter((b) => b !== a).map((b) => [a, b] as const));
    const ok = await Promise.all(pairs.map(([a, b]) => connects(pool, a, b)));
    return pairs.filter((_, i) => ok[i]).map(([a, b]) => `${a.name.slice(-2)}>${b.name.slice(-2)}`);
  };
  const faultlineRules = async () =>
    (await Promise.all(hosts.map((h) => listRules(pool, h, 'faultline:', true)))).flat();

  it('isolate: the chosen host reaches nobody and nobody reaches it; the others still talk; revert heals', async () => {
    assert.equal((await links()).length, 6, 'all connected before');
    const journaled: HostRevertRecord[] = [];
    const applied = await applyHostFault(
      pool,
      partition,
      input('iso'),
      { shape: 'isolate', chosen: [n1.name] },
      {
        journal: async (records) => {
          // journaled before anything is applied: no rule exists yet
          assert.deepEqual(await faultlineRules(), []);
          journaled.push(...records);
        },
      },
    );
    assert.deepEqual(
      journaled.map((r) => [r.host, r.type, r.peers]),
      [
        [n1.name, 'host.partition', [n2.name, n3.name]],
        [n2.name, 'host.partition', [n1.name]],
        [n3.name, 'host.partition', [n1.name]],
      ],
    );
    assert.deepEqual(await links(), ['n2>n3', 'n3>n2']);
    assert.match(applied.seen[n1.name] ?? '', /^4 rules/);
    // faultline's own SSH connections are not cut
    assert.equal((await pool.exec(n1, 'hostname')).stdout.trim(), n1.name);

    await revertHostFault(pool, hosts, journaled);
    assert.equal((await links()).length, 6, 'all connected after the revert');
    assert.deepEqual(await faultlineRules(), []);
    await revertHostFault(pool, hosts, journaled); // twice is fine
  });

  it('halves and groups cut exactly the planned pairs', async () => {
    const steps = partition.plan(input('halves', 42), { shape: 'halves' });
    const cut = new Set(steps.flatMap((s) => (s.record.peers as string[]).map((p) => `${s.host.name}>${p}`)));
    const applied = await applyHostFault(pool, partition, input('halves', 42), { shape: 'halves' });
    const expected = hosts.flatMap((a) =>
      hosts
        .filter((b) => b !== a && !cut.has(`${a.name}>${b.name}`))
        .map((b) => `${a.name.slice(-2)}>${b.name.slice(-2)}`),
    );
    assert.equal(cut.size, 4, 'a 1+2 split cuts two links, both ways');
    assert.deepEqual(await links(), expected);
    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    );

    const groups = await applyHostFault(pool, partition, input('groups'), {
      groups: [[n1.name, n3.name], [n2.name]],
    });
    assert.deepEqual(await links(), ['n1>n3', 'n3>n1']);
    await revertHostFault(
      pool,
      hosts,
      groups.steps.map((s) => s.record),
    );
  });

  it('a revert removes only its own rules; a sweep removes every faultline rule, without records', async () => {
    const a = await applyHostFault(pool, partition, input('own-a'), { groups: [[n1.name], [n2.name]] });
    const b = await applyHostFault(pool, partition, input('own-b'), { groups: [[n1.name], [n3.name]] });
    // a rule that is not faultline's
    await pool.exec(n1, 'iptables -w -I INPUT -s 192.0.2.7 -m comment --comment "someone-else" -j DROP');
    await revertHostFault(
      pool,
      hosts,
      a.steps.map((s) => s.record),
    );
    assert.deepEqual(
      (await faultlineRules()).map((r) => r.replace(/ -m comment.*/, '')).sort(),
      [
        '-A INPUT -s 10.233.141.11/32',
        '-A INPUT -s 10.233.141.13/32',
        '-A OUTPUT -d 10.233.141.11/32',
        '-A OUTPUT -d 10.233.141.13/32',
      ],
      'own-b is still in place',
    );
    assert.equal(await connects(pool, n1, n3), false);

    // the applier "died": b's records are lost
    const removed = (await Promise.all(hosts.map((h) => sweepRules(pool, h)))).flat();
    assert.equal(removed.length, 4);
    assert.ok(removed.every((r) => r.includes('faultline:tp:own-b')));
    assert.deepEqual(await faultlineRules(), []);
    assert.equal(await connects(pool, n1, n3), true);
    assert.match((await pool.exec(n1, 'iptables -w -S INPUT')).stdout, /someone-else/, 'not ours: kept');
    await pool.exec(n1, 'iptables -w -D INPUT -s 192.0.2.7 -m comment --comment "someone-else" -j DROP');
    // a revert after the sweep is fine
    await revertHostFault(
      pool,
      hosts,
      b.steps.map((s) => s.record),
    );
  });

  it('refuses bad options, naming the field, before touching any host', async () => {
    const bad = (options: unknown, field: string) =>
      assert.throws(
        () => partition.plan(input('bad'), options),
        (e) => e instanceof InvalidOptionError && e.field === field,
      );
    bad({ shape: 'triangle' }, 'with.shape');
    bad({ shape: 'majorities-ring' }, 'with.shape');
    bad({ groups: [[n1.name], ['nowhere']] }, 'with.groups[1][0]');
    bad({}, 'with');
    bad({ shape: 'halves', chosen: [n1.name] }, 'with.chosen');
    assert.throws(
      () => partition.plan({ ...input('x'), runId: 'a b' }, { shape: 'halves' }),
      (e) => e instanceof InvalidOptionError && e.field === 'fault.runId',
    );
    assert.deepEqual(await faultlineRules(), []);
  });
});
