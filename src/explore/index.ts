export {
  type ExploreFailure,
  type ExploreOptions,
  type ExploreProgress,
  type ExploreResult,
  explore,
  formatFailure,
  type RunOptions,
  type RunOutcome,
  replay,
  runScenario,
  runSeed,
  type Scenario,
  type ScenarioContext,
} from './explore.js';
export { decodeReproduction, encodeReproduction } from './reproduction.js';
export { type ShrinkOptions, type ShrinkResult, shrinkSchedule } from './shrink.js';
export { type ChaosTestOptions, defineChaosTest, type TestFunction } from './test-runner.js';
