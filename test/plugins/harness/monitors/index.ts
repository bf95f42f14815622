/** A harness per monitor type, by registered name: a monitor registered without one fails the conformance suite. */
import { commandHarness } from './command.js';
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
