/**
 * Exploration: run a scenario under many seeds, and when one breaks an invariant, shrink its fault schedule to a
 * minimal one that still breaks it, then hand back one line that replays it. A fixed seed shows one bad day;
 * this searches many bad days and returns the one that matters, reduced to its essence.
 *
 * A run's faults come from chaos drivers and chaos HTTP clients the scenario creates through its context, all on
 * the run's seed. Their traces merge into one schedule (sites are unique per driver name), and replaying a subset
 * of it is how shrinking asks "does the failure still happen with only these faults?".
 */

import { resolveSeed } from '../chaos/env.js';
import { traceOf, type WrapOptions, wrap } from '../chaos/wrap.js';
import { InvalidOptionError } from '../core/errors.js';
import { randomStream, type SeedInput } from '../core/random.js';
import { describeEntry, Trace, type TraceEntry, type TraceJSON } from '../core/trace.js';
import { type ChaosFetch, type ChaosFetchOptions, chaosFetch } from '../http/fetch.js';
import { RunFailpoints } from './failpoints.js';
import { decodeReproduction, encodeReproduction } from './reproduction.js';
import { shrinkSchedule } from './shrink.js';

/** What a scenario gets: the run's seed and helpers that make chaos on that seed. */
export interface ScenarioContext {
  readonly seed: number;
  /** True when this run replays a given schedule instead of drawing faults from the seed. */
  readonly replaying: boolean;
  /** Aborted when the run times out; pass it to anything that can hang. */
  readonly signal: AbortSignal;
  /** A chaos driver on the run's seed. `options.name` is required and must be unique within the run. */
  wrap<T extends object>(target: T, options: WrapOptions & { name: string }): T;
  /** A chaos fetch on the run's seed (its name defaults to `http`; unique within the run). */
  fetch(options?: ChaosFetchOptions): ChaosFetch;
  /**
   * Sets a failpoint for this run, e.g. `ctx.failpoint('save.between-steps', '20%throw("crash")')`: its `P%` draws
   * use the run's seed, its fires join the trace, and it is unset when the run ends. Failpoints are process-wide:
   * runs that set them cannot run in parallel. (`exit` would end the explorer too: use `throw` in scenarios.)
   */
  failpoint(name: string, term: string): void;
}

/** A scenario: runs the code under test and throws (or returns false) when an invariant is broken. */
export type Scenario = (ctx: ScenarioContext) => unknown | Promise<unknown>;

/** The outcome of one run. */
export interface RunOutcome {
  seed: number;
  failed: boolean;
  /** Why it failed: the error thrown, `returned false`, or `timed out after N ms`. */
  error: unknown;
  /** Every fault injected in the run. */
  trace: TraceJSON;
}

export interface RunOptions {
  /** Per run (default 10 s): a run still going then counts as failed. */
  timeoutMs?: number;
  /** Replay exactly these faults instead of drawing them. */
  replay?: TraceJSON;
}

/** Runs `scenario` once on `seed`. */
export async function runScenario(
  scenario: Scenario,
  seed: number,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const replay = options.replay;
  const names = new Set<string>();
  const traced: object[] = [];
  const closers: (() => Promise<void>)[] = [];
  const controller = new AbortController();
  const runFailpoints = new RunFailpoints(seed, replay);
  const claim = (name: string, field: string) => {
    if (names.has(name))
      throw new InvalidOptionError(field, `${JSON.stringify(name)} is already used in this run`);
    names.add(name);
  };
  const ctx: ScenarioContext = {
    seed,
    replaying: replay !== undefined,
    signal: controller.signal,
    wrap(target, wrapOptions) {
      if (!wrapOptions || typeof wrapOptions.name !== 'string') {
        throw new InvalidOptionError(
          'name',
          'a scenario names each chaos driver (it keys the fault schedule)',
        );
      }
      claim(wrapOptions.name, 'name');
      const driver = wrap(target, { ...wrapOptions, seed, ...(replay ? { replay } : {}) });
      traced.push(driver);
      return driver;
    },
    fetch(fetchOptions = {}) {
      claim(fetchOptions.name ?? 'http', 'fetch.name');
      const f = chaosFetch({ ...fetchOptions, seed, ...(replay ? { replay } : {}) });
      traced.push(f);
      closers.push(() => f.close());
      return f;
    },
    failpoint(name, term) {
      runFailpoints.set(name, term);
    },
  };
  let failed = false;
  let error: unknown;
  let timer: NodeJS.Timeout | undefined;
  let fires: TraceEntry[] = [];
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new Error(`timed out after ${timeoutMs} ms`));
        reject(new ExploreTimeout(timeoutMs));
      }, timeoutMs);
    });
    const result = await Promise.race([Promise.resolve().then(() => scenario(ctx)), timeout]);
    if (result === false) {
      failed = true;
      error = new Error('the scenario returned false');
    }
  } catch (err) {
    if (err instanceof InvalidOptionError) throw err;
    failed = true;
    error = err;
  } finally {
    clearTimeout(timer);
    fires = runFailpoints.finish();
    await Promise.allSettled(closers.map((close) => close()));
  }
  return { seed, failed, error, trace: mergeTraces(seed, traced, fires) };
}

