/**
 * Whether `faultline recover` may act on a journal. Recover runs the journal's `command` reverts through the
 * shell and signals the pids of its `owned.stop` records, so a journal must be one this user's own run wrote:
 *
 * 1. the file and its directory pass the trusted-file rule (owned by this user or root, writable by nobody
 *    else), and the file read is the file checked;
 * 2. every run file in the state directory (of this user or root) that names the journal (its run's `outDir` is the journal's
 *    directory, or its run id is the journal's) matches a `run.started` record of the journal — run id, pid and
 *    process start time — and the journal begins with such a record; a journal put in place of the run's own is
 *    refused. A journal no run file names (the run ended, or registered in another state directory) is judged by
 *    rule 1 alone;
 * 3. the run that writes the journal has ended: a live run file for it, or a last `run.started` without a
 *    `run.ended` whose process still runs, means reverting would pull faults from under a running experiment.
 */
import { closeSync, constants, fstatSync, openSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { assertTrustedFile, UntrustedFileError } from '../control/trusted-file.js';
import { isSameProcess } from '../disruptors/proc.js';
import { type RunFile, runFiles } from './halt.js';
import { type JournalEvent, type PendingRevert, pendingReverts, readJournal } from './journal.js';
import { printable } from './revert-words.js';

/** A journal recover may act on. */
export interface RecoveryJournal {
  /** Absolute path. */
  path: string;
  events: JournalEvent[];
  pending: PendingRevert[];
  /** Stale run files of this journal's run(s): recover removes them once nothing is left pending. */
  runFiles: RunFile[];
}

type RunStarted = Extract<JournalEvent, { event: 'run.started' }>;

export function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Reads a journal (a run's, or a suite's with `E` its events) through the descriptor of the very file that
 * passed the trust check.
 */
export function readTrustedJournal<E extends { event: string } = JournalEvent>(path: string): E[] {
  const checked = assertTrustedFile(path, { what: 'journal' });
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw new UntrustedFileError(path, 'journal', `cannot open it (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.dev !== checked.dev || st.ino !== checked.ino)
      throw new UntrustedFileError(path, 'journal', 'it was replaced while being checked');
    return readJournal<E>(fd, path);
  } finally {
    closeSync(fd);
  }
}

function describeRun(r: {
  runId?: string | undefined;
  pid?: number;
  startTime?: number | undefined;
}): string {
  return `run ${printable(r.runId ?? '(no id)')}, pid ${r.pid ?? '?'}, start time ${r.startTime ?? '(none)'}`;
}

/** Whether a `run.started` record is the run a run file registered. */
function sameRun(started: RunStarted, file: RunFile): boolean {
  const r = file.run;
  if (r.runId !== undefined && started.runId !== r.runId) return false;
  if (started.pid !== r.pid) return false;
  return r.startTime === undefined || started.startTime === r.startTime;
}

/**
 * The journal at `path` with what it leaves pending, once it passed the checks above.
 * @throws UntrustedFileError (`FAULTLINE_UNTRUSTED_FILE`) naming the file and why, when recover must not act.
 */
export function openRecoveryJournal(path: string, dir: string): RecoveryJournal {
  const abs = resolve(path);
  const events = readTrustedJournal(abs);
  const starts = events.filter((e): e is RunStarted => e.event === 'run.started');
  const journalDir = realOr(dirname(abs));
  const runIds = new Set(starts.flatMap((s) => (s.runId === undefined ? [] : [s.runId])));
  const uid = typeof process.geteuid === 'function' ? process.geteuid() : undefined;
  const registered = runFiles(dir).filter(
    (f) =>
      // another user's run file says nothing about this user's journal (and must not be able to block it)
      (uid === undefined || f.uid === uid || f.uid === 0) &&
      (realOr(f.run.outDir) === journalDir || (f.run.runId !== undefined && runIds.has(f.run.runId))),
  );
  const refuse = (why: string) => new UntrustedFileError(abs, 'journal', why);
  for (const f of registered) {
    const first = events[0];
    if (first?.event !== 'run.started')
      throw refuse(
        `its first record is ${first === undefined ? 'missing' : `a ${printable(first.event)}`}, not the run.started of the run registered for it in ${printable(f.file)} (${describeRun(f.run)})`,
      );
    if (!starts.some((s) => sameRun(s, f))) {
      throw refuse(
        `its records (first: ${describeRun(first)}) do not match the run registered for it in ${printable(f.file)} (${describeRun(f.run)})`,
      );
    }
    if (f.stale === undefined)
      throw refuse(
        `the run writing it is still running (pid ${f.run.pid}, ${printable(f.run.title)}); stop it with \`faultline halt\``,
      );
  }
  const last = events.findLast((e) => e.event === 'run.started' || e.event === 'run.ended');
  if (
    last?.event === 'run.started' &&
    last.startTime !== undefined &&
    isSameProcess(last.pid, last.startTime)
  ) {
    throw refuse(`the run writing it is still running (pid ${last.pid}); stop it with \`faultline halt\``);
  }
  return { path: abs, events, pending: pendingReverts(events), runFiles: registered };
}
