/**
 * host.network on the namespace bed: loss rules with probability 1 stop traffic to one peer's port and nothing
 * else, a seeded loss range is drawn once per plan, a tbf bandwidth limit is listed by tc and really slows
 * transfers to the peer, delay without netem fails clearly and leaves nothing, and a device shaped by one fault
 * is refused to the next.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { InvalidOptionError } from '../../../src/core/errors.js';
import {
  applyHostFault,
  HostFaultError,
  listRules,
  network,
  revertHostFault,
  sweepHost,
} from '../../../src/fleet/faults/index.js';
import type { Host } from '../../../src/fleet/host.js';
import type { SshPool } from '../../../src/fleet/pool.js';
import { bedTestFile } from '../../helpers/exclusive.js';
import { bedFleet, bedUnavailable, connects, fleetBed } from '../../helpers/fleet-bed.js';

bedTestFile();
const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping host.network: ${unavailable}`);

describe('host.network on the test bed', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'flfn', net: '10.233.143', hosts: 3 });
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
  // a failed test must not leave its fault to the next
  afterEach(async () => {
    for (const h of hosts) await sweepHost(pool, h);
  });

  const input = (faultId: string, targets = [n1], seed = 1) => ({
    fleet: hosts,
    targets,
    runId: 'tn',
    faultId,
    seed,
  });
  /** faultline's qdiscs and marker files on a host. */
  const leftovers = async (h: Host) =>
    (await pool.exec(h, 'tc qdisc show | grep " fa17: " ; ls /run/faultline; true')).stdout.trim();

  it('loss 100% on one peer port: that traffic fails, other ports and peers pass; the revert restores it', async () => {
    const applied = await applyHostFault(pool, network, input('loss'), {
      peers: [n2.name],
      ports: [22],
      loss: 1,
    });
    assert.equal(await connects(pool, n1, n2, 22), false, 'n1 → n2:22 is dropped');
    assert.equal(await connects(pool, n1, n3, 22), true, 'another peer is untouched');
    assert.equal(await connects(pool, n2, n1, 22), true, 'n2 → n1:22 is another port of n2: untouched');
    assert.match(applied.seen[n1.name] ?? '', /2 loss rules/);
    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    );
    assert.equal(await connects(pool, n1, n2, 22), true);
    assert.deepEqual(await listRules(pool, n1, 'faultline:', true), []);
  });

  it('a loss range is drawn from the seed once, the same for every host and every plan', async () => {
    const plan = (seed: number) =>
      network.plan(input('range', hosts, seed), { loss: { min: '20%', max: '60%' } });
    const [a, b] = [plan(5), plan(5)];
    const loss = a[0]?.record.loss as number;
    assert.ok(loss >= 0.2 && loss <= 0.6, `loss ${loss}`);
    assert.deepEqual(
      a.map((s) => s.record.loss),
      [loss, loss, loss],
    );
    assert.deepEqual(a, b);
    const others = new Set(Array.from({ length: 20 }, (_, s) => plan(s)[0]?.record.loss));
    assert.ok(others.size > 10, 'other seeds draw other values');

    const applied = await applyHostFault(pool, network, input('range', [n1], 5), {
      loss: { min: '20%', max: '60%' },
    });
    const rules = await listRules(pool, n1, 'faultline:tn:range');
    assert.equal(rules.length, 4, 'both directions for each of the two peers');
    // iptables keeps the probability as a 32-bit fraction
    for (const r of rules) {
      assert.ok(Math.abs(Number(/--probability (\S+)/.exec(r)?.[1]) - loss) < 1e-6, r);
      assert.doesNotMatch(r, / -p /, 'without ports: every protocol');
    }
    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    );
  });

  it('tbf bandwidth: the qdisc is listed, slows transfers to the peer, and is removed on revert', async () => {
    const applied = await applyHostFault(pool, network, input('tbf'), {
      peers: [n2.name],
      bandwidth: '1mbit',
    });
    const shown = (await pool.exec(n1, 'tc qdisc show dev eth0')).stdout;
    assert.match(shown, /qdisc htb fa17: root/);
    assert.match(shown, /qdisc tbf fa18: parent fa17:4 rate 1Mbit/);
    assert.match(applied.seen[n1.name] ?? '', /tbf on eth0 with 1 filters/);
    // 256 KiB at 1 Mbit/s takes at least 2 s (a lower bound only); the other peer is not shaped
    const send = async (to: Host) => {
      const t = performance.now();
      await pool.exec(
        n1,
        `head -c 262144 /dev/zero | ssh -i ${bed.identity} -o UserKnownHostsFile=${bed.knownHosts} -o BatchMode=yes root@${to.address} 'cat > /dev/null'`,
        { timeoutMs: 60_000 },
      );
      return performance.now() - t;
    };
    const slow = await send(n2);
    assert.ok(slow >= 1_900, `256 KiB to the shaped peer took ${Math.round(slow)} ms`);
    await send(n3);
    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    );
    assert.equal(await leftovers(n1), '');
    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    ); // twice is fine
  });

  it('refuses to shape a device a fault already shapes, leaving the first in place', async () => {
    const first = await applyHostFault(pool, network, input('first'), {
      peers: [n2.name],
      bandwidth: '10mbit',
    });
    await assert.rejects(
      applyHostFault(pool, network, input('second'), { peers: [n3.name], bandwidth: '5mbit' }),
      /already shaped by faultline: eth0/,
    );
    await network.verify(pool, first.steps[0] as never);
    await revertHostFault(
      pool,
      hosts,
      first.steps.map((s) => s.record),
    );
    assert.equal(await leftovers(n1), '');
  });

  it('delay needs netem: without it the fault fails with FLEET_NETEM_UNAVAILABLE and leaves nothing', async () => {
    const hasNetem =
      (
        await pool.exec(n1, 'tc qdisc add dev lo root netem delay 1ms 2>&1 && tc qdisc del dev lo root', {
          check: false,
        })
      ).status === 0;
    if (hasNetem) {
      const applied = await applyHostFault(pool, network, input('delay'), {
        peers: [n2.name],
        delay: '20ms',
      });
      assert.match(applied.seen[n1.name] ?? '', /netem on eth0/);
      await revertHostFault(
        pool,
        hosts,
        applied.steps.map((s) => s.record),
      );
    } else {
      await assert.rejects(
        applyHostFault(pool, network, input('delay'), { peers: [n2.name], delay: '20ms', loss: 0.5 }),
        (e) =>
          e instanceof HostFaultError &&
          e.code === 'FLEET_NETEM_UNAVAILABLE' &&
          e.message.startsWith(`${n1.name}: delay needs`),
      );
    }
    assert.equal(await leftovers(n1), '');
    assert.deepEqual(await listRules(pool, n1, 'faultline:', true), []);
  });

  it('refuses bad options, naming the field', () => {
    const bad = (options: unknown, field: string) =>
      assert.throws(
        () => network.plan(input('bad'), options),
        (e) => e instanceof InvalidOptionError && e.field === field,
      );
    bad({ peers: [n2.name] }, 'with');
    bad({ loss: '150%' }, 'with.loss');
    bad({ loss: 0 }, 'with.loss');
    bad({ bandwidth: 'fast' }, 'with.bandwidth');
    bad({ loss: 1, peers: ['nowhere'] }, 'with.peers[0]');
    bad({ loss: 1, jitter: '5ms' }, 'with.jitter');
    bad({ loss: { min: 0.5, max: 0.1 } }, 'with.loss');
  });
});
