/**
 * The fleet test bed (examples/fleet/testbed.sh) for tests: brought up in `before`, down in `after`, with its
 * own prefix, /24 and state dir so it never meets a bed someone built by hand. `after` asserts that nothing is
 * left: no namespace, bridge, sshd, etcd member or state dir. With `etcd: true` every host runs an etcd member
 * of one cluster, and `etcd` gives its endpoints, `etcdctl` and the leader as the members see it.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFleetContext, type FleetContext } from '../../src/fleet/context.js';
import type { Host } from '../../src/fleet/host.js';
import { parseInventory } from '../../src/fleet/inventory.js';
import { SshPool } from '../../src/fleet/pool.js';
import { Ssh2Connector } from '../../src/fleet/ssh2-connector.js';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/fleet/testbed.sh');

export interface BedOptions {
  hosts?: number;
  idle?: number;
  /** Distinct per test file, at most 8 characters. */
  prefix: string;
  /** Three octets; distinct per test file. */
  net: string;
  /** Run an etcd member on every host (FLEET_ETCD=1). */
  etcd?: boolean;
  /**
   * Variables every SSH session on the hosts gets (FLEET_SETENV, through sshd's SetEnv; values without spaces
   * or quotes): a `PATH` with a directory first puts a stand-in command before the machine's.
   */
  env?: Record<string, string>;
}

export interface EtcdStatus {
  endpoint: string;
  /** Member ids as decimal text: they are 64-bit, beyond a JS number's exact range. */
  memberId: string;
  leader: string;
  raftTerm: number;
}

export interface BedEtcd {
  /** Host i's client URL, `http://<address>:2379`. */
  endpoint(i: number): string;
  endpoints(): string[];
  /** The pid of host i's etcd member. */
  pid(i: number): number;
  /** Runs etcdctl (API v3) against the endpoints; rejects on a non-zero exit or the timeout. */
  ctl(endpoints: readonly string[], args: readonly string[], timeoutMs?: number): Promise<string>;
  /** `endpoint status` of each endpoint that answers within the timeout. */
  status(endpoints?: readonly string[], timeoutMs?: number): Promise<EtcdStatus[]>;
  /** The leader's endpoint as the given members see it, when they agree on one that answers. */
  leader(endpoints?: readonly string[]): Promise<{ endpoint: string; memberId: string } | undefined>;
}

export interface Bed {
  env: NodeJS.ProcessEnv;
  state: string;
  inventory: string;
  knownHosts: string;
  identity: string;
  namespaces: string[];
  addressOf(i: number): string;
  /** The pid of host i's sshd listener (its sessions are its children). */
  sshdPid(i: number): number;
  /** With `etcd: true`. */
  etcd: BedEtcd;
  up(): void;
  down(): void;
}

