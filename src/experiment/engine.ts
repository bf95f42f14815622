/**
 * The experiment engine: one run of an experiment from a validated spec to a verdict, with nothing left behind.
 *
 *   start owned targets → load (warm-up) → steady state before → method: load, faults and monitors on one
 *   timeline → roll back every fault still applied (last in, first out) → steady state after → KPIs → verdict →
 *   result.json, junit.xml, report.html → stop owned targets
 *
 * Everything that changes the world goes through the journal first (targets started, faults applied), so
 * `faultline recover` can undo it if this process dies. Cleanup runs in `finally`: an abort (a condition, a
 * signal, `faultline halt`) or a bug still rolls back and stops what was started. The run's decisions come from
 * the seed (the plan) and the live samples (`when:` faults, abort conditions); time comes from one clock.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FaultlineError } from '../core/errors.js';
import { normalizeSeed, type SeedInput } from '../core/random.js';
import type { RevertOutcome } from '../disruptors/apply.js';
import {
  type Availability,
  type MonitorSample as AvailabilitySample,
  availability,
} from '../kpi/availability.js';
import { type Clock, systemClock } from '../load/clock.js';
import type { LoadRun } from '../load/http-runner.js';
import type { LoadSeries } from '../load/samples.js';
import { type ConditionInputs, firstHolding } from '../monitors/condition.js';
import { monitorImplementations } from '../monitors/registry.js';
import { type MonitorEntry, startMonitors } from '../monitors/sampler.js';
import type { MonitorSample } from '../monitors/types.js';
import { startRunner } from '../plugins/runners/start.js';
import { REPORT_FORMAT, type ReportData, type ReportEvent, type ReportPhase } from '../report/types.js';
import { writeReport } from '../report/write.js';
import { runnerName } from './check.js';
import { ms } from './duration.js';
import { FaultExecutor, type FaultRun } from './executor.js';
import { assertNotHalted, haltStatus, registerRun, stateDir } from './halt.js';
import {
  type AssertionResult,
  combineSeries,
  evaluateHypothesis,
  loadKpis,
  type NamedFaultWindow,
  trimSeries,
} from './hypothesis.js';
import { openJournal } from './journal.js';
import { renderJunit } from './junit.js';
import { type ExperimentPlan, planExperiment } from './plan.js';
import type { ExperimentSpec } from './schema.js';
import { checkSteadyState, type SteadyStateResult } from './steady.js';
import { createTargetGroup, type InstanceExit, type TargetGroup } from './targets.js';
import { expandDeep, type TemplateInstance } from './templates.js';
import { decideVerdict, type Verdict } from './verdict.js';
import { type WarmupResult, warmUp, warmupBounds } from './warmup.js';

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

function timestamp(d: Date): string {
  return d.toISOString().replace(/[:.]/g, '-');
}

function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (delayMs <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((r) => {
    const done = () => {
      clock.clearTimeout(t);
      signal?.removeEventListener('abort', done);
      r();
    };
    const t = clock.setTimeout(done, delayMs);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function reasonOf(signal: AbortSignal): string {
  const r = signal.reason as unknown;
  if (typeof r === 'string') return r;
  if (r instanceof Error && r.name !== 'AbortError') return r.message;
  return 'stopped';
}

/** Calls `onHalt` once a halt is in force (polled every `everyMs`); returns the function that stops watching. */
function watchHalt(dir: string, clock: Clock, everyMs: number, onHalt: () => void): () => void {
  let timer: unknown;
  let stopped = false;
  const look = () => {
    if (stopped) return;
    if (haltStatus(dir) !== undefined) onHalt();
    else timer = clock.setTimeout(look, everyMs);
  };
  look();
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}

/** Errors that mean "the system was not ready", not "the run is broken". */
const NOT_READY_CODES = new Set(['FAULTLINE_TARGET_START', 'FAULTLINE_TARGET_NOT_READY']);

