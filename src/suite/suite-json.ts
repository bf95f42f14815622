/**
 * suite.json: the whole suite as it ran — the calendar, and every run of every entry with its overrides, seed,
 * verdict, times, where its result.json is (relative to the suite's directory) and why it was skipped. It is
 * rewritten as runs end, so a long schedule's file always says where the suite stands.
 */
import type { SuiteRunRecord } from './runner.js';

/** One run in suite.json. Paths are relative to the suite's output directory. */
export interface SuiteJsonEntry {
  start: number;
  run: string;
  entry: string;
  experiment: string;
  overrides: Record<string, unknown>;
  env: Record<string, string>;
  seed: number;
  /** Whether the seed was drawn from the suite's seed (the experiment sets none). */
  seedDrawn: boolean;
  state: SuiteRunRecord['state'];
  /** The run's verdict (pass, fail, aborted, not-ready), else its state (skipped, failed when it wrote none). */
  verdict: string;
  reason: string | null;
  skipReason: string | null;
  exitCode: number | null;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  outDir: string | null;
  result: string | null;
  report: string | null;
  /** True when `cleanup: delete-passed` removed the run's directory. */
  deleted: boolean;
  command: string | null;
}

export interface SuiteJson {
  title: string;
  file: string;
  seed: number;
  /** The suite's own --set overrides. */
  overrides: Record<string, unknown>;
  parallel: number;
  exclusive: string[];
  stop_on: string;
  cleanup: string;
  /** pass: every run passed; fail: one failed or aborted; halted: stopped by halt or a signal; running. */
  verdict: 'pass' | 'fail' | 'halted' | 'running';
  exitCode: number | null;
  stopped: string | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  /** The calendar's start times (ISO, UTC) and how many of them began. */
  calendar: string[];
  startsBegun: number;
  entries: SuiteJsonEntry[];
}

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

/** What suite.json needs to know of a run besides its record. */
export interface EntryFacts {
  experiment: string;
  overrides: Record<string, unknown>;
  env: Record<string, string>;
  outDir: string | null;
  hasResult: boolean;
  hasReport: boolean;
  deleted: boolean;
}

export function suiteJsonEntry(r: SuiteRunRecord, f: EntryFacts): SuiteJsonEntry {
  const ran = r.startedMs !== undefined;
  return {
    start: r.start,
    run: r.run,
    entry: r.entry,
    experiment: f.experiment,
    overrides: f.overrides,
    env: f.env,
    seed: r.seed,
    seedDrawn: r.seedDrawn,
    state: r.state,
    verdict: r.verdict ?? r.state,
    reason: r.reason ?? null,
    skipReason: r.skipReason ?? null,
    exitCode: r.exitCode ?? null,
    startedAt: iso(r.startedMs),
    endedAt: iso(r.endedMs),
    durationMs: r.startedMs !== undefined && r.endedMs !== undefined ? r.endedMs - r.startedMs : null,
    outDir: ran ? f.outDir : null,
    result: ran && f.outDir !== null && f.hasResult && !f.deleted ? `${f.outDir}/result.json` : null,
    report: ran && f.outDir !== null && f.hasReport && !f.deleted ? `${f.outDir}/report.html` : null,
    deleted: f.deleted,
    command: r.command ?? null,
  };
}

/** The suite's exit code: 3 when stopped by a halt or signal, 1 when a run failed or aborted, else 0. */
export function suiteExitCode(records: readonly SuiteRunRecord[], halted: boolean): number {
  if (halted) return 3;
  return records.some((r) => r.state === 'failed' || r.state === 'aborted') ? 1 : 0;
}

export function suiteVerdict(exitCode: number | null): SuiteJson['verdict'] {
  if (exitCode === null) return 'running';
  return exitCode === 0 ? 'pass' : exitCode === 3 ? 'halted' : 'fail';
}
