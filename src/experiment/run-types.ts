/**
 * The public shapes of a run — its options, phases, events, progress and result — apart from the engine, so
 * the stages that make a run can name them without importing the engine that runs them.
 */
import type { SeedInput } from '../core/random.js';
import type { RevertOutcome } from '../disruptors/apply.js';
import type { Availability } from '../kpi/availability.js';
import type { Clock } from '../load/clock.js';
import type { MonitorSample } from '../monitors/types.js';
import type { ReportData, ReportEvent } from '../report/types.js';
import type { FaultRun } from './executor.js';
import type { AssertionResult } from './hypothesis.js';
import type { ExperimentPlan } from './plan.js';
import type { ExperimentSpec } from './schema.js';
import type { SteadyStateResult } from './steady.js';
import type { Verdict } from './verdict.js';
import type { WarmupResult } from './warmup.js';

/** The stages of a run, as progress reports them. */
export type RunPhase =
  | 'starting'
  | 'warmup'
  | 'steady-before'
  | 'method'
  | 'rollback'
  | 'steady-after'
  | 'results'
  | 'stopping';

/** Something that happened, as it happened. `tMs` is epoch ms. */
export interface RunEvent extends ReportEvent {}

/** A live view of the run, about once a second. */
export interface RunProgress {
  phase: RunPhase;
  /** Since the run started. */
  elapsedMs: number;
  /** Since the method started (0 before), and its planned length. */
  methodMs: number;
  durationMs: number;
  /** `fault on instance` for every fault applied now. */
  activeFaults: string[];
  /** Completed requests per second over the last interval, all runners together. */
  throughput: number;
  /** Fraction of the last interval's completed requests that failed. */
  errorRate: number;
}

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions {
  /** Overrides the file's seed; default: the file's, else random. */
  seed?: SeedInput;
  /** Where results go (default `faultline-results/<timestamp>`). */
  outDir?: string;
  /** The experiment file, for the journal and the reproduce command. */
  file?: string;
  /** The exact command that reproduces the run (default: built from file and seed). */
  command?: string;
  /** Write report.html (default true). */
  report?: boolean;
  clock?: Clock;
  /** Aborting stops the run: roll back, outputs, verdict `aborted`. */
  signal?: AbortSignal;
  /** Aborting (after `signal`) skips the waits — load drain, steady state after — but still reverts. */
  hurry?: AbortSignal;
  /** The halt directory (default FAULTLINE_STATE_DIR or `<tmpdir>/faultline`). */
  stateDir?: string;
  onEvent?: (event: RunEvent) => void;
  onProgress?: (progress: RunProgress) => void;
  /** Default 1000. */
  progressIntervalMs?: number;
  /** How often conditions and the halt marker are looked at during the method (default 100 ms). */
  tickMs?: number;
}

/** What result.json holds: the report's data and the run's details. */
export interface ExperimentResult extends ReportData {
  exitCode: number;
  spec: ExperimentSpec;
  plan: ExperimentPlan;
  steadyState: { before?: SteadyStateResult; after?: SteadyStateResult };
  /** Every fault instance as it ran (applied, failed or dropped). */
  faultRuns: FaultRun[];
  /** Every revert done at rollback, with its outcome. */
  reverts: RevertOutcome[];
  /** Judged assertions with notes. */
  assertions: AssertionResult[];
  /** How long warm-up took and whether the load had settled; absent when the run did not get that far. */
  warmup?: WarmupResult;
  /** Monitor samples with values and errors (the report uses up/down only). */
  monitors: Array<{ name: string; target?: string; samples: MonitorSample[]; availability: Availability }>;
}

/** What {@link runExperiment} resolves to. */
export interface RunExperimentResult extends Verdict {
  outDir: string;
  resultPath: string;
  junitPath: string;
  journalPath: string;
  reportPath?: string;
  result: ExperimentResult;
}
