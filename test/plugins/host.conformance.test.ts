/**
 * The disruptor and monitor conformance checks (disruptor-conformance.ts, monitor-conformance.ts) for the
 * plug-ins that act on hosts, on a real one-host fleet test bed: sshd in a network namespace, reached over SSH
 * with the run's fleet context. A revert read back from the journal reconnects from its record alone.
 */
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe } from 'node:test';
import { createFleetContext, type FleetContext } from '../../src/fleet/context.js';
import { parseInventory } from '../../src/fleet/inventory.js';
import { startLogOf } from '../../src/fleet/remote-process.js';
import { bedTestFile } from '../helpers/exclusive.js';
import { bedUnavailable, fleetBed } from '../helpers/fleet-bed.js';
import { disruptorConformance } from './disruptor-conformance.js';
import { hostHarnesses } from './harness/disruptors/index.js';
import type { HostBed } from './harness/host-bed.js';
import { hostMonitorHarnesses } from './harness/monitors/index.js';
import { monitorConformance } from './monitor-conformance.js';

bedTestFile();

const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping the host plug-in conformance checks: ${unavailable}`);

describe('plug-ins that act on hosts, on the fleet test bed', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'fltpc', net: '10.232.61', hosts: 2 });
  const fillDir = `/tmp/faultline-conformance-fill-${process.pid}`;
  let fleet: FleetContext | undefined;
  let hostBed: HostBed | undefined;
  const get = (): HostBed => {
    if (hostBed === undefined) throw new Error('the bed is not up');
    return hostBed;
  };

  before(async () => {
    bed.up();
    const hosts = parseInventory(readFileSync(bed.inventory, 'utf8'));
    fleet = createFleetContext({
      hosts,
      settings: { knownHosts: bed.knownHosts, hostKey: 'strict' },
      runId: 'conformance',
      seed: 1,
    });
    // each sshd has a mount namespace of its own: the tmpfs is mounted there, seen by its sessions only
    for (const h of hosts)
      await fleet.exec(h, `mkdir -p ${fillDir} && mount -t tmpfs -o size=64m fill ${fillDir}`);
    hostBed = {
      fleet,
      ref: fleet.ref(hosts[0]?.name as string),
      peer: fleet.ref(hosts[1]?.name as string),
      namespaces: [bed.namespaces[0] as string, bed.namespaces[1] as string],
      sshdPids: [bed.sshdPid(1), bed.sshdPid(2)],
      fillDir,
    };
  });
  after(async () => {
    if (fleet) for (const h of fleet.hosts.keys()) await fleet.exec(h, `umount ${fillDir}`, { check: false });
    await fleet?.close();
    bed.down();
    rmSync(fillDir, { recursive: true, force: true });
    rmSync(startLogOf(`svc@${bed.namespaces[0]}`), { force: true }); // the bed shares this filesystem
  });

  for (const [name, harness] of Object.entries(hostHarnesses)) disruptorConformance(name, harness(get));
  for (const [name, harness] of Object.entries(hostMonitorHarnesses))
    monitorConformance(name, harness(get), () => ({ fleet: get().fleet }));
});
