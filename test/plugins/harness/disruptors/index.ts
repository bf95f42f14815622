/** The conformance harness of each disruptor, by its registered name. */

import type { HostBed } from '../host-bed.js';
import { commandHarness } from './command.js';
import { failpointHarness } from './failpoint.js';
import {
  hostCommandHarness,
  hostProcessKillHarness,
  hostProcessPauseHarness,
  hostProcessRestartHarness,
} from './host.js';
import {
  hostDiskFillHarness,
  hostFreezeHarness,
  hostNetworkHarness,
  hostPartitionHarness,
  hostStressHarness,
} from './host-faults.js';
import { httpHarness } from './http.js';
import { processKillHarness, processPauseHarness, processRestartHarness } from './process.js';
import { proxyToxicHarness } from './proxy-toxic.js';
import type { DisruptorHarness } from './types.js';

export type { ConformanceCase, DisruptorHarness } from './types.js';

export const harnesses: Readonly<Record<string, DisruptorHarness>> = {
  'process.kill': processKillHarness,
  'process.pause': processPauseHarness,
  'process.restart': processRestartHarness,
  'proxy.toxic': proxyToxicHarness,
  failpoint: failpointHarness,
  command: commandHarness,
  http: httpHarness,
};

/** Harnesses of the disruptors that act on hosts: run on the fleet test bed by host.conformance.test.ts. */
export const hostHarnesses: Readonly<Record<string, (bed: () => HostBed) => DisruptorHarness>> = {
  'host.process.kill': hostProcessKillHarness,
  'host.process.pause': hostProcessPauseHarness,
  'host.process.restart': hostProcessRestartHarness,
  'host.command': hostCommandHarness,
  'host.partition': hostPartitionHarness,
  'host.network': hostNetworkHarness,
  'host.disk-fill': hostDiskFillHarness,
  'host.stress': hostStressHarness,
  'host.freeze': hostFreezeHarness,
};
