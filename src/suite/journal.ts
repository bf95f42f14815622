/**
 * The suite journal, `suite-journal.ndjson` in the suite's output directory: which run of which entry ran where,
 * written (and fsync'd) before each child starts, so `faultline recover` can find every run's own journal after
 * the suite was killed. Same file discipline as a run's journal (journal.ts: 0600, one line per event); the
 * suite registers in the state directory under `suites/` (halt.ts), as runs do under `runs/`.
 *
 * Recover acts on a suite journal under the rules of a run's (experiment/recovery.ts): a trusted file, whose
 * first record matches the suite registered for its directory, and whose suite is no longer running.
 */
import { dirname, resolve } from 'node:path';
import { UntrustedFileError } from '../control/trusted-file.js';
import { isSameProcess } from '../disruptors/proc.js';
import { type RunFile, runFiles } from '../experiment/halt.js';
import { type Journal, openJournal } from '../experiment/journal.js';
import { readTrustedJournal, realOr } from '../experiment/recovery.js';
import { printable } from '../experiment/revert-words.js';

export const SUITE_JOURNAL = 'suite-journal.ndjson';

export type SuiteJournalEvent = { at: string } & (
  | {
      event: 'suite.started';
      title: string;
      seed: number;
      pid: number;
      startTime?: number;
      /** The id in the suite's registration (`suites/<pid>.json`). */
      suiteId: string;
      file?: string;
    }
  /** Before the child starts: where its run writes (its journal is `outDir/journal.ndjson`). */
  | { event: 'entry.started'; start: number; run: string; outDir: string }
  | { event: 'entry.running'; start: number; run: string; pid: number }
  | {
      event: 'entry.ended';
      start: number;
      run: string;
      state: string;
      exitCode: number | null;
      verdict?: string;
    }
  | { event: 'entry.skipped'; start: number; run: string; reason: string }
  | { event: 'suite.ended'; exitCode: number; stopped?: string }
);

export type SuiteJournal = Journal<SuiteJournalEvent>;

export function openSuiteJournal(path: string): SuiteJournal {
  return openJournal<SuiteJournalEvent>(path);
}

/** A run a suite journal says was started. */
export interface SuiteJournalRun {
  start: number;
  run: string;
  outDir: string;
}

/** A suite journal recover may act on. */
export interface SuiteRecovery {
  path: string;
  title: string;
  runs: SuiteJournalRun[];
  /** Stale registrations of this suite: recover removes them once its runs are recovered. */
  registrations: RunFile[];
}

type SuiteStarted = Extract<SuiteJournalEvent, { event: 'suite.started' }>;

/**
 * The suite journal at `path`, once it passed the checks above.
 * @throws UntrustedFileError naming the file and why, when recover must not act on it.
 */
export function openSuiteRecovery(path: string, stateDir: string): SuiteRecovery {
  const abs = resolve(path);
  const events = readTrustedJournal<SuiteJournalEvent>(abs);
  const refuse = (why: string) => new UntrustedFileError(abs, 'suite journal', why);
  const first = events[0];
  if (first?.event !== 'suite.started')
    throw refuse(
      `its first record is ${first === undefined ? 'missing' : printable(first.event)}, not suite.started`,
    );
  const starts = events.filter((e): e is SuiteStarted => e.event === 'suite.started');
  const dir = realOr(dirname(abs));
  const uid = typeof process.geteuid === 'function' ? process.geteuid() : undefined;
  const registrations = runFiles(stateDir, 'suites').filter(
    (f) =>
      (uid === undefined || f.uid === uid || f.uid === 0) &&
      (realOr(f.run.outDir) === dir || starts.some((s) => s.suiteId === f.run.runId)),
  );
  for (const f of registrations) {
    const matches = starts.some(
      (s) =>
        s.suiteId === f.run.runId &&
        s.pid === f.run.pid &&
        (f.run.startTime === undefined || s.startTime === f.run.startTime),
    );
    if (!matches)
      throw refuse(
        `its records do not match the suite registered for it in ${printable(f.file)} (pid ${f.run.pid})`,
      );
    if (f.stale === undefined)
      throw refuse(
        `the suite writing it is still running (pid ${f.run.pid}, ${printable(f.run.title)}); stop it with \`faultline halt\``,
      );
  }
  const last = events.findLast((e) => e.event === 'suite.started' || e.event === 'suite.ended');
  if (
    last?.event === 'suite.started' &&
    last.startTime !== undefined &&
    isSameProcess(last.pid, last.startTime)
  )
    throw refuse(`the suite writing it is still running (pid ${last.pid}); stop it with \`faultline halt\``);
  const runs = events.flatMap((e) =>
    e.event === 'entry.started' ? [{ start: e.start, run: e.run, outDir: e.outDir }] : [],
  );
  return { path: abs, title: first.title, runs, registrations };
}
