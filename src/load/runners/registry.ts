/**
 * Load runner runtimes by type name — the same names as the experiment file's runner definitions
 * (src/experiment/runners). Each type is one file here that registers how to turn a validated runner spec into a
 * running {@link LoadRun}; the engine starts them at the beginning of warm-up with an open end and stops them
 * when the method ends.
 */
import { FaultlineError } from '../../core/errors.js';
import type { ExperimentSpec } from '../../experiment/schema.js';
import type { Clock } from '../clock.js';
import type { LoadRun } from '../http-runner.js';

/** A validated load runner of an experiment file. */
export type RunnerSpec = ExperimentSpec['load'][number];

/** What every runner is started with. */
export interface RunnerContext {
  /** An upper bound on how long it may run; the engine stops it earlier. */
  durationMs: number;
  seed: number;
  clock?: Clock;
  signal?: AbortSignal;
}

type Start = (spec: RunnerSpec, ctx: RunnerContext) => LoadRun;

const byType = new Map<string, Start>();

/** Registers the runtime of a runner type; a type registered twice is an error. */
export function registerRunnerRuntime(type: string, start: Start): void {
  if (byType.has(type))
    throw new FaultlineError('FAULTLINE_DUPLICATE_TYPE', `load runner runtime '${type}' is registered twice`);
  byType.set(type, start);
}

/** Starts a runner of a registered type. */
export function startRunner(spec: RunnerSpec, ctx: RunnerContext): LoadRun {
  const start = byType.get(spec.type);
  if (start === undefined)
    throw new FaultlineError('FAULTLINE_UNKNOWN_RUNNER', `no runtime for load runner type '${spec.type}'`);
  return start(spec, ctx);
}

/** `{ key: v }` when `v` is defined, else `{}`: options without explicit undefineds. */
export const optional = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } =>
  (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