/**
 * Runs an experiment. Resolves with the verdict once everything is rolled back and stopped; rejects only for
 * bad input found at run time (e.g. a placeholder with no value) or a halt in force — after cleaning up too.
 */
export async function runExperiment(
  spec: ExperimentSpec,
  options: RunExperimentOptions = {},
): Promise<RunExperimentResult> {
  const clock = options.clock ?? systemClock;
  const haltDir = options.stateDir ?? stateDir();
  assertNotHalted(haltDir);
  const seed =
    options.seed !== undefined
      ? normalizeSeed(options.seed)
      : spec.seed !== undefined
        ? normalizeSeed(spec.seed)
        : Math.floor(Math.random() * 2 ** 47);
  const startedMs = clock.epochMs();
  const outDir = resolve(options.outDir ?? join('faultline-results', timestamp(new Date(startedMs))));
  // whatever the umask: recover trusts a journal only in a directory nobody else can write to
  mkdirSync(outDir, { recursive: true, mode: 0o755 });
  const journalPath = join(outDir, 'journal.ndjson');
  const journal = openJournal(journalPath);
  const registration = registerRun({ title: spec.title, outDir }, haltDir);
  const command =
    options.command ?? `faultline run ${options.file ?? 'EXPERIMENT.yaml'} --seed ${seed} --out ${outDir}`;
  const plan = planExperiment(spec, seed);
  const durationMs = plan.durationMs;
  const stop = new AbortController(); // the run's own stop: any abort reason, and the end of the run
  const hurry = options.hurry;
  const outer = options.signal;
  const onOuterAbort = () => stop.abort(reasonOf(outer as AbortSignal));
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  if (outer?.aborted) onOuterAbort();

  // `faultline halt` leaves a marker: looked at from the first target's start to the end of the method
  const stopHaltWatch = watchHalt(haltDir, clock, options.tickMs ?? 100, () =>
    stop.abort('halted by faultline halt'),
  );

  const events: RunEvent[] = [];
  const emit = (kind: string, message: string) => {
    const e = { tMs: clock.epochMs(), kind, message };
    events.push(e);
    options.onEvent?.(e);
  };
  let phase: RunPhase = 'starting';
  const enter = (p: RunPhase) => {
    phase = p;
    journal.append({ event: 'phase', phase: p });
    emit('phase', p);
  };
  journal.append({
    event: 'run.started',
    title: spec.title,
    seed,
    pid: process.pid,
    // recover checks these against the run file (halt.ts), so a journal put in this run's place is refused
    runId: registration.runId,
    ...(registration.startTime === undefined ? {} : { startTime: registration.startTime }),
    ...(options.file === undefined ? {} : { file: options.file }),
  });
  emit('run.started', `${spec.title} (seed ${seed})`);

  const groups = new Map<string, TargetGroup>();
  const started = new Map<string, TemplateInstance[]>();
  const samples: Record<string, MonitorSample[]> = {};
  const loads = new Map<string, LoadRun>();
  const monitorStop = new AbortController();
  let monitorsDone: Promise<void> | undefined;
  let executor: FaultExecutor | undefined;
  let notReady: string | undefined;
  let aborted: string | undefined;
  let steadyBefore: SteadyStateResult | undefined;
  let steadyAfter: SteadyStateResult | undefined;
  let reverts: RevertOutcome[] = [];
  let methodStartEpoch: number | undefined;
  let methodEndEpoch: number | undefined;
  let loadSeries: Record<string, LoadSeries> = {};
  // placeholders expanded once targets run; the steady-state check after the method reuses them
  let resolvedMonitors: ExperimentSpec['monitors'] = spec.monitors;
  let resolvedSteady: ExperimentSpec['steady_state'];
  let fatal: unknown;
  let result: ExperimentResult | undefined;
  let warmup: WarmupResult | undefined;
  const runStart = clock.nowMs();

  // An owned process that exits after its ready check and before the method (another process held its port and
  // answered the probe; a crash while warming up): going on would judge some other system, so the run is
  // `not-ready`, pointing at the log that says why. During the method an exit is a fault's doing, or a finding.
  let lostTarget: string | undefined;
  const targetLost = new AbortController();
  const beforeMethod = AbortSignal.any([stop.signal, targetLost.signal]);
  const onExit = (e: InstanceExit) => {
    if (methodStartEpoch !== undefined || lostTarget !== undefined) return;
    lostTarget = `${e.instance} (pid ${e.pid}) exited ${e.how} before the method started (see its log: ${e.log})`;
    targetLost.abort();
  };

  const progress = (
    methodStartMono: number | undefined,
    last: { t: number; completed: number; errors: number },
  ) => {
    let completed = 0;
    let errors = 0;
    for (const run of loads.values()) {
      const p = run.progress();
      completed += p.completed;
      errors += p.errors;
    }
    const now = clock.nowMs();
    const dt = (now - last.t) / 1000;
    const done = completed - last.completed;
    const failed = errors - last.errors;
    const view: RunProgress = {
      phase,
      elapsedMs: now - runStart,
      methodMs: methodStartMono === undefined ? 0 : Math.min(now - methodStartMono, durationMs),
      durationMs,
      activeFaults: (executor?.active() ?? []).map((r) => `${r.fault} on ${r.instance}`),
      throughput: dt > 0 ? done / dt : 0,
      errorRate: done > 0 ? failed / done : 0,
    };
    last.t = now;
    last.completed = completed;
    last.errors = errors;
    options.onProgress?.(view);
  };

  try {
    // targets, in the order the file lists them: later ones may refer to earlier ones' ports (and their own)
    const ctx = {
      journal,
      logDir: join(outDir, 'targets'),
      started,
      clock,
      signal: stop.signal,
      onEvent: emit,
      onExit,
    };
    try {
      for (const [name, t] of Object.entries(spec.targets)) {
        if (stop.signal.aborted) break;
        const group = await createTargetGroup(name, t, ctx);
        groups.set(name, group);
        // ports are known before anything starts, so a group may list its own instances (e.g. peers)
        started.set(name, group.instances);
        emit('target.starting', `${name}: ${group.instances.length} instance(s)`);
        await group.start();
        emit('target.ready', `${name}: ${group.instances.map((i) => `${i.id} (pid ${i.pid})`).join(', ')}`);
      }
    } catch (err) {
      if (err instanceof FaultlineError && NOT_READY_CODES.has(err.code)) notReady = err.message;
      else if (stop.signal.aborted) aborted = reasonOf(stop.signal);
      else throw err;
    }
    if (stop.signal.aborted && notReady === undefined) aborted ??= reasonOf(stop.signal);
    if (aborted === undefined) notReady ??= lostTarget;

    if (notReady === undefined && aborted === undefined) {
      // run-time placeholders in everything that is not a target (only once every target has its ports)
      const targets = started as ReadonlyMap<string, readonly TemplateInstance[]>;
      const monitorSpecs = expandDeep(spec.monitors, ['monitors'], { targets });
      resolvedMonitors = monitorSpecs;
      const steady = spec.steady_state && expandDeep(spec.steady_state, ['steady_state'], { targets });
      resolvedSteady = steady;
      // {{name}} in load requests are the runner's own seeded variables: only {{targets.…}} is ours there
      const loadSpecs = expandDeep(spec.load, ['load'], { targets, keepUnknown: true });
      const faultOptions = spec.faults.map((f, i) =>
        expandDeep(f.with, ['faults', i, 'with'], { targets, keepUnknown: true }),
      ) as Record<string, unknown>[];

      // monitors run from warm-up to the end of the steady-state-after check
      const entries: Record<string, MonitorEntry> = {};
      for (const [name, m] of Object.entries(monitorSpecs)) {
        entries[name] = monitorImplementations.entry(m);
        samples[name] = [];
      }
      const down = new Set<string>();
      monitorsDone = startMonitors(entries, {
        clock,
        signal: monitorStop.signal,
        onSample: (name, s) => {
          samples[name]?.push(s);
          if (!s.ok && !down.has(name)) {
            down.add(name);
            journal.append({
              event: 'monitor.breach',
              monitor: name,
              message: s.error ?? s.detail ?? 'down',
            });
            emit('monitor.down', `${name} down: ${s.error ?? s.detail ?? ''}`.trim());
          } else if (s.ok && down.has(name)) {
            down.delete(name);
            journal.append({ event: 'monitor.recovered', monitor: name });
            emit('monitor.up', `${name} up again`);
          }
        },
      }).done;

      enter('warmup');
      const warmBounds = warmupBounds(spec.warmup);
      const bound = warmBounds.maxMs + (steady ? ms(steady.within, 'within') : 0) + durationMs + 60_000;
      loadSpecs.forEach((r, i) => {
        loads.set(runnerName(r, i), startRunner(r, { durationMs: bound, seed, clock }));
      });
      const last = { t: clock.nowMs(), completed: 0, errors: 0 };
      const interval = options.progressIntervalMs ?? 1000;
      // until the latency settles (src/experiment/warmup.ts), so `before` is a baseline worth comparing with
      warmup = await warmUp({
        bounds: warmBounds,
        series: () => combineSeries([...loads.values()].map((r) => r.series())),
        clock,
        signal: beforeMethod,
        tickMs: interval,
        onTick: () => progress(undefined, last),
      });
      if (!beforeMethod.aborted)
        emit(
          'warmup',
          `${(warmup.tookMs / 1000).toFixed(1)} s, ${warmup.settled ? 'settled' : 'not settled'}: ${warmup.reason}`,
        );

      if (!beforeMethod.aborted && steady) {
        enter('steady-before');
        steadyBefore = await checkSteadyState(steady, monitorSpecs, { clock, signal: beforeMethod });
        if (!steadyBefore.ok && !stop.signal.aborted)
          notReady = `steady state before: ${steadyBefore.reason}`;
        emit(
          'steady.before',
          steadyBefore.ok ? 'steady state holds' : `steady state does not hold: ${steadyBefore.reason}`,
        );
      }
      if (stop.signal.aborted) aborted = reasonOf(stop.signal);
      else if (lostTarget !== undefined) notReady = lostTarget; // the cause of whatever else failed

      if (notReady === undefined && aborted === undefined) {
        enter('method');
        executor = new FaultExecutor({
          spec,
          plan,
          journal,
          groups,
          clock,
          options: faultOptions,
          signal: stop.signal,
          onEvent: emit,
        });
        const methodStart = clock.nowMs();
        methodStartEpoch = clock.epochMs();
        executor.start(methodStart);
        const needsLoadSeries = [
          ...spec.abort_when,
          ...spec.faults.flatMap((f) => (f.when ? [f.when] : [])),
        ].some((c) => c.kpi !== undefined);
        const inputs = (): ConditionInputs => {
          const load: Record<string, LoadSeries> = {};
          if (needsLoadSeries) for (const [name, run] of loads) load[name] = run.series();
          return { monitors: samples as Record<string, AvailabilitySample[]>, load };
        };
        const tickMs = options.tickMs ?? 100;
        let nextProgress = methodStart + interval;
        for (;;) {
          if (stop.signal.aborted) {
            aborted = reasonOf(stop.signal);
            break;
          }
          const now = executor.now();
          if (now >= durationMs) break;
          const snapshot = inputs();
          await executor.tick(now, snapshot);
          const held = firstHolding(spec.abort_when, snapshot, clock.epochMs());
          if (held !== undefined) {
            aborted = `abort_when[${held.index}] held: ${held.state.reason}`;
            break;
          }
          if (clock.nowMs() >= nextProgress) {
            progress(methodStart, last);
            nextProgress += interval;
          }
          const wait = Math.min(tickMs, executor.nextDueMs() - executor.now(), durationMs - executor.now());
          await sleep(clock, Math.max(1, wait), stop.signal);
        }
        methodEndEpoch = clock.epochMs();
        if (aborted !== undefined) {
          journal.append({ event: 'abort', reason: aborted });
          emit('abort', aborted);
        }
      }
    }
  } catch (err) {
    fatal = err;
  } finally {
    stopHaltWatch();
    // rollback: stop injecting, stop sending, revert what is applied — whatever happened above
    try {
      if (executor) {
        executor.stopInjecting();
        enter('rollback');
        reverts = await executor.rollback();
      }
      for (const run of loads.values()) run.stop();
      if (!hurry?.aborted && loads.size > 0) {
        const drained = Promise.all([...loads.values()].map((r) => r.done.catch(() => undefined)));
        await Promise.race([
          drained,
          new Promise((r) => hurry?.addEventListener('abort', r, { once: true })),
        ]);
      }
      loadSeries = Object.fromEntries([...loads].map(([name, run]) => [name, run.series()]));
      if (fatal === undefined && executor && resolvedSteady && !hurry?.aborted) {
        enter('steady-after');
        steadyAfter = await checkSteadyState(resolvedSteady, resolvedMonitors, {
          clock,
          signal: hurry ?? new AbortController().signal,
        });
        emit(
          'steady.after',
          steadyAfter.ok
            ? 'steady state holds again'
            : `steady state did not come back: ${steadyAfter.reason}`,
        );
      }
      monitorStop.abort();
      await monitorsDone;

      if (fatal === undefined) {
        enter('results');
        result = buildResult();
        writeOutputs(result);
      }
    } catch (err) {
      fatal ??= err;
    } finally {
      enter('stopping');
      for (const group of [...groups.values()].reverse()) {
        try {
          await group.stop();
        } catch (err) {
          emit('target.stop-failed', `${group.name}: ${(err as Error).message}`);
        }
      }
      journal.append({
        event: 'run.ended',
        verdict: result?.verdict ?? 'error',
        ...(result?.reason === undefined ? {} : { reason: result.reason }),
      });
      journal.close();
      registration.unregister();
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }
  if (fatal !== undefined || result === undefined) throw fatal;
  return {
    verdict: result.verdict,
    reason: result.reason ?? '',
    exitCode: result.exitCode,
    outDir,
    resultPath: join(outDir, 'result.json'),
    junitPath: join(outDir, 'junit.xml'),
    journalPath,
    ...(options.report === false ? {} : { reportPath: join(outDir, 'report.html') }),
    result,
  };

  function buildResult(): ExperimentResult {
    const endedMs = clock.epochMs();
    const runs = executor?.runs ?? [];
    const mStart = methodStartEpoch ?? endedMs;
    const mEnd = methodEndEpoch ?? endedMs;
    const windows: NamedFaultWindow[] = runs
      .filter((r) => r.status === 'applied')
      .map((r) => ({ name: r.fault, startMs: r.startMs, endMs: Math.min(r.endMs ?? mEnd, mEnd) }));
    const trimmed: Record<string, LoadSeries> = {};
    for (const [name, s] of Object.entries(loadSeries)) trimmed[name] = trimSeries(s, mStart, mEnd);
    const assertions =
      notReady === undefined && aborted === undefined && executor
        ? evaluateHypothesis(spec.hypothesis, {
            load: trimmed,
            faults: windows,
            monitors: samples,
            method: { startMs: mStart, endMs: mEnd },
          })
        : [];
    // a fault still applied after rollback: its revert failed (during the method or at rollback)
    const failedReverts = runs
      .filter((r) => r.status === 'applied' && r.endMs === null)
      .map((r) => {
        const outcome = reverts.find((o) => o.id === r.id);
        return {
          id: r.id,
          type: r.disruptor,
          ok: false,
          attempts: outcome?.attempts ?? 0,
          error: r.error ?? outcome?.error ?? 'not reverted',
          fault: r.fault,
          instance: r.instance,
        };
      });
    const verdict = decideVerdict({
      ...(notReady === undefined ? {} : { notReady }),
      ...(aborted === undefined ? {} : { aborted }),
      assertions,
      ...(steadyAfter === undefined
        ? {}
        : {
            steadyAfter: {
              ok: steadyAfter.ok,
              ...(steadyAfter.reason ? { reason: steadyAfter.reason } : {}),
            },
          }),
      failedReverts,
    });
    const kpis = loadKpis(trimmed, windows);
    const phases: Partial<Record<ReportPhase, { startMs: number; endMs: number }>> = {};
    if (methodStartEpoch !== undefined) {
      const first = windows.length > 0 ? Math.min(...windows.map((w) => w.startMs)) : mEnd;
      const last = windows.length > 0 ? Math.max(...windows.map((w) => w.endMs)) : mEnd;
      phases.before = { startMs: mStart, endMs: first };
      if (windows.length > 0) {
        phases.during = { startMs: first, endMs: last };
        phases.after = { startMs: last, endMs: mEnd };
      }
    }
    const monitorTargets = (name: string): string | undefined => {
      const m = resolvedMonitors[name] as Record<string, unknown> | undefined;
      const t = m?.url ?? m?.endpoint ?? m?.command ?? m?.api;
      return typeof t === 'string' ? t : Array.isArray(t) ? t.join(' ') : undefined;
    };
    return {
      format: REPORT_FORMAT,
      title: spec.title,
      ...(spec.description === undefined ? {} : { description: spec.description.trim() }),
      seed,
      command,
      verdict: verdict.verdict,
      reason: verdict.reason,
      exitCode: verdict.exitCode,
      startedMs,
      endedMs,
      phases,
      load: Object.entries(loadSeries).map(([name, series]) => ({
        name,
        series,
        kpis: kpis[name] as NonNullable<(typeof kpis)[string]>,
      })),
      faults: runs
        .filter((r) => r.status === 'applied')
        .map((r) => ({
          name: r.fault,
          target: r.instance,
          startMs: r.startMs,
          endMs: r.endMs,
          detail: r.detail,
        })),
      monitors: Object.entries(samples).map(([name, s]) => {
        const target = monitorTargets(name);
        // over the whole run, as the report shows it
        const a = availability(s, { endMs: endedMs });
        return { name, ...(target === undefined ? {} : { target }), samples: s, availability: a };
      }),
      assertions,
      events: [...events],
      spec,
      plan,
      steadyState: {
        ...(steadyBefore ? { before: steadyBefore } : {}),
        ...(steadyAfter ? { after: steadyAfter } : {}),
      },
      faultRuns: runs,
      reverts,
      ...(warmup === undefined ? {} : { warmup }),
    };
  }

  function writeOutputs(r: ExperimentResult): void {
    writeFileSync(join(outDir, 'result.json'), `${JSON.stringify(r, null, 1)}\n`);
    const checks: { name: string; passed: boolean; message?: string }[] = [];
    if (r.steadyState.after) {
      checks.push({
        name: 'steady state after',
        passed: r.steadyState.after.ok,
        ...(r.steadyState.after.reason ? { message: r.steadyState.after.reason } : {}),
      });
    }
    const applied = r.faultRuns.filter((f) => f.status === 'applied');
    if (applied.length > 0) {
      const stuck = applied.filter((f) => f.endMs === null);
      checks.push({
        name: 'every fault reverted',
        passed: stuck.length === 0,
        ...(stuck.length > 0
          ? {
              message: stuck
                .map((f) => `${f.fault} on ${f.instance}: ${f.error ?? 'not reverted'}`)
                .join('; '),
            }
          : {}),
      });
    }
    writeFileSync(
      join(outDir, 'junit.xml'),
      renderJunit({
        title: r.title,
        verdict: r.verdict,
        reason: r.reason ?? '',
        durationSec: (r.endedMs - r.startedMs) / 1000,
        assertions: r.assertions,
        checks,
      }),
    );
    if (options.report !== false) writeReport(outDir, r);
  }
}
