/** Monitor runtimes: the sampling loop, one implementation per monitor type, and condition evaluation. */
export { commandMonitorImpl } from '../plugins/monitors/command.js';
export { httpMonitorImpl } from '../plugins/monitors/http.js';
export { prometheusMonitorImpl, scrapeMetric } from '../plugins/monitors/prometheus.js';
export {
  MonitorImplementations,
  type MonitorSpec,
  monitorImplementations,
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
export { tcpMonitorImpl } from '../plugins/monitors/tcp.js';
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
  implementMonitor,
  type Monitor,
  type MonitorImplementation,
  type MonitorSample as MonitorRunSample,
  type SampleContext,
  type SampleResult,
} from './types.js';
