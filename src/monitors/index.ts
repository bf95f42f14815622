/**
 * Monitors' public API: the sampling loop, condition evaluation, and the monitor plug-ins (one file each under
 * src/plugins/monitors/) with their registry.
 */
export {
  commandMonitorImpl,
  httpMonitorImpl,
  monitorImplementations,
  prometheusMonitorImpl,
  tcpMonitorImpl,
} from '../plugins/monitors/index.js';
export { scrapeMetric } from '../plugins/monitors/prometheus.js';
export {
  implementationOf,
  MonitorImplementations,
  type MonitorSpec,
} from '../plugins/monitors/support/implementations.js';
export {
  type PromExposition,
  PromParseError,
  type PromSample,
  parsePromText,
  parsePromValue,
  selectPromSamples,
} from '../plugins/monitors/support/prom-text.js';
export { type PromQueryValue, promQuery, promQueryValue } from '../plugins/monitors/support/promql.js';
export {
  type ConditionInputs,
  type ConditionSample,
  type ConditionState,
  evaluateCondition,
  firstHolding,
} from './condition.js';
export {
  type MonitorEntry,
  type RunningMonitors,
  type StartMonitorsOptions,
  sampleOnce,
  startMonitors,
  type TimedSample,
} from './sampler.js';
export {
  defineMonitorPlugin,
  downSample,
  implementMonitor,
  type Monitor,
  type MonitorImplementation,
  type MonitorPlugin,
  type MonitorSample as MonitorRunSample,
  type SampleContext,
  type SampleResult,
} from './types.js';
