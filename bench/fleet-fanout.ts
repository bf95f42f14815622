/**
 * `node --import tsx bench/fleet-fanout.ts` (root, Linux; not part of `npm run bench`): on a namespace test bed
 * of 10 hosts (examples/fleet/testbed.sh, prefix flbench, 10.233.148.0/24),
 *
 * 1. fan-out: the time from applying a host fault to its being verified on every host — two iptables rules
 *    added and listed back per host — for 1, 3 and 10 hosts over already-open pooled connections, and the time
 *    to revert it;
 * 2. commands per second over one pooled SSH connection (sequential, and 8 channels at once) against a fresh
 *    OpenSSH `ssh` process per command, side by side.
 *
 * Medians and the 90th percentile over rounds; the machine is shared, so read ratios rather than absolutes.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { applyHostFault, network, revertHostFault } from '../src/fleet/faults/index.js';
import type { Host } from '../src/fleet/host.js';
import { parseInventory } from '../src/fleet/inventory.js';
import { SshPool } from '../src/fleet/pool.js';
import { Ssh2Connector } from '../src/fleet/ssh2-connector.js';
import { markdownTable } from './types.js';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../examples/fleet/testbed.sh');
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const COMMANDS = Number(process.env.COMMANDS ?? 200);
const state = join(tmpdir(), `faultline-fleet-flbench-${process.pid}`);
const env = {
  ...process.env,
  FLEET_HOSTS: '10',
  FLEET_PREFIX: 'flbench',
  FLEET_NET: '10.233.148',
  FLEET_STATE: state,
};
const bed = (cmd: 'up' | 'down') => execFileSync(SCRIPT, [cmd], { env, stdio: 'pipe' });
const run = promisify(execFile);

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const quantile = (xs: number[], q: number) =>
  sorted(xs)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
const ms = (x: number) => x.toFixed(1);

async function time<T>(f: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

async function fanout(pool: SshPool, hosts: Host[]): Promise<string> {
  const rows: (string | number)[][] = [];
  for (const n of [1, 3, 10]) {
    const targets = hosts.slice(0, n);
    const [apply, revert]: [number[], number[]] = [[], []];
    for (let round = 0; round < ROUNDS; round++) {
      const input = { fleet: hosts, targets, runId: 'bench', faultId: `f${n}-${round}` };
      let records: Parameters<typeof revertHostFault>[2] = [];
      // TEST-NET-1: rules that match no real traffic
      apply.push(
        await time(async () => {
          const applied = await applyHostFault(pool, network, input, { peers: ['192.0.2.1'], loss: 1 });
          records = applied.steps.map((s) => s.record);
        }),
      );
      revert.push(await time(() => revertHostFault(pool, hosts, records)));
    }
    rows.push([
      n,
      ms(quantile(apply, 0.5)),
      ms(quantile(apply, 0.9)),
      ms(quantile(revert, 0.5)),
      ms(quantile(revert, 0.9)),
    ]);
  }
  return markdownTable(['hosts', 'apply+verify p50 ms', 'p90 ms', 'revert p50 ms', 'p90 ms'], rows);
}

async function commandsPerSecond(pool: SshPool, host: Host): Promise<string> {
  const ssh = () =>
    run('ssh', [
      ...['-i', host.identity as string, '-o', `UserKnownHostsFile=${join(state, 'known_hosts')}`],
      ...[
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'BatchMode=yes',
        '-F',
        '/dev/null',
        `root@${host.address}`,
        'true',
      ],
    ]);
  const rate = (count: number, took: number) => count / (took / 1000);
  // alternate the two a few times so a noisy neighbour hits both
  const [pooled, parallel, fresh]: [number[], number[], number[]] = [[], [], []];
  for (let round = 0; round < 3; round++) {
    pooled.push(
      rate(
        COMMANDS,
        await time(async () => {
          for (let i = 0; i < COMMANDS; i++) await pool.exec(host, 'true');
        }),
      ),
    );
    parallel.push(
      rate(
        COMMANDS,
        await time(() => Promise.all(Array.from({ length: COMMANDS }, () => pool.exec(host, 'true')))),
      ),
    );
    const n = Math.ceil(COMMANDS / 4);
    fresh.push(
      rate(
        n,
        await time(async () => {
          for (let i = 0; i < n; i++) await ssh();
        }),
      ),
    );
  }
  const med = (xs: number[]) => quantile(xs, 0.5);
  return markdownTable(
    ['how', 'commands/s (median of 3)', 'vs fresh ssh'],
    [
      [
        'one pooled connection, sequential',
        med(pooled).toFixed(0),
        `${(med(pooled) / med(fresh)).toFixed(1)}x`,
      ],
      [
        'one pooled connection, 8 channels',
        med(parallel).toFixed(0),
        `${(med(parallel) / med(fresh)).toFixed(1)}x`,
      ],
      ['fresh `ssh` process per command', med(fresh).toFixed(0), '1x'],
    ],
  );
}

bed('up');
const hosts = parseInventory(readFileSync(join(state, 'inventory.ini'), 'utf8'));
const pool = new SshPool(new Ssh2Connector({ knownHosts: join(state, 'known_hosts') }));
try {
  await Promise.all(hosts.map((h) => pool.exec(h, 'true'))); // connections open before timing
  process.stdout.write(`## Host fault fan-out (${ROUNDS} rounds)\n\n${await fanout(pool, hosts)}\n\n`);
  process.stdout.write(
    `## Commands per second to one host\n\n${await commandsPerSecond(pool, hosts[0] as Host)}\n`,
  );
} finally {
  await pool.close();
  bed('down');
}
