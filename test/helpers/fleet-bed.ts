/**
 * The fleet test bed (examples/fleet/testbed.sh) for tests: brought up in `before`, down in `after`, with its
 * own prefix, /24 and state dir so it never meets a bed someone built by hand. `after` asserts that nothing is
 * left: no namespace, bridge, sshd or state dir.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/fleet/testbed.sh');

export interface BedOptions {
  hosts?: number;
  idle?: number;
  /** Distinct per test file, at most 8 characters. */
  prefix: string;
  /** Three octets; distinct per test file. */
  net: string;
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
  };
  const namespaces = Array.from(
    { length: hosts + (options.idle ?? 0) },
    (_, i) => `${options.prefix}-n${i + 1}`,
  );
  const run = (cmd: string) => execFileSync(SCRIPT, [cmd], { env, encoding: 'utf8', stdio: 'pipe' });
  const pidOf = (i: number) =>
    Number(readFileSync(join(state, namespaces[i - 1] as string, 'sshd.pid'), 'utf8'));
  let pids: number[] = [];
  return {
    env,
    state,
    inventory: join(state, 'inventory.ini'),
    knownHosts: join(state, 'known_hosts'),
    identity: join(state, 'id_ed25519'),
    namespaces,
    addressOf: (i) => `${options.net}.${10 + i}`,
    sshdPid: pidOf,
    up() {
      run('up');
      pids = Array.from({ length: hosts }, (_, i) => pidOf(i + 1));
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
      for (const pid of pids) assert.equal(alive(pid), false, `sshd ${pid} stopped`);
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
