/** Monitor runtimes: the sampling loop, one implementation per monitor type, and condition evaluation. */
export { commandMonitorImpl } from './command.js';
export {
  type ConditionInputs,
  type ConditionSample,
  type ConditionState,
  evaluateCondition,
  firstHolding,
} from './condition.js';
export { httpMonitorImpl } from './http.js';
export {
  type PromExposition,
  PromParseError,
  type PromSample,
  parsePromText,
  parsePromValue,
  selectPromSamples,
} from './prom-text.js';
export { prometheusMonitorImpl, scrapeMetric } from './prometheus.js';
export { type PromQueryValue, promQuery, promQueryValue } from './promql.js';
export { MonitorImplementations, type MonitorSpec, monitorImplementations } from './registry.js';
export {
  type MonitorEntry,
  type RunningMonitors,
  type StartMonitorsOptions,
  sampleOnce,
  startMonitors,
  type TimedSample,
} from './sampler.js';
export { tcpMonitorImpl } from './tcp.js';
export {
  implementMonitor,
  type Monitor,
  type MonitorImplementation,
  type MonitorSample as MonitorRunSample,
  type SampleContext,
  type SampleResult,
} from './types.js';
