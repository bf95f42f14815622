/**
 * The ssh2 connector under the pool, against the real test bed (fleet-bed.ts): reuse of one connection per
 * host, failures and timeouts naming the host, the host-key policy, a refused user key, a session the server
 * kills, and a host nobody answers for.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SshError } from '../../src/fleet/errors.js';
import type { Host } from '../../src/fleet/host.js';
import { parseInventory } from '../../src/fleet/inventory.js';
import { type SshConnector, SshPool } from '../../src/fleet/pool.js';
import { Ssh2Connector, type Ssh2ConnectorOptions } from '../../src/fleet/ssh2-connector.js';
import { bedUnavailable, fleetBed } from '../helpers/fleet-bed.js';

const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping the ssh2 connector tests: ${unavailable}`);

/** Counts the connects that reach the wire, whatever the pool believes. */
function counting(inner: SshConnector): SshConnector & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  return {
    calls,
    connect(host, timeoutMs) {
      calls.set(host.name, (calls.get(host.name) ?? 0) + 1);
      return inner.connect(host, timeoutMs);
    },
  };
}

function isSsh(code: string, host: string, message?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof SshError, `an SshError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.host, host);
    assert.ok(err.message.startsWith(`${host}: `), err.message);
    if (message) assert.match(err.message, message);
    return true;
  };
}

describe('ssh2 connector on the fleet test bed', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'flts', net: '10.231.8', hosts: 3, idle: 1 });
  const scratch = mkdtempSync(join(tmpdir(), 'faultline-ssh-'));
  let hosts: Host[] = [];
  const pools: SshPool[] = [];
  const pool = (options: Ssh2ConnectorOptions = {}, poolOptions = {}) => {
    const connector = counting(new Ssh2Connector({ knownHosts: bed.knownHosts, ...options }));
    const p = new SshPool(connector, poolOptions);
    pools.push(p);
    return { pool: p, connector };
  };
  const fleet = () => hosts.filter((h) => h.groups.includes('fleet'));
  const hostNamed = (name: string) => hosts.find((h) => h.name === name) as Host;

  before(() => {
    bed.up();
    hosts = parseInventory(readFileSync(bed.inventory, 'utf8'));
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
    rmSync(scratch, { recursive: true, force: true });
    bed.down();
  });

  it('runs 3 hosts × 20 commands over exactly one connection per host', async () => {
    const { pool: p, connector } = pool();
    const runs = fleet().flatMap((h) =>
      Array.from({ length: 20 }, (_, i) => p.exec(h, `echo $(hostname) ${i}`)),
    );
    const results = await Promise.all(runs);
    assert.equal(results.length, 60);
    for (const r of results) {
      assert.equal(r.status, 0);
      assert.match(r.stdout, new RegExp(`^${r.host} \\d+\\n$`));
    }
    for (const h of fleet()) {
      assert.equal(connector.calls.get(h.name), 1, `${h.name}: one connect`);
      assert.equal(p.connects(h.name), 1);
    }
  });

  it('names the host of a command that exits non-zero, and returns it unchecked', async () => {
    const { pool: p } = pool();
    const h = hostNamed('flts-n2');
    await assert.rejects(
      p.exec(h, 'echo oops >&2; exit 3'),
      isSsh('FLEET_SSH_COMMAND_FAILED', 'flts-n2', /exited 3: oops/),
    );
    const r = await p.exec(h, 'exit 4', { check: false });
    assert.equal(r.status, 4);
    assert.equal(r.signal, null);
  });

  it('times a command out naming the host and keeps the connection for the next command', async () => {
    const { pool: p, connector } = pool();
    const h = hostNamed('flts-n1');
    const started = performance.now();
    await assert.rejects(
      p.exec(h, 'sleep 3', { timeoutMs: 500 }),
      isSsh('FLEET_SSH_COMMAND_TIMEOUT', 'flts-n1', /timed out after 500 ms/),
    );
    assert.ok(performance.now() - started < 2_000);
    assert.equal((await p.exec(h, 'hostname')).stdout, 'flts-n1\n');
    assert.equal(connector.calls.get(h.name), 1);
  });

  it('refuses a host key not in known_hosts by default, accepts and records it with accept-new', async () => {
    const known = join(scratch, 'known_hosts');
    writeFileSync(known, '');
    const h = hostNamed('flts-n3');
    const strict = pool({ knownHosts: known });
    await assert.rejects(
      strict.pool.exec(h, 'true'),
      isSsh('FLEET_SSH_HOST_KEY_UNKNOWN', 'flts-n3', /not in known_hosts/),
    );
    assert.equal(readFileSync(known, 'utf8'), '');

    const trusting = pool({ knownHosts: known, hostKey: 'accept-new' });
    assert.equal((await trusting.pool.exec(h, 'hostname')).stdout, 'flts-n3\n');
    const recorded = readFileSync(known, 'utf8').trim();
    const expected = readFileSync(bed.knownHosts, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${h.address} `));
    assert.equal(recorded, expected);

    // Recorded: a strict connector now trusts it, and a different key for the address is refused.
    const again = pool({ knownHosts: known });
    assert.equal((await again.pool.exec(h, 'hostname')).stdout, 'flts-n3\n');
    const other = readFileSync(bed.knownHosts, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${hostNamed('flts-n1').address} `)) as string;
    writeFileSync(known, `${h.address} ${other.split(' ').slice(1).join(' ')}\n`);
    await assert.rejects(
      pool({ knownHosts: known, hostKey: 'accept-new' }).pool.exec(h, 'true'),
      isSsh('FLEET_SSH_HOST_KEY_MISMATCH', 'flts-n3', /man in the middle/),
    );
  });

  it('refuses a user key the hosts do not authorize', async () => {
    const key = join(scratch, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const h = { ...hostNamed('flts-n1'), identity: key };
    await assert.rejects(pool().pool.exec(h, 'true'), isSsh('FLEET_SSH_AUTH', 'flts-n1', /refused our key/));
  });

  it('reconnects after the server kills the session', async () => {
    const { pool: p, connector } = pool();
    const h = hostNamed('flts-n2');
    assert.equal((await p.exec(h, 'hostname')).stdout, 'flts-n2\n');
    // The sessions are the children of that host's sshd listener.
    execFileSync('pkill', ['-TERM', '-P', String(bed.sshdPid(2))]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await p.exec(h, 'hostname')).stdout, 'flts-n2\n');
    assert.equal(connector.calls.get(h.name), 2);
    assert.equal(p.connects(h.name), 2);
  });

  it('reports a command cut off by the server killing its session as a disconnect naming the host', async () => {
    const { pool: p } = pool();
    const h = hostNamed('flts-n3');
    const running = p.exec(h, 'sleep 30');
    await new Promise((r) => setTimeout(r, 500));
    execFileSync('pkill', ['-TERM', '-P', String(bed.sshdPid(3))]);
    await assert.rejects(running, isSsh('FLEET_SSH_DISCONNECTED', 'flts-n3', /connection lost/));
    assert.equal((await p.exec(h, 'hostname')).stdout, 'flts-n3\n');
  });

  it('names a host whose address has no sshd (refused) within the connect timeout', async () => {
    const idle = hostNamed('flts-n4');
    const { pool: p } = pool({}, { connectTimeoutMs: 2_000 });
    const started = performance.now();
    await assert.rejects(
      p.exec({ ...idle, user: 'root', identity: bed.identity }, 'true'),
      isSsh('FLEET_SSH_UNREACHABLE', 'flts-n4', /ECONNREFUSED/),
    );
    assert.ok(performance.now() - started < 2_000);
  });

  it('names a host at an unused address within the connect timeout', async () => {
    const ghost: Host = { ...hostNamed('flts-n1'), name: 'ghost', address: '10.231.8.200' };
    const { pool: p } = pool({}, { connectTimeoutMs: 1_500 });
    const started = performance.now();
    await assert.rejects(p.exec(ghost, 'true'), isSsh('FLEET_SSH_UNREACHABLE', 'ghost'));
    const took = performance.now() - started;
    assert.ok(took < 1_500 + 500, `took ${Math.round(took)} ms`);
  });
});
