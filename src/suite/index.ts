/** Suites: the file format and its validator, the calendar and run order, and running a suite. */
export { type Calendar, type CalendarOptions, inWindow, suiteCalendar } from './calendar.js';
export { formatSuiteDryRun, planSuite, type SuiteDryRun } from './dry-run.js';
export { renderSuiteIndex } from './index-html.js';
export {
  openSuiteRecovery,
  SUITE_JOURNAL,
  type SuiteJournalEvent,
  type SuiteJournalRun,
  type SuiteRecovery,
} from './journal.js';
export {
  type ChildLauncher,
  type ChildLauncherOptions,
  childLauncher,
  type EntryCommand,
} from './launch.js';
export { type PlanEntry, type PlannedRun, planSuiteRuns } from './plan.js';
export { formatSuiteChange, formatSuiteTable } from './progress.js';
export { type RunSuiteOptions, type RunSuiteResult, runSuite } from './run.js';
export {
  type EntryOutcome,
  type ExecutedSuite,
  type ExecuteSuiteOptions,
  executeSuite,
  type LaunchEntry,
  type LaunchedEntry,
  type SuiteRunRecord,
} from './runner.js';
export {
  decide as decideSuiteRuns,
  type EntryState,
  type RunSlot,
  type SchedulerConfig,
} from './scheduler.js';
export { type RunSpec, type ScheduleSpec, type SuiteSpec, suiteJsonSchema, suiteSchema } from './schema.js';
export type { SuiteJson, SuiteJsonEntry } from './suite-json.js';
export { renderSuiteJunit } from './suite-junit.js';
export {
  type SuiteValidateOptions,
  type SuiteValidation,
  validateSuite,
  validateSuiteFile,
} from './validate.js';
