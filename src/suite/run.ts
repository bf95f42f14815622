/**
 * Running a suite: {@link runSuite} plans the calendar exactly as `--dry-run` prints it (same seed, same "now"),
 * opens the suite's directory and journal, registers the suite in the state directory, and runs the calendar
 * (runner.ts) with each run in a `faultline run` child process (launch.ts). As runs end it journals them, applies
 * `cleanup:`, and rewrites suite.json, junit.xml and index.html.
 *
 * `faultline halt` (the marker) stops the suite: running runs see the marker and roll back themselves, waiting
 * ones are skipped, no later start begins; the suite ends with exit code 3. So does the caller's signal, which is
 * also passed on to the running children (their own process groups do not get the terminal's Ctrl-C).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { assertNotHalted, haltStatus, registerRun, stateDir } from '../experiment/halt.js';
import type { ExperimentResult } from '../experiment/run-types.js';
import type { ExperimentSpec } from '../experiment/schema.js';
import { timestamp, watchHalt } from '../experiment/stages/open.js';
import { type Clock, systemClock } from '../load/clock.js';
import { planSuite } from './dry-run.js';
import { openSuiteJournal, SUITE_JOURNAL } from './journal.js';
import { type ChildLauncher, childLauncher } from './launch.js';
import { writeSuiteOutputs } from './outputs.js';
import type { PlannedRun } from './plan.js';
import { executeSuite, type LaunchEntry, type SuiteRunRecord } from './runner.js';
import type { SuiteSpec } from './schema.js';
import {
  type SuiteJson,
  type SuiteJsonEntry,
  suiteExitCode,
  suiteJsonEntry,
  suiteVerdict,
} from './suite-json.js';

export interface RunSuiteOptions {
  /** The suite file: experiment paths are relative to it, and it names the default output directory. */
  file: string;
  /** Default: the suite's seed, else 0 (as --dry-run). */
  seed?: number;
  /** Run only this entry (its dependencies are not run). */
  only?: string;
  /** Default `faultline-results/<timestamp>-suite-<file name>`. */
  outDir?: string;
  /** The suite's own --set overrides, recorded in suite.json. */
  set?: Record<string, unknown>;
  /** The calendar's clock (default the system clock). */
  clock?: Clock;
  /** The halt directory (default FAULTLINE_STATE_DIR or `<tmpdir>/faultline`). */
  stateDir?: string;
  /** Aborting stops the suite (its reason is what skipped runs say) and is passed on to running children. */
  signal?: AbortSignal;
  /** Aborting (after `signal`) passes a second signal on: the children skip their waits, still reverting. */
  hurry?: AbortSignal;
  /** Starts a run (default: a `faultline run` child process). */
  launch?: LaunchEntry;
  /** Node arguments that start the faultline CLI, for the default launcher. */
  cli?: readonly string[];
  /** Environment of the children (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Each run writes report.html (default true). */
  report?: boolean;
  /** Starts run when the schedule has neither until: nor times: (default 1000). */
  limit?: number;
  onChange?: (record: SuiteRunRecord, all: readonly SuiteRunRecord[]) => void;
  /** Once, when the suite's directory is open and the plan made. */
  onStart?: (info: { outDir: string; seed: number; startsMs: number[] }) => void;
}

export interface RunSuiteResult {
  exitCode: number;
  outDir: string;
  journalPath: string;
  suiteJsonPath: string;
  junitPath: string;
  indexPath: string;
  suite: SuiteJson;
}

/** The directory of a run inside the suite's: `kill`, `backlog~2` (a repeat), `start-2/kill` (several starts). */
export function runDirName(run: PlannedRun, start: number, starts: number): string {
  const dir = run.run.replace('#', '~');
  return starts > 1 ? `start-${start}/${dir}` : dir;
}

function readRunResult(dir: string): ExperimentResult | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as ExperimentResult;
  } catch {
    return undefined;
  }
}

