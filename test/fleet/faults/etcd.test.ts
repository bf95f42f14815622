/**
 * host.partition against a real 3-member etcd cluster on the namespace bed: isolating the leader makes the
 * majority elect another and accept writes again (the time that takes is printed); a 2+1 split leaves the
 * minority member refusing writes while the majority accepts them; after each revert the cluster is healthy with
 * three members and the formerly cut-off member reads what the majority wrote.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { applyHostFault, partition, revertHostFault } from '../../../src/fleet/faults/index.js';
import { pollUntil } from '../../../src/fleet/faults/types.js';
import type { Host } from '../../../src/fleet/host.js';
import type { SshPool } from '../../../src/fleet/pool.js';
import { bedTestFile } from '../../helpers/exclusive.js';
import { bedFleet, bedUnavailable, fleetBed } from '../../helpers/fleet-bed.js';

bedTestFile();
const unavailable =
  bedUnavailable() ??
  (['/usr/bin/etcd', '/usr/bin/etcdctl'].some((p) => !existsSync(p))
    ? 'needs etcd (apt-get install etcd-server etcd-client)'
    : undefined);
if (unavailable) console.log(`# skipping the etcd partition tests: ${unavailable}`);

// Elections take an election timeout (1 s) or a few; the machine is shared, so the bounds are generous.
const RECOVER_MS = 60_000;

describe('host.partition against etcd', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'flfe', net: '10.233.142', hosts: 3, etcd: true });
  let hosts: Host[];
  let pool: SshPool;
  before(() => {
    bed.up();
    ({ hosts, pool } = bedFleet(bed));
  });
  after(async () => {
    await pool?.close();
    bed.down();
  });

  const endpointOf = (h: Host) => `http://${h.address}:2379`;
  const put = (h: Host, key: string, value: string, timeoutMs = 2_000) =>
    bed.etcd.ctl(
      [endpointOf(h)],
      ['--command-timeout', `${timeoutMs}ms`, 'put', key, value],
      timeoutMs + 5_000,
    );
  const get = async (h: Host, key: string) =>
    (
      await bed.etcd.ctl([endpointOf(h)], ['--command-timeout', '5s', 'get', key, '--print-value-only'])
    ).trim();
  const succeeds = (p: Promise<unknown>) =>
    p.then(
      () => true,
      () => false,
    );

  /** The member reads the value (linearizably, so through the leader) within the recovery bound. */
  const readsBack = async (h: Host, key: string, value: string) => {
    let last = '';
    const ok = await pollUntil(
      async () => {
        try {
          last = await get(h, key);
        } catch (e) {
          last = (e as Error).message;
        }
        return last === value;
      },
      RECOVER_MS,
      200,
    );
    assert.ok(ok, `${h.name} reads ${key} = ${value}; last saw ${last}`);
  };

  /** All three members answer health checks and agree on one leader. */
  const healthy = async () => {
    const ok = await pollUntil(
      async () =>
        (await succeeds(
          bed.etcd.ctl(bed.etcd.endpoints(), ['--command-timeout', '2s', 'endpoint', 'health']),
        )) && (await bed.etcd.leader()) !== undefined,
      RECOVER_MS,
      200,
    );
    assert.ok(ok, 'the cluster is healthy');
    const members = JSON.parse(
      await bed.etcd.ctl(bed.etcd.endpoints(), ['member', 'list', '-w', 'json']),
    ) as {
      members: Array<{ name: string }>;
    };
    assert.deepEqual(members.members.map((m) => m.name).sort(), ['n1', 'n2', 'n3']);
  };

  it('isolating the leader: the majority elects a new leader and accepts writes again', async () => {
    await healthy();
    const leader = await bed.etcd.leader();
    assert.ok(leader);
    const old = hosts.find((h) => endpointOf(h) === leader.endpoint) as Host;
    const rest = hosts.filter((h) => h !== old);
    await put(rest[0] as Host, 'k', 'before', 10_000);

    const applied = await applyHostFault(
      pool,
      partition,
      { fleet: hosts, targets: hosts, runId: 'te', faultId: 'iso-leader' },
      { shape: 'isolate', chosen: [old.name] },
    );
    const start = performance.now();
    let elected: { endpoint: string; memberId: string } | undefined;
    assert.ok(
      await pollUntil(
        async () => {
          const seen = await bed.etcd.leader(rest.map(endpointOf));
          if (seen && seen.memberId !== leader.memberId) elected = seen;
          return elected !== undefined;
        },
        RECOVER_MS,
        100,
      ),
      'the majority elected a new leader',
    );
    assert.ok(
      await pollUntil(() => succeeds(put(rest[0] as Host, 'k', 'during')), RECOVER_MS, 100),
      'a write through a majority member succeeds',
    );
    const recoverMs = performance.now() - start;
    console.log(
      `# etcd: leader ${old.name} isolated; ${elected?.endpoint} elected and writes accepted after ${Math.round(recoverMs)} ms`,
    );
    assert.ok(
      rest.map(endpointOf).includes(elected?.endpoint as string),
      'the new leader is in the majority',
    );
    // another key: a write that timed out has an unknown outcome (it may still be applied once the partition
    // heals, when a proposal the member had forwarded gets through), so nothing is read back from it
    await assert.rejects(put(old, 'k-cut-off', 'x'), 'the isolated member cannot commit');

    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    );
    await healthy();
    await readsBack(old, 'k', 'during');
  });

  it('halves 2+1: the minority member refuses writes (times out), the majority accepts them', async () => {
    await healthy();
    const input = { fleet: hosts, targets: hosts, runId: 'te', faultId: 'halves', seed: 7 };
    const steps = partition.plan(input, { shape: 'halves' });
    const minority = steps.find((s) => (s.record.peers as string[]).length === 2)?.host as Host;
    const majority = hosts.filter((h) => h !== minority);
    assert.ok(minority, 'a 1+2 split');

    const applied = await applyHostFault(pool, partition, input, { shape: 'halves' });
    assert.deepEqual(
      applied.steps.map((s) => s.record),
      steps.map((s) => s.record),
      'the plan is pure: same seed, same split',
    );
    assert.ok(
      await pollUntil(() => succeeds(put(majority[1] as Host, 'h', 'majority')), RECOVER_MS, 100),
      'the majority accepts writes',
    );
    // another key, as above: the timed-out write may yet be applied after the revert
    const refused = await put(minority, 'h-minority', 'x', 3_000).then(
      () => undefined,
      (e: Error) => e.message,
    );
    assert.match(refused ?? 'the write succeeded', /deadline exceeded|timed out|no leader|unavailable/i);
    assert.equal(await get(majority[0] as Host, 'h'), 'majority');

    await revertHostFault(
      pool,
      hosts,
      applied.steps.map((s) => s.record),
    );
    await healthy();
    await readsBack(minority, 'h', 'majority');
  });
});