class ExploreTimeout extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'ExploreTimeout';
  }
}

function mergeTraces(seed: number, chaos: object[], fires: readonly TraceEntry[]): TraceJSON {
  const merged = new Trace(seed);
  for (const e of fires) {
    merged.record(e);
    merged.noteCall(e.site, e.index);
  }
  for (const c of chaos) {
    const t = traceOf(c).toJSON();
    for (const e of t.entries) merged.record(e);
    for (const [site, n] of Object.entries(t.calls)) merged.noteCall(site, n);
  }
  return merged.toJSON();
}

export interface ExploreOptions {
  /** How many seeds to try (default 100). */
  runs?: number;
  /** The base seed; run seeds derive from it. Default `FAULTLINE_SEED`, else random. */
  seed?: SeedInput;
  /** Per run (default 10 s). */
  timeoutMs?: number;
  /** Runs at once (default 1). Runs share the process: scenarios must not share mutable state. */
  parallel?: number;
  /** Skip shrinking (report the failing run's whole schedule). */
  shrink?: boolean;
  /** Cap on replays while shrinking (default 500). */
  maxShrinkRuns?: number;
  /** Called after each run and each shrink step. */
  onProgress?: (event: ExploreProgress) => void;
}

export type ExploreProgress =
  | { phase: 'explore'; run: number; runs: number; seed: number; failed: boolean }
  | { phase: 'shrink'; replays: number; faults: number };

/** What exploration found. */
export interface ExploreResult {
  /** The base seed (what `--seed` takes to redo this exploration). */
  seed: number;
  /** The runs asked for (`options.runs`): a failure on run 37 of 300 says 300 here. */
  runs: number;
  /** The runs made: all of them when every one passed, fewer when exploration stopped at a failure. */
  ran: number;
  /** Undefined when every run passed. */
  failure?: ExploreFailure;
}

export interface ExploreFailure {
  /** The seed of the failing run. */
  seed: number;
  /** Which run (from 1). */
  run: number;
  error: unknown;
  /** Every fault of the failing run. */
  trace: TraceJSON;
  /** The minimal schedule that still fails (equal to `trace` when shrinking is off or could not remove anything). */
  minimal: TraceJSON;
  /** The minimal schedule in words, one fault a line. */
  schedule: string[];
  /** Replays spent shrinking. */
  shrinkReplays: number;
  /** False when replaying the same schedule gave different outcomes: the scenario is not deterministic. */
  deterministic: boolean;
  /**
   * `FAULTLINE_REPLAY=…`: reproduces the failure. Absent when `deterministic` is false: a replay of that schedule
   * did not fail again, so no line can promise to reproduce it.
   */
  reproduction?: string;
}

/** The seed of run `i` (from 1) of an exploration with base seed `base`. */
export function runSeed(base: number, i: number): number {
  return randomStream(base)
    .fork('explore/runs')
    .intAt(i, 0, 2 ** 47);
}

/**
 * Runs `scenario` under `runs` seeds derived from the base seed; on the first failure, stops, shrinks its fault
 * schedule and returns it with a reproduction line.
 */