/** Why this machine cannot build the bed, or undefined when it can: creating a namespace is the test. */
export function bedUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the fleet test bed needs Linux network namespaces';
  if (!existsSync('/usr/sbin/sshd')) return 'the fleet test bed needs sshd (apt-get install openssh-server)';
  const probe = `flt-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0)
    return `ip netns is not permitted here: ${(add.stderr || add.error?.message || '').trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

export function fleetBed(options: BedOptions): Bed {
  const hosts = options.hosts ?? 3;
  const state = join(tmpdir(), `faultline-fleet-${options.prefix}-${process.pid}`);
  const env = {
    ...process.env,
    FLEET_HOSTS: String(hosts),
    FLEET_IDLE: String(options.idle ?? 0),
    FLEET_PREFIX: options.prefix,
    FLEET_NET: options.net,
    FLEET_STATE: state,
    FLEET_ETCD: options.etcd ? '1' : '0',
    FLEET_SETENV: Object.entries(options.env ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  };
  const namespaces = Array.from(
    { length: hosts + (options.idle ?? 0) },
    (_, i) => `${options.prefix}-n${i + 1}`,
  );
  const run = (cmd: string) => execFileSync(SCRIPT, [cmd], { env, encoding: 'utf8', stdio: 'pipe' });
  const pidOf = (i: number) =>
    Number(readFileSync(join(state, namespaces[i - 1] as string, 'sshd.pid'), 'utf8'));
  let pids: number[] = [];
  const etcdPid = (i: number) =>
    Number(readFileSync(join(state, namespaces[i - 1] as string, 'etcd.pid'), 'utf8'));
  const etcd = bedEtcd(
    Array.from({ length: hosts }, (_, i) => `http://${options.net}.${11 + i}:2379`),
    etcdPid,
  );
  return {
    env,
    state,
    inventory: join(state, 'inventory.ini'),
    knownHosts: join(state, 'known_hosts'),
    identity: join(state, 'id_ed25519'),
    namespaces,
    addressOf: (i) => `${options.net}.${10 + i}`,
    sshdPid: pidOf,
    etcd,
    up() {
      run('up');
      pids = Array.from({ length: hosts }, (_, i) => pidOf(i + 1));
      if (options.etcd) pids.push(...Array.from({ length: hosts }, (_, i) => etcdPid(i + 1)));
    },
    down() {
      run('down');
      const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.split(' ')[0])
        .filter((n) => n?.startsWith(`${options.prefix}-`));
      assert.deepEqual(left, [], 'no namespace left');
      assert.equal(
        spawnSync('ip', ['link', 'show', `${options.prefix}-br`]).status !== 0,
        true,
        'no bridge left',
      );
      for (const pid of pids) assert.equal(alive(pid), false, `daemon ${pid} stopped`);
      assert.equal(existsSync(state), false, 'no state dir left');
    },
  };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function bedEtcd(all: string[], pid: (i: number) => number): BedEtcd {
  const ctl = (endpoints: readonly string[], args: readonly string[], timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        'etcdctl',
        ['--endpoints', endpoints.join(','), '--dial-timeout', '2s', ...args],
        { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8', timeout: timeoutMs },
        (err, stdout, stderr) =>
          err ? reject(new Error(`etcdctl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
      );
    });
  const status = async (endpoints: readonly string[] = all, timeoutMs = 3_000) => {
    const each = await Promise.all(
      endpoints.map((e) =>
        ctl(
          [e],
          ['--command-timeout', `${timeoutMs}ms`, 'endpoint', 'status', '-w', 'json'],
          timeoutMs + 2_000,
        ).then(
          (out) => parseStatus(out),
          () => [],
        ),
      ),
    );
    return each.flat();
  };
  return {
    endpoint: (i) => all[i - 1] as string,
    endpoints: () => [...all],
    pid,
    ctl,
    status,
    async leader(endpoints = all) {
      const seen = await status(endpoints);
      const leaders = new Set(seen.map((s) => s.leader));
      if (seen.length === 0 || leaders.size !== 1) return undefined;
      const [memberId] = leaders as Set<string>;
      const own = seen.find((s) => s.memberId === memberId);
      return own && { endpoint: own.endpoint, memberId: memberId as string };
    },
  };
}

/** `endpoint status -w json`, the 64-bit ids kept as text. */
export function parseStatus(json: string): EtcdStatus[] {
  const exact = json.replace(/"(member_id|leader)":(\d+)/g, '"$1":"$2"');
  const parsed = JSON.parse(exact) as Array<{
    Endpoint: string;
    Status: { header: { member_id: string }; leader: string; raftTerm: number };
  }>;
  return parsed.map((e) => ({
    endpoint: e.Endpoint,
    memberId: e.Status.header.member_id,
    leader: e.Status.leader,
    raftTerm: e.Status.raftTerm,
  }));
}

/** An experiment file's first lines on the bed: its title, the bed's inventory and known hosts, its duration. */
export function bedExperimentHead(bed: Bed, title: string, duration: string): string {
  return `title: ${title}\ninventory: ${bed.inventory}\nknown_hosts: ${bed.knownHosts}\nduration: ${duration}\n`;
}

/** The CLI options that name `hosts` (a group or host names) of the bed: its inventory and known hosts. */
export function bedHostArgs(bed: Bed, hosts: string): string[] {
  return ['--hosts', hosts, '--inventory', bed.inventory, '--known-hosts', bed.knownHosts];
}

/** `faultline recover --sweep` of `hosts` on the bed. */
export function bedSweepArgv(bed: Bed, hosts: string): string[] {
  return ['recover', '--sweep', ...bedHostArgs(bed, hosts)];
}

/** A fleet context over every host of the bed's inventory, host keys checked strictly (seed 1). */
export function bedFleetContext(bed: Bed, runId: string): FleetContext {
  return createFleetContext({
    hosts: parseInventory(readFileSync(bed.inventory, 'utf8')),
    settings: { knownHosts: bed.knownHosts, hostKey: 'strict' },
    runId,
    seed: 1,
  });
}

/** The bed's hosts (from its inventory) and a pool of SSH connections to them; `close()` closes the pool. */
export function bedFleet(bed: Bed): { hosts: Host[]; pool: SshPool; close(): Promise<void> } {
  const hosts = parseInventory(readFileSync(bed.inventory, 'utf8')).filter((h) => h.groups.includes('fleet'));
  const pool = new SshPool(new Ssh2Connector({ knownHosts: bed.knownHosts }), { commandTimeoutMs: 30_000 });
  return { hosts, pool, close: () => pool.close() };
}

/**
 * Whether `from` opens a TCP connection to `to`'s port, tried from inside `from`'s namespace (bash's /dev/tcp)
 * and given `timeoutS` — a dropped SYN is retried until then.
 */
export async function connects(
  pool: SshPool,
  from: Host,
  to: Host,
  port = 22,
  timeoutS = 3,
): Promise<boolean> {
  const probe = `timeout ${timeoutS} bash -c 'exec 3<>/dev/tcp/${to.address}/${port}' 2>/dev/null && echo yes || echo no`;
  const { stdout } = await pool.exec(from, probe, { timeoutMs: (timeoutS + 15) * 1000 });
  return stdout.trim() === 'yes';
}
