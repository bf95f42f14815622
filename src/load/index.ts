/** Load generation: open- and closed-model HTTP load, a command runner, and the recorded sample format. */
export {
  type ArrivalProfile,
  type ArrivalSchedule,
  constantRate,
  createArrivalSchedule,
  type RateStage,
} from './arrivals.js';
export type { ErrorCause } from './causes.js';
export { classifyError, defaultOk, statusClass, type TransportFailure } from './classify.js';
// Aliased: other areas have clocks of their own and the public barrel must not export one name twice.
export {
  type Clock as LoadClock,
  createFakeClock as createFakeLoadClock,
  type FakeClock as FakeLoadClock,
  systemClock as loadSystemClock,
  type TimerHandle as LoadTimerHandle,
} from './clock.js';
export { type CommandLoadOptions, runCommandLoad, startCommandLoad } from './command-runner.js';
export type { EngineChoice, EngineName } from './engines/engine.js';
export { formatKpis, formatProgress, formatSummary } from './format.js';
export { type LoadOptions, type LoadResult, type LoadRun, runLoad, startLoad } from './http-runner.js';
export { parseDuration, parsePositiveInt, parseRate } from './parse.js';
export { type LoadProgress, type SchedulingError, SeriesRecorder } from './recorder.js';
export { type LoadResultJson, loadResultJson } from './result-json.js';
export {
  type BucketInput,
  bucketFrom,
  createLatencyHistogram,
  decodeLatency,
  emptyOutcomes,
  type LatencyHistogram,
  type LatencySummary,
  LOAD_SERIES_FORMAT,
  type LoadBucket,
  type LoadSeries,
  mergeLatency,
  OUTCOME_CLASSES,
  type OutcomeClass,
  type OutcomeCounts,
  recordLatencyUs,
  seriesFrom,
  summarizeLatency,
  totalOutcomes,
} from './samples.js';
export {
  type ArrivalHandler,
  type OpenScheduler,
  type OpenSchedulerOptions,
  startOpenScheduler,
} from './scheduler.js';
export {
  type BuiltRequest,
  createRequestFactory,
  parseVariableSpec,
  type RequestFactory,
  type RequestFactoryOptions,
  type RequestTemplate,
  type VariableSpec,
} from './template.js';
export {
  checkThresholds,
  formatThresholdResult,
  parseThreshold,
  type Threshold,
  type ThresholdOp,
  type ThresholdResult,
} from './thresholds.js';
export { createZipf, type ZipfSampler } from './zipf.js';