/** Runs a validated suite (see validate.ts) and writes its outputs. Throws (exit 3) when a halt is in force. */
export async function runSuite(
  suite: SuiteSpec,
  experiments: Map<string, ExperimentSpec>,
  o: RunSuiteOptions,
): Promise<RunSuiteResult> {
  const haltDir = o.stateDir ?? stateDir(o.env ?? process.env);
  assertNotHalted(haltDir);
  const clock = o.clock ?? systemClock;
  const seed = o.seed ?? 0;
  const nowMs = clock.epochMs();
  const plan = planSuite(suite, experiments, {
    seed,
    nowMs,
    limit: o.limit ?? 1000,
    ...(o.only === undefined ? {} : { only: o.only }),
  });
  const name = basename(o.file).replace(/\.ya?ml$/i, '');
  const outDir = resolve(
    o.outDir ?? join('faultline-results', `${timestamp(new Date(nowMs))}-suite-${name}`),
  );
  mkdirSync(outDir, { recursive: true, mode: 0o755 });
  const journalPath = join(outDir, SUITE_JOURNAL);
  const journal = openSuiteJournal(journalPath);
  const registration = registerRun({ title: suite.title, outDir }, haltDir, 'suites');
  journal.append({
    event: 'suite.started',
    title: suite.title,
    seed,
    pid: process.pid,
    suiteId: registration.runId,
    ...(registration.startTime === undefined ? {} : { startTime: registration.startTime }),
    file: o.file,
  });
  const starts = plan.startsMs.length;
  const specOf = (entry: string) => suite.runs.find((r) => r.name === entry);
  const experimentPath = (file: string) => (isAbsolute(file) ? file : join(dirname(o.file), file));
  const outDirOf = (run: PlannedRun, start: number) => join(outDir, runDirName(run, start, starts));

  const children: ChildLauncher | undefined =
    o.launch === undefined
      ? childLauncher({
          entryOf: (entry) => {
            const r = specOf(entry);
            return { file: experimentPath(r?.experiment ?? ''), set: r?.set ?? {}, env: r?.env ?? {} };
          },
          outDirOf,
          ...(o.cli === undefined ? {} : { cli: o.cli }),
          ...(o.env === undefined ? {} : { env: o.env }),
          report: o.report !== false,
        })
      : undefined;
  const inner = o.launch ?? (children as ChildLauncher).launch;
  const launch: LaunchEntry = async (run, start, onPhase) => {
    // journaled before the child exists: whenever the suite dies, recover knows where this run wrote
    journal.append({ event: 'entry.started', start, run: run.run, outDir: outDirOf(run, start) });
    const launched = await inner(run, start, onPhase);
    if (launched.pid !== undefined)
      journal.append({ event: 'entry.running', start, run: run.run, pid: launched.pid });
    return launched;
  };

  const stop = new AbortController();
  const onOuter = () => {
    stop.abort(o.signal?.reason ?? 'stopped');
    children?.signalAll('SIGTERM');
  };
  const onHurry = () => children?.signalAll('SIGTERM');
  o.signal?.addEventListener('abort', onOuter, { once: true });
  o.hurry?.addEventListener('abort', onHurry, { once: true });
  if (o.signal?.aborted) onOuter();
  // the marker is a file other processes write: polled on the real clock, whatever clock the calendar uses
  const haltSuite = () => {
    if (!stop.signal.aborted) stop.abort('halted by faultline halt');
  };
  const stopHaltWatch = watchHalt(haltDir, systemClock, 200, haltSuite);

  const results = new Map<string, ExperimentResult | undefined>();
  const deleted = new Set<string>();
  const key = (start: number, run: string) => `${start}/${run}`;
  const rel = (p: string) => relative(outDir, p).split('\\').join('/');
  const startedAtMs = nowMs;
  let records: readonly SuiteRunRecord[] = [];
  let exitCode: number | null = null;
  let stopped: string | undefined;
  let startsBegun = 0;
  const snapshot = (endedMs?: number): SuiteJson => ({
    title: suite.title,
    file: o.file,
    seed,
    overrides: o.set ?? {},
    parallel: suite.parallel,
    exclusive: suite.exclusive,
    stop_on: suite.stop_on,
    cleanup: suite.cleanup,
    verdict: suiteVerdict(exitCode),
    exitCode,
    stopped: stopped ?? null,
    startedAt: new Date(startedAtMs).toISOString(),
    endedAt: endedMs === undefined ? null : new Date(endedMs).toISOString(),
    durationMs: endedMs === undefined ? null : endedMs - startedAtMs,
    calendar: plan.startsMs.map((t) => new Date(t).toISOString()),
    startsBegun: Math.max(startsBegun, ...records.map((r) => r.start)),
    entries: records.map((r) => {
      const spec = specOf(r.entry);
      const dir = rel(outDirOf({ run: r.run } as PlannedRun, r.start));
      const k = key(r.start, r.run);
      return suiteJsonEntry(r, {
        experiment: spec?.experiment ?? '',
        overrides: spec?.set ?? {},
        env: spec?.env ?? {},
        outDir: dir,
        hasResult: results.get(k) !== undefined,
        hasReport: results.get(k) !== undefined && o.report !== false,
        deleted: deleted.has(k),
      });
    }),
  });
  const resultOf = (e: SuiteJsonEntry) => results.get(key(e.start, e.run));
  const write = (endedMs?: number) => writeSuiteOutputs(outDir, snapshot(endedMs), resultOf);
  const lastState = new Map<string, string>();

  try {
    o.onStart?.({ outDir, seed, startsMs: plan.startsMs });
    write();
    const executed = await executeSuite({
      plan,
      clock,
      launch,
      signal: stop.signal,
      refreshStop: () => {
        if (haltStatus(haltDir) !== undefined) haltSuite();
      },
      config: {
        parallel: suite.parallel,
        exclusive: new Set(suite.exclusive),
        targetsOf: (entry) => Object.keys(experiments.get(entry)?.targets ?? {}),
        stopOn: suite.stop_on,
      },
      onChange: (r, all) => {
        records = all;
        const k = key(r.start, r.run);
        const settled = lastState.get(k) !== r.state;
        lastState.set(k, r.state);
        if (settled && r.state === 'skipped')
          journal.append({ event: 'entry.skipped', start: r.start, run: r.run, reason: r.skipReason ?? '' });
        if (settled && (r.state === 'passed' || r.state === 'failed' || r.state === 'aborted')) {
          const dir = outDirOf({ run: r.run } as PlannedRun, r.start);
          journal.append({
            event: 'entry.ended',
            start: r.start,
            run: r.run,
            state: r.state,
            exitCode: r.exitCode ?? null,
            ...(r.verdict === undefined ? {} : { verdict: r.verdict }),
          });
          results.set(k, readRunResult(dir));
          if (r.state === 'passed' && suite.cleanup === 'delete-passed') {
            rmSync(dir, { recursive: true, force: true });
            deleted.add(k);
          }
        }
        if (settled && r.state !== 'waiting' && r.state !== 'running') write();
        o.onChange?.(r, all);
      },
    });
    records = executed.records;
    startsBegun = executed.startsBegun;
    stopped = executed.stopped;
    const halted = stopped !== undefined && !stopped.startsWith('stop_on');
    exitCode = suiteExitCode(records, halted);
    const endedMs = clock.epochMs();
    const paths = write(endedMs);
    journal.append({ event: 'suite.ended', exitCode, ...(stopped === undefined ? {} : { stopped }) });
    return {
      exitCode,
      outDir,
      journalPath,
      suiteJsonPath: paths.suiteJson,
      junitPath: paths.junit,
      indexPath: paths.index,
      suite: snapshot(endedMs),
    };
  } finally {
    // a bug above must not leave children running unwatched: they roll back on SIGTERM
    if (exitCode === null) children?.signalAll('SIGTERM');
    stopHaltWatch();
    o.signal?.removeEventListener('abort', onOuter);
    o.hurry?.removeEventListener('abort', onHurry);
    journal.close();
    registration.unregister();
  }
}
