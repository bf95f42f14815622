/**
 * Host faults on a fleet (root, Linux: `sudo npm run bench fleet`; skipped with the reason otherwise). On a
 * namespace test bed of 10 hosts (examples/fleet/testbed.sh, prefix flbench, 10.233.148.0/24):
 *
 * 1. fan-out: the time from applying a host fault to its being verified on every host — two iptables rules
 *    added and listed back per host — for 1, 3 and 10 hosts over already-open connections, and the time to
 *    revert it; once as the pool runs commands (in long-lived shells on the connection) and once with a new
 *    SSH session per command, as it did before;
 * 2. commands per second to one host: in the pooled shell (sequential, and 8 at once), a new session on the
 *    pooled connection per command, and a fresh OpenSSH `ssh` process per command.
 *
 * Medians and the 90th percentile over rounds; the machine is shared, so the notes give its load average.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { applyHostFault, network, revertHostFault } from '../../src/fleet/faults/index.js';
import type { Host } from '../../src/fleet/host.js';
import { parseInventory } from '../../src/fleet/inventory.js';
import { type SshConnector, SshPool } from '../../src/fleet/pool.js';
import { Ssh2Connector } from '../../src/fleet/ssh2-connector.js';
import { bedUnavailable } from '../../test/helpers/fleet-bed.js';
import { type BenchSection, markdownTable } from '../types.js';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/fleet/testbed.sh');
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const COMMANDS = Number(process.env.COMMANDS ?? 200);
const TITLE = 'Fleet: host fault fan-out over SSH';

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const quantile = (xs: number[], q: number) =>
  sorted(xs)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
const ms = (x: number) => x.toFixed(1);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function time<T>(f: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

/** The connector without long-lived shells: every command opens an SSH session of its own. */
function sessionPerCommand(inner: SshConnector): SshConnector {
  return {
    async connect(host, timeoutMs) {
      const c = await inner.connect(host, timeoutMs);
      return { exec: (command, abort) => c.exec(command, abort), closed: c.closed, close: () => c.close() };
    },
  };
}

async function fanout(pool: SshPool, hosts: Host[], n: number, runId: string) {
  const targets = hosts.slice(0, n);
  const [apply, revert]: [number[], number[]] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    const input = { fleet: hosts, targets, runId, faultId: `f${n}-${round}` };
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
  return { apply, revert };
}

async function rate(count: number, f: () => Promise<unknown>): Promise<number> {
  return count / ((await time(f)) / 1000);
}

export default async function fleet(): Promise<BenchSection> {
  const why =
    process.platform === 'linux' && process.getuid?.() !== 0
      ? 'needs root (network namespaces)'
      : bedUnavailable();
  if (why)
    return {
      title: TITLE,
      table: '',
      skipped: `${why}; run \`sudo npm run bench fleet\` on Linux with openssh-server and iproute2`,
    };
  const state = join(tmpdir(), `faultline-fleet-flbench-${process.pid}`);
  const env = {
    ...process.env,
    FLEET_HOSTS: '10',
    FLEET_PREFIX: 'flbench',
    FLEET_NET: '10.233.148',
    FLEET_STATE: state,
  };
  const bed = (cmd: 'up' | 'down') => execFileSync(SCRIPT, [cmd], { env, stdio: 'pipe' });
  bed('up');
  const hosts = parseInventory(readFileSync(join(state, 'inventory.ini'), 'utf8'));
  const connector = new Ssh2Connector({ knownHosts: join(state, 'known_hosts') });
  const pooled = new SshPool(connector);
  const sessions = new SshPool(sessionPerCommand(connector));
  const loadBefore = load();
  try {
    // connections (and the pooled shells) open before timing
    for (const p of [pooled, sessions]) await Promise.all(hosts.map((h) => p.exec(h, 'true')));
    const rows: (string | number)[][] = [];
    for (const n of [1, 3, 10]) {
      const shell = await fanout(pooled, hosts, n, 'bench');
      const session = await fanout(sessions, hosts, n, 'benchs');
      rows.push([
        n,
        `${ms(quantile(shell.apply, 0.5))} / ${ms(quantile(shell.apply, 0.9))}`,
        `${ms(quantile(shell.revert, 0.5))} / ${ms(quantile(shell.revert, 0.9))}`,
        `${ms(quantile(session.apply, 0.5))} / ${ms(quantile(session.apply, 0.9))}`,
        `${ms(quantile(session.revert, 0.5))} / ${ms(quantile(session.revert, 0.9))}`,
      ]);
    }
    const fan = markdownTable(
      [
        'hosts',
        'apply+verify p50 / p90 ms',
        'revert p50 / p90 ms',
        'session per command: apply+verify',
        'revert',
      ],
      rows,
    );

    const host = hosts[0] as Host;
    const ssh = promisify(execFile);
    const fresh = () =>
      ssh('ssh', [
        ...['-i', host.identity as string, '-o', `UserKnownHostsFile=${join(state, 'known_hosts')}`],
        ...['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-F', '/dev/null'],
        ...[`root@${host.address}`, 'true'],
      ]);
    // alternated a few times so a noisy neighbour hits every variant
    const r: Record<string, number[]> = { shell: [], parallel: [], session: [], fresh: [] };
    for (let round = 0; round < 3; round++) {
      r.shell?.push(
        await rate(COMMANDS, async () => {
          for (let i = 0; i < COMMANDS; i++) await pooled.exec(host, 'true');
        }),
      );
      r.parallel?.push(
        await rate(COMMANDS, () =>
          Promise.all(Array.from({ length: COMMANDS }, () => pooled.exec(host, 'true'))),
        ),
      );
      const few = Math.ceil(COMMANDS / 4);
      r.session?.push(
        await rate(few, async () => {
          for (let i = 0; i < few; i++) await sessions.exec(host, 'true');
        }),
      );
      r.fresh?.push(
        await rate(few, async () => {
          for (let i = 0; i < few; i++) await fresh();
        }),
      );
    }
    const med = (k: string) => quantile(r[k] as number[], 0.5);
    const row = (how: string, k: string) => [
      how,
      med(k).toFixed(0),
      `${(med(k) / med('fresh')).toFixed(1)}x`,
    ];
    const cps = markdownTable(
      ['how', 'commands/s (median of 3)', 'vs fresh ssh'],
      [
        row('pooled connection, long-lived shell, sequential', 'shell'),
        row('pooled connection, long-lived shells, 8 at once', 'parallel'),
        row('pooled connection, a new session per command', 'session'),
        row('fresh `ssh` process per command', 'fresh'),
      ],
    );
    const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
    return {
      title: TITLE,
      table: `${fan}\n\n${cps}`,
      notes: [
        `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${hosts.length}-host namespace bed, ${ROUNDS} rounds); load average ${loadBefore} before, ${load()} after.`,
        'The fault is `host.network` loss on two iptables rules per host; apply+verify is two round trips per host (one `iptables-restore`, one `iptables -S`) and revert one.',
        'Where the time goes: opening an SSH session costs the server a fork, a login shell and session setup (tens of ms, the "new session per command" columns), so commands run in a long-lived `sh` per connection instead, and what is left is the iptables processes themselves (an `iptables-restore` or `iptables -S` costs more than the round trip carrying it) and, for 10 hosts, their sharing the cores.',
      ].join(' '),
    };
  } finally {
    await Promise.all([pooled.close(), sessions.close()]);
    bed('down');
  }
}
