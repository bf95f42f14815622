/** Every built-in monitor (and probe) type, one file each. */
import { type MonitorDefinition, Registry } from '../../plugins/registry.js';
import { commandMonitor } from './command.js';
import { httpMonitor } from './http.js';
import { prometheusMonitor } from './prometheus.js';
import { tcpMonitor } from './tcp.js';

/** The built-in monitor types by name. */
export const monitors = new Registry<MonitorDefinition>('monitor', [
  httpMonitor,
  tcpMonitor,
  commandMonitor,
  prometheusMonitor,
]);
