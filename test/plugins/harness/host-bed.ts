/**
 * What the harnesses of plug-ins that act on hosts get from host.conformance.test.ts: a one-host fleet test bed
 * (test/helpers/fleet-bed.ts) and a run's fleet context over it. The bed's host shares this machine's pid
 * namespace and filesystem, so a harness sees the effect of a remote fault through the local /proc, at once.
 */
import { spawnSync } from 'node:child_process';
import type { FleetContext } from '../../../src/fleet/context.js';
import type { HostRef } from '../../../src/fleet/host-ref.js';

export interface HostBed {
  fleet: FleetContext;
  ref: HostRef;
  /** A second host (host faults between two hosts), and each host's network namespace. */
  peer: HostRef;
  namespaces: [string, string];
  /** The pid of each host's sshd: its sessions' mount namespace (a tmpfs mounted over SSH is seen there only). */
  sshdPids: [number, number];
  /** A 64 MiB tmpfs mounted on each host at this path, for disk fills. */
  fillDir: string;
}

let serial = 0;

/** A command-line marker no other process has: `fltpc-<pid>-<n>-<what>`. */
export function marker(what: string): string {
  return `fltpc-${process.pid}-${++serial}-${what}`;
}

/** Pids (on this machine: the bed shares its pid namespace) whose command line matches `pattern`. */
export function pidsMatching(pattern: string): number[] {
  const r = spawnSync('pgrep', ['-f', '--', pattern], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

/** Kills every process whose command line matches `pattern` (the marker is unique to one case). */
export function killMatching(pattern: string): void {
  for (const pid of pidsMatching(pattern)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Starts `bash -c 'exec -a MARKER sleep 1000'` detached on the bed's host; resolves once it runs. */
export async function startMarked(bed: HostBed, mark: string): Promise<string> {
  const start = `bash -c 'exec -a ${mark} sleep 1000'`;
  await bed.fleet.exec(bed.ref.name, `nohup setsid ${start} >/dev/null 2>&1 </dev/null &`);
  const deadline = Date.now() + 5000;
  // another machine's process (as far as the code under test knows): polled until it shows
  while (pidsMatching(mark).length === 0) {
    if (Date.now() > deadline) throw new Error(`${mark} did not start on ${bed.ref.name}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return start;
}
