/** Experiments: the file format, its validator, the registries of plug-in types and the dry-run planner. */

export { disruptors } from '../plugins/disruptors/index.js';
export { monitors } from '../plugins/monitors/index.js';
export {
  type DefinitionIssue,
  type DisruptorDefinition,
  defineDisruptor,
  defineMonitor,
  defineRunner,
  type MonitorDefinition,
  type PluginDefinition,
  Registry,
  type RunnerContext,
  type RunnerDefinition,
} from '../plugins/registry.js';
export { runners } from '../plugins/runners/index.js';
export { checkExperiment, faultName, instanceCount, runnerName, type SpecIssue } from './check.js';
export { type Duration, durationSchema, ms } from './duration.js';
export {
  type ExperimentResult,
  type RunEvent,
  type RunExperimentOptions,
  type RunExperimentResult,
  type RunPhase,
  type RunProgress,
  runExperiment,
} from './engine.js';
export { describeFault, type ExecutorGroup, FaultExecutor, type FaultRun } from './executor.js';
export { formatPlan } from './format.js';
export {
  assertNotHalted,
  clearHalt,
  type HaltInfo,
  haltStatus,
  type RunFile,
  type RunningExperiment,
  runFiles,
  runningExperiments,
  setHalt,
} from './halt.js';
export {
  type AssertionResult,
  type AssertionSpec,
  combineSeries,
  evaluateHypothesis,
  type HypothesisInputs,
} from './hypothesis.js';
export { renderJunit } from './junit.js';
export {
  describeCondition,
  type ExperimentPlan,
  maxUnavailableOf,
  type PlanStep,
  peakUnavailable,
  planExperiment,
  wantedInstances,
} from './plan.js';
export { formatRunEvent, formatRunProgress } from './progress.js';
export { experimentResultSchema, resultJsonSchema } from './result-schema.js';
export {
  type ConditionSpec,
  ERROR_RATE_KPIS,
  type ExperimentSpec,
  experimentJsonSchema,
  experimentSchema,
  type FaultSpec,
  HYPOTHESIS_KPIS,
  type TargetSpec,
} from './schema.js';
export { checkSteadyState, type SteadyStateResult } from './steady.js';
export {
  type ExperimentError,
  formatExperimentError,
  formatPath,
  type ValidateOptions,
  type ValidationResult,
  validateExperiment,
  validateExperimentFile,
} from './validate.js';
export { decideVerdict, EXIT_CODES, type Verdict } from './verdict.js';
