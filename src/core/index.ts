export { FaultlineError, InvalidOptionError } from './errors.js';
export { type Decision, FaultInjector, type InjectorOptions, type SiteState } from './injector.js';
export {
  hashString,
  laneOf,
  mix32,
  normalizeSeed,
  RandomStream,
  randomStream,
  type SeedInput,
} from './random.js';
export {
  type CompiledRule,
  compileRules,
  type FaultRule,
  globToRegExp,
  type HangSpec,
  type MethodMatcher,
  RULE_SCHEDULE_KEYS,
  type RuleSchedule,
  scheduleAllows,
} from './rules.js';
export {
  describeEntry,
  type FaultKind,
  type SiteSummary,
  Trace,
  type TraceEntry,
  type TraceJSON,
} from './trace.js';
