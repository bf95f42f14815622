/**
 * Every built-in monitor (and readiness/steady-state probe) type, one file each, registered here once by name. The
 * experiment schema, the validator, the JSON Schema and the engine all read this registry; adding a monitor is
 * adding a file and a line here.
 */
import type { MonitorPlugin } from '../../monitors/types.js';
import { Registry } from '../registry.js';
import { commandMonitor } from './command.js';
import { hostCommandMonitor } from './host-command.js';
import { httpMonitor } from './http.js';
import { prometheusMonitor } from './prometheus.js';
import { implementationOf, MonitorImplementations } from './support/implementations.js';
import { tcpMonitor } from './tcp.js';

/** The built-in monitor types by name. */
export const monitors = new Registry<MonitorPlugin>('monitor', [
  httpMonitor,
  tcpMonitor,
  commandMonitor,
  prometheusMonitor,
  hostCommandMonitor,
] as MonitorPlugin[]);

/** The engine's view of {@link monitors} (the same registry, not a copy). */
export const monitorImplementations = new MonitorImplementations(monitors);

// The names each runtime was exported under when definitions and runtimes lived apart; part of the public API.
export const httpMonitorImpl = implementationOf(httpMonitor);
export const tcpMonitorImpl = implementationOf(tcpMonitor);
export const commandMonitorImpl = implementationOf(commandMonitor);
export const prometheusMonitorImpl = implementationOf(prometheusMonitor);
