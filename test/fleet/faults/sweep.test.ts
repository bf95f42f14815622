/**
 * Crash safety's building block: a process applies every kind of host fault, then dies by SIGKILL with its
 * records lost; sweeping every host afterwards leaves no faultline iptables rule, qdisc, fill file, stress
 * process, stopped process or marker file — and a second sweep finds nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readStat } from '../../../src/disruptors/proc.js';
import { fleetSweeps, listRules, sweepHost } from '../../../src/fleet/faults/index.js';
import type { Host } from '../../../src/fleet/host.js';
import type { SshPool } from '../../../src/fleet/pool.js';
import { bedTestFile } from '../../helpers/exclusive.js';
import { alive, bedFleet, bedUnavailable, connects, fleetBed } from '../../helpers/fleet-bed.js';

bedTestFile();
const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping the fleet sweep: ${unavailable}`);

const SRC = resolve(fileURLToPath(import.meta.url), '../../../../src/fleet');

/** The applier: applies five faults on the bed, says so, and waits to be killed. */
const APPLIER = `
import { readFileSync } from 'node:fs';
import { parseInventory } from '${SRC}/inventory.ts';
import { SshPool } from '${SRC}/pool.ts';
import { Ssh2Connector } from '${SRC}/ssh2-connector.ts';
import * as F from '${SRC}/faults/index.ts';
const { inventory, knownHosts, dir, marker } = JSON.parse(process.env.APPLIER);
const hosts = parseInventory(readFileSync(inventory, 'utf8'));
const pool = new SshPool(new Ssh2Connector({ knownHosts }));
const [n1, n2, n3] = hosts;
const input = (faultId, targets) => ({ fleet: hosts, targets, runId: 'crash', faultId, seed: 3 });
await F.applyHostFault(pool, F.partition, input('cut', hosts), { groups: [[n1.name], [n2.name]] });
await F.applyHostFault(pool, F.network, input('net', [n3]), { peers: [n1.name], loss: 0.5, bandwidth: '5mbit' });
await F.applyHostFault(pool, F.diskFill, input('fill', hosts), { path: dir, free: '16MiB' });
await F.applyHostFault(pool, F.stress, input('cpu', [n2]), { cpu: 1, duration: '5m' });
await F.applyHostFault(pool, F.freeze, input('hang', [n3]), { patterns: ['^' + marker + '$'], peers: [] });
process.stdout.write('applied\\n');
setInterval(() => {}, 1000);
`;

describe('sweeping after a killed applier', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'flfw', net: '10.233.147', hosts: 3 });
  const dir = `/tmp/faultline-sweep-test-${process.pid}`;
  const MARKER = `sleep ${90_000 + (process.pid % 1000)}`;
  const work = mkdtempSync(join(tmpdir(), 'faultline-sweep-'));
  let hosts: Host[];
  let pool: SshPool;
  let markerPid = 0;
  before(async () => {
    bed.up();
    ({ hosts, pool } = bedFleet(bed));
    for (const h of hosts)
      await pool.exec(h, `mkdir -p ${dir} && mount -t tmpfs -o size=64m sweep-test ${dir}`);
    const n3 = hosts[2] as Host;
    markerPid = Number((await pool.exec(n3, `setsid ${MARKER} </dev/null >/dev/null 2>&1 & echo $!`)).stdout);
  });
  after(async () => {
    if (markerPid && alive(markerPid)) process.kill(markerPid, 'SIGKILL');
    if (pool) for (const h of hosts) await pool.exec(h, `umount ${dir}`, { check: false });
    await pool?.close();
    bed.down();
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  /** Everything faultline could have left on a host, as text; empty when clean. */
  const leftovers = async (h: Host) => {
    const script = [
      'tc qdisc show | grep " fa17: "',
      `ls -A ${dir} /run/faultline | grep -v ':$' | grep .`,
      "pgrep --ns $$ --nslist net -af 'faultline-stress[:]'",
      'true',
    ].join('; ');
    const rules = await listRules(pool, h, 'faultline:', true);
    return [...rules, ...(await pool.exec(h, script)).stdout.split('\n').filter(Boolean)];
  };

  it('leaves nothing of five kinds of fault on any host', async () => {
    const file = join(work, 'applier.mts');
    writeFileSync(file, APPLIER);
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      env: {
        ...process.env,
        APPLIER: JSON.stringify({
          inventory: bed.inventory,
          knownHosts: bed.knownHosts,
          dir,
          marker: MARKER,
        }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('applied') && resolve());
      child.once('exit', (code) => reject(new Error(`the applier exited (${code}) before applying`)));
    });
    child.kill('SIGKILL');
    await exited;

    // the faults outlived their applier
    const [n1, n2, n3] = hosts as [Host, Host, Host];
    assert.equal(readStat(markerPid)?.state, 'T');
    assert.equal(await connects(pool, n1, n2), false);
    const before = await Promise.all(hosts.map(leftovers));
    assert.ok(
      before[2]?.some((l) => l.startsWith('qdisc htb fa17:')),
      before[2]?.join('\n'),
    );
    assert.ok(
      before[1]?.some((l) => l.includes('faultline-stress:crash:cpu')),
      before[1]?.join('\n'),
    );
    assert.ok(before.every((l) => l.includes('.faultline-fill-crash')));

    const removed = await Promise.all(hosts.map((h) => sweepHost(pool, h, { paths: [dir] })));
    const kinds = (i: number) => [...new Set(removed[i]?.map((r) => r.split(':')[0]))].sort();
    assert.deepEqual(kinds(0), ['disk-fill', 'iptables']);
    assert.deepEqual(kinds(1), ['disk-fill', 'iptables', 'stress']);
    assert.deepEqual(kinds(2), ['disk-fill', 'freeze', 'iptables', 'tc']);

    for (const [i, h] of hosts.entries())
      assert.deepEqual(await leftovers(h), [], `${h.name} is clean (${i})`);
    assert.notEqual(readStat(markerPid)?.state, 'T', 'the frozen process runs again');
    assert.equal(await connects(pool, n1, n2), true);
    assert.equal(await connects(pool, n3, n1), true);
    for (const h of hosts)
      assert.deepEqual(await sweepHost(pool, h, { paths: [dir] }), [], 'a second sweep finds nothing');
    assert.deepEqual(
      fleetSweeps.map((s) => s.name),
      ['freeze', 'stress', 'iptables', 'tc', 'disk-fill'],
    );
  });
});
