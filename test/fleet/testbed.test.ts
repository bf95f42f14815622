/**
 * The test bed itself, checked with OpenSSH's own client: each host answers as itself, its key is the one in
 * known_hosts, the inventory describes it, `up` twice is one bed, and `down` leaves nothing (see fleet-bed.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseInventory } from '../../src/fleet/inventory.js';
import { alive, bedUnavailable, fleetBed } from '../helpers/fleet-bed.js';

const run = promisify(execFile);
const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping the fleet test bed: ${unavailable}`);

describe('fleet test bed', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'fltb', net: '10.231.7', hosts: 3, idle: 1 });
  before(() => bed.up());
  after(() => bed.down());

  const ssh = (address: string, command: string) =>
    run(
      'ssh',
      [
        ...[
          '-i',
          bed.identity,
          '-o',
          `UserKnownHostsFile=${bed.knownHosts}`,
          '-o',
          'StrictHostKeyChecking=yes',
        ],
        ...['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-F', '/dev/null', `root@${address}`, command],
      ],
      { encoding: 'utf8', timeout: 15_000 },
    );

  it('describes its hosts in an Ansible inventory', () => {
    const hosts = parseInventory(readFileSync(bed.inventory, 'utf8'));
    assert.deepEqual(
      hosts.map((h) => [h.name, h.address, h.port, h.user, h.identity, h.groups]),
      [
        ['fltb-n1', '10.231.7.11', 22, 'root', bed.identity, ['fleet']],
        ['fltb-n2', '10.231.7.12', 22, 'root', bed.identity, ['fleet']],
        ['fltb-n3', '10.231.7.13', 22, 'root', bed.identity, ['fleet']],
        ['fltb-n4', '10.231.7.14', 22, 'root', undefined, ['idle']],
      ],
    );
  });

  it('runs a real sshd per host, each answering as itself with the key in known_hosts', async () => {
    for (let i = 1; i <= 3; i++) {
      const { stdout } = await ssh(bed.addressOf(i), 'hostname; id -u');
      assert.equal(stdout, `fltb-n${i}\n0\n`);
    }
  });

  it('refuses a host key that is not in known_hosts (the file is what OpenSSH checks)', async () => {
    await assert.rejects(
      run('ssh', [
        ...['-i', bed.identity, '-o', 'UserKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes'],
        ...['-o', 'BatchMode=yes', '-F', '/dev/null', `root@${bed.addressOf(1)}`, 'true'],
      ]),
      /Host key verification failed/,
    );
  });

  it('leaves the idle namespace without sshd: connections are refused', async () => {
    await assert.rejects(ssh(bed.addressOf(4), 'true'), /Connection refused/);
  });

  it('is idempotent: up again keeps the same sshds and namespaces', async () => {
    const before = [1, 2, 3].map((i) => bed.sshdPid(i));
    bed.up();
    assert.deepEqual(
      [1, 2, 3].map((i) => bed.sshdPid(i)),
      before,
    );
    assert.ok(before.every(alive));
    const { stdout } = await run('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.equal(stdout.split('\n').filter((l) => l.startsWith('fltb-')).length, 4);
    assert.equal((await ssh(bed.addressOf(2), 'hostname')).stdout, 'fltb-n2\n');
  });
});