export async function explore(scenario: Scenario, options: ExploreOptions = {}): Promise<ExploreResult> {
  const runs = options.runs ?? 100;
  if (!Number.isInteger(runs) || runs < 1)
    throw new InvalidOptionError('runs', `must be an integer >= 1; got ${runs}`);
  const parallel = options.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) {
    throw new InvalidOptionError('parallel', `must be an integer >= 1; got ${parallel}`);
  }
  if (typeof scenario !== 'function') throw new InvalidOptionError('scenario', 'must be a function');
  const base = resolveSeed(options.seed).seed;
  const runOptions = { timeoutMs: options.timeoutMs };
  let next = 1;
  const first: { found?: { run: number; outcome: RunOutcome } } = {};
  let done = 0;
  const worker = async () => {
    while (first.found === undefined && next <= runs) {
      const run = next++;
      const outcome = await runScenario(scenario, runSeed(base, run), runOptions);
      done += 1;
      options.onProgress?.({ phase: 'explore', run, runs, seed: outcome.seed, failed: outcome.failed });
      const earlier = first.found as { run: number } | undefined;
      if (outcome.failed && (earlier === undefined || run < earlier.run)) first.found = { run, outcome };
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, runs) }, worker));
  const found = first.found;
  if (!found) return { seed: base, runs, ran: done };
  return {
    seed: base,
    runs,
    ran: done,
    failure: await analyse(scenario, found.run, found.outcome, options),
  };
}

async function analyse(
  scenario: Scenario,
  run: number,
  outcome: RunOutcome,
  options: ExploreOptions,
): Promise<ExploreFailure> {
  const { seed, trace } = outcome;
  const timeoutMs = options.timeoutMs;
  const fails = async (entries: readonly TraceEntry[]) =>
    (await runScenario(scenario, seed, { timeoutMs, replay: { ...trace, entries: [...entries] } })).failed;
  // Nondeterminism guard: the whole schedule, replayed twice, must fail both times.
  const deterministic = (await fails(trace.entries)) && (await fails(trace.entries));
  let minimal: readonly TraceEntry[] = trace.entries;
  let shrinkReplays = 2;
  if (deterministic && options.shrink !== false) {
    const shrunk = await shrinkSchedule(trace.entries, fails, {
      maxRuns: options.maxShrinkRuns ?? 500,
      onStep: (replays, faults) => options.onProgress?.({ phase: 'shrink', replays, faults }),
    });
    minimal = shrunk.entries;
    shrinkReplays += shrunk.replays;
  }
  const minimalTrace: TraceJSON = { version: 1, seed, calls: trace.calls, entries: [...minimal] };
  return {
    seed,
    run,
    error: outcome.error,
    trace,
    minimal: minimalTrace,
    schedule: minimal.map(describeEntry),
    shrinkReplays,
    deterministic,
    ...(deterministic ? { reproduction: `FAULTLINE_REPLAY=${encodeReproduction(minimalTrace)}` } : {}),
  };
}

/**
 * Runs `scenario` replaying `schedule` (a trace, or a reproduction string with or without `FAULTLINE_REPLAY=`):
 * the same seed and exactly those faults.
 */
export async function replay(
  scenario: Scenario,
  schedule: TraceJSON | Trace | string,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const trace =
    typeof schedule === 'string'
      ? decodeReproduction(schedule)
      : schedule instanceof Trace
        ? schedule.toJSON()
        : schedule;
  return runScenario(scenario, trace.seed, { ...options, replay: trace });
}

/** A report of a failure for people: seed, minimal schedule, reproduction line. */
export function formatFailure(name: string, result: ExploreResult): string {
  const f = result.failure;
  if (!f) return `${name}: ${result.ran} runs passed (base seed ${result.seed})`;
  const reason = f.error instanceof Error ? f.error.message : String(f.error);
  const lines = [
    `${name}: failed on run ${f.run} of ${result.runs} (seed ${f.seed}; base seed ${result.seed})`,
    `  ${reason}`,
  ];
  if (!f.deterministic) {
    lines.push(
      '  replaying the same faults did not fail again: the code under test uses unseeded randomness or real time,',
      '  so no minimal schedule is reported. The full schedule of the failing run:',
    );
  } else {
    lines.push(
      `  minimal fault schedule (${f.schedule.length} of ${f.trace.entries.length}, ${f.shrinkReplays} replays):`,
    );
  }
  for (const line of f.deterministic ? f.schedule : f.trace.entries.map(describeEntry))
    lines.push(`    ${line}`);
  if (f.reproduction !== undefined) lines.push(`  reproduce: ${f.reproduction}`);
  else
    lines.push(
      `  no reproduce line: replaying this run does not reliably fail; make the scenario deterministic, then explore again from base seed ${result.seed}`,
    );
  return lines.join('\n');
}
