/**
 * Harnesses for the disruptors that act on hosts, on the one-host bed of host.conformance.test.ts: a marked
 * `sleep` started over SSH as the service (its processes seen through this machine's /proc, which the bed
 * shares), or a marker file for `host.command`.
 */
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processState } from '../../../../src/disruptors/proc.js';
import { pausedDirOf } from '../../../../src/fleet/remote-process.js';
import { type HostBed, killMatching, marker, pidsMatching, startMarked } from '../host-bed.js';
import type { ConformanceCase, DisruptorHarness } from './types.js';

const stopped = (pid: number) => ['T', 't'].includes(processState(pid) ?? '');
const running = (pid: number) => {
  const s = processState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
};

async function serviceCase(
  bed: () => HostBed,
  fault: {
    options: Record<string, unknown>;
    faulted: (mark: string, first: number[]) => boolean;
    restored: (mark: string, first: number[]) => boolean;
  },
): Promise<ConformanceCase> {
  const b = bed();
  const mark = marker('svc');
  const start = await startMarked(b, mark);
  const first = pidsMatching(mark);
  return {
    instance: {
      id: `svc@${b.ref.name}`,
      host: b.ref,
      service: { selector: { match: mark }, start },
    },
    options: fault.options,
    ctx: { fleet: b.fleet },
    faulted: () => fault.faulted(mark, first),
    restored: () => fault.restored(mark, first),
    vanish: async () => killMatching(mark),
    close: async () => {
      const pids = pidsMatching(mark);
      killMatching(mark);
      forgetMarkers(b.ref.name, [...first, ...pids]);
    },
  };
}

/** Removes the pause markers of `pids` on `host`, and its directory once empty (a case that never reverts leaves them). */
function forgetMarkers(host: string, pids: number[]): void {
  const dir = pausedDirOf(host);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (pids.some((p) => n.startsWith(`${p}.`))) rmSync(`${dir}/${n}`, { force: true });
  try {
    rmdirSync(dir);
  } catch {
    // markers of other cases still there
  }
}

export const hostProcessKillHarness = (bed: () => HostBed): DisruptorHarness => ({
  start: () =>
    serviceCase(bed, {
      options: { signal: 'SIGKILL' },
      faulted: (_mark, first) => first.every((p) => !running(p)),
      // the revert starts the service again with its start command
      restored: (mark) => pidsMatching(mark).some(running),
    }),
  badOption: { options: { signal: 'SIGNOPE' }, field: 'with.signal' },
});

export const hostProcessPauseHarness = (bed: () => HostBed): DisruptorHarness => ({
  start: () =>
    serviceCase(bed, {
      options: {},
      faulted: (_mark, first) => first.every(stopped),
      restored: (mark) => !pidsMatching(mark).some(stopped),
    }),
  badOption: { options: { wait: 'soon' }, field: 'with.wait' },
});

export const hostProcessRestartHarness = (bed: () => HostBed): DisruptorHarness => ({
  start: () =>
    serviceCase(bed, {
      options: { grace: '2s' },
      faulted: (mark, first) => first.every((p) => !running(p)) && pidsMatching(mark).some(running),
      restored: () => true, // a restart is complete once applied: nothing for a revert to undo
    }),
  badOption: { options: { grace: 'a while' }, field: 'with.grace' },
});

export const hostCommandHarness = (bed: () => HostBed): DisruptorHarness => ({
  async start(): Promise<ConformanceCase> {
    const b = bed();
    const file = join(tmpdir(), marker('flag'));
    return {
      instance: { id: b.ref.name, host: b.ref },
      options: { inject: `touch ${file}`, revert: `rm -f ${file}` },
      ctx: { fleet: b.fleet },
      faulted: () => existsSync(file),
      restored: () => !existsSync(file),
      vanish: async () => rmSync(file, { force: true }),
      close: async () => rmSync(file, { force: true }),
    };
  },
  badOption: { options: { inject: '' }, field: 'with.inject' },
});
