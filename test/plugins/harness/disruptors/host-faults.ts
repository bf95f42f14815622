/**
 * Harnesses for the disruptors built on the host-fault library (host.partition, host.network, host.disk-fill,
 * host.stress, host.freeze), on the two-host bed of host.conformance.test.ts. Effects are read synchronously
 * (the suite reads them at the moment the journal is written): iptables and tc inside each host's network
 * namespace, the fill file inside the host's mount namespace, stress-ng and stopped processes in this machine's
 * /proc, which the bed shares.
 */
import { spawnSync } from 'node:child_process';
import { processState } from '../../../../src/disruptors/proc.js';
import { sweepHost } from '../../../../src/fleet/faults/index.js';
import { hostOfRef } from '../../../../src/fleet/host-ref.js';
import { type HostBed, killMatching, marker, pidsMatching, startMarked } from '../host-bed.js';
import type { ConformanceCase, DisruptorHarness } from './types.js';

const TAG = 'faultline:conformance:';

/** `iptables -S` in a namespace. */
const rules = (ns: string) =>
  spawnSync('ip', ['netns', 'exec', ns, 'iptables', '-S'], { encoding: 'utf8' }).stdout;
const tagged = (ns: string) => rules(ns).includes(TAG);
/** Whether a namespace has faultline's tc root (fa17:) on any device. */
const shaped = (ns: string) =>
  spawnSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'show'], { encoding: 'utf8' }).stdout.includes(
    'fa17: root',
  );
/** Runs a shell command in host i's sshd mount namespace. */
const inMounts = (pid: number, script: string) =>
  spawnSync('nsenter', ['-t', String(pid), '-m', 'sh', '-c', script], { encoding: 'utf8' });
const stressPids = () => pidsMatching('faultline-stress[:]conformance');
const stopped = (pid: number) => ['T', 't'].includes(processState(pid) ?? '');

/** What every case shares: sweeping both hosts clean, out of band of the disruptor under test. */
async function sweepBoth(b: HostBed): Promise<void> {
  for (const ref of [b.ref, b.peer])
    await sweepHost(b.fleet.pool, hostOfRef(ref), { paths: [b.fillDir] }).catch(() => undefined);
}

function hostCase(
  bed: () => HostBed,
  make: (b: HostBed) => Pick<ConformanceCase, 'instance' | 'options' | 'faulted' | 'restored'>,
): () => Promise<ConformanceCase> {
  return async () => {
    const b = bed();
    return {
      ...make(b),
      ctx: { fleet: b.fleet },
      vanish: () => sweepBoth(b),
      close: () => sweepBoth(b),
    };
  };
}

export const hostPartitionHarness = (bed: () => HostBed): DisruptorHarness => ({
  start: hostCase(bed, (b) => ({
    instance: {
      id: 'pair',
      members: [
        { id: `pair@${b.ref.name}`, host: b.ref },
        { id: `pair@${b.peer.name}`, host: b.peer },
      ],
    },
    options: { groups: [[b.ref.name], [b.peer.name]] },
    faulted: () => tagged(b.namespaces[0]) && tagged(b.namespaces[1]),
    restored: () => !tagged(b.namespaces[0]) && !tagged(b.namespaces[1]),
  })),
  badOption: { options: { shape: 'ring' }, field: 'with.shape' },
});

export const hostNetworkHarness = (bed: () => HostBed): DisruptorHarness => ({
  start: hostCase(bed, (b) => ({
    instance: { id: `svc@${b.ref.name}`, host: b.ref },
    options: { loss: '50%', peers: [b.peer.name] },
    faulted: () => /statistic.*faultline:conformance:/.test(rules(b.namespaces[0])),
    restored: () => !tagged(b.namespaces[0]) && !shaped(b.namespaces[0]),
  })),
  badOption: { options: { loss: '30%', ports: 'all' }, field: 'with.ports' },
});

export const hostDiskFillHarness = (bed: () => HostBed): DisruptorHarness => ({
  start: hostCase(bed, (b) => {
    const fill = `${b.fillDir}/.faultline-fill-conformance`;
    return {
      instance: { id: `svc@${b.ref.name}`, host: b.ref },
      options: { path: b.fillDir, free: '8MiB' },
      faulted: () => inMounts(b.sshdPids[0], `test -e ${fill}`).status === 0,
      restored: () => inMounts(b.sshdPids[0], `test -e ${fill}`).status !== 0,
    };
  }),
  badOption: { options: { path: 'relative/dir', free: '8MiB' }, field: 'with.path' },
});

export const hostStressHarness = (bed: () => HostBed): DisruptorHarness => ({
  start: hostCase(bed, (b) => ({
    instance: { id: `svc@${b.ref.name}`, host: b.ref },
    options: { cpu: 1, cpuLoad: 10, duration: '60s' },
    faulted: () => stressPids().length > 0,
    restored: () => stressPids().length === 0,
  })),
  badOption: { options: { cpu: -1, duration: '60s' }, field: 'with.cpu' },
});

export const hostFreezeHarness = (bed: () => HostBed): DisruptorHarness => ({
  async start(): Promise<ConformanceCase> {
    const b = bed();
    const mark = marker('frozen');
    const start = await startMarked(b, mark);
    const first = pidsMatching(mark);
    return {
      // a service target: the freeze stops its own processes (its match pattern)
      instance: { id: `svc@${b.ref.name}`, host: b.ref, service: { selector: { match: mark }, start } },
      options: {},
      ctx: { fleet: b.fleet },
      faulted: () => first.every(stopped) && tagged(b.namespaces[0]),
      restored: () => !pidsMatching(mark).some(stopped) && !tagged(b.namespaces[0]),
      vanish: async () => killMatching(mark),
      close: async () => {
        await sweepBoth(b);
        killMatching(mark);
      },
    };
  },
  badOption: { options: { pids: 'all' }, field: 'with.pids' },
});
