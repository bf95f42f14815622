/** A harness per monitor type, by registered name: a monitor registered without one fails the conformance suite. */
import type { HostBed } from '../host-bed.js';
import { commandHarness } from './command.js';
import { hostCommandHarness } from './host-command.js';
import { httpHarness } from './http.js';
import type { MonitorHarness } from './monitor.js';
import { prometheusHarness } from './prometheus.js';
import { tcpHarness } from './tcp.js';

export const monitorHarnesses: Readonly<Record<string, () => Promise<MonitorHarness>>> = {
  http: httpHarness,
  tcp: tcpHarness,
  command: commandHarness,
  prometheus: prometheusHarness,
};

/** Harnesses of the monitors sampled on hosts: run on the fleet test bed by host.conformance.test.ts. */
export const hostMonitorHarnesses: Readonly<
  Record<string, (bed: () => HostBed) => () => Promise<MonitorHarness>>
> = {
  'host.command': hostCommandHarness,
};
