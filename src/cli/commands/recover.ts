/**
 * `faultline recover [journal] [--dry-run]`: finishes a rollback the runner could not (it was killed, the machine
 * rebooted): reverts every fault the journal shows applied and not reverted, last in first out, retrying a
 * failing revert, and appends each outcome to the journal. Exit 0 when everything is reverted, 1 otherwise.
 * Without an argument it takes the newest `faultline-results/<run>/journal.ndjson` (by modification time).
 *
 * It acts only on a journal this user's own run wrote (see experiment/recovery.ts) and refuses any other with
 * one line naming the file and why. It also removes the run files that killed runs left in the state directory
 * (stale: their process is gone), once their journal has nothing left to revert.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { InvalidOptionError } from '../../core/errors.js';
import { revertPending } from '../../disruptors/apply.js';
import { type RunFile, removeStaleRunFile, runFiles, stateDir } from '../../experiment/halt.js';
import { openJournal, pendingReverts, readJournal } from '../../experiment/journal.js';
import { openRecoveryJournal } from '../../experiment/recovery.js';
import { describeRevert, printable } from '../../experiment/revert-words.js';
import { FleetConnections } from '../../fleet/connections.js';
import { openSuiteRecovery, SUITE_JOURNAL, type SuiteJournalEvent } from '../../suite/journal.js';
import { runSweep, type SweepCliOptions } from './sweep.js';

/**
 * The newest `<dir>/<run>/journal.ndjson` or `<dir>/<suite>/suite-journal.ndjson` (by modification time), or
 * undefined when there is none (or no `dir`). `names` narrows which journals count.
 */
export function newestJournal(
  dir: string,
  names: readonly string[] = ['journal.ndjson', SUITE_JOURNAL],
): string | undefined {
  let best: { path: string; mtime: number } | undefined;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    for (const name of names) {
      const path = join(dir, entry, name);
      try {
        const mtime = statSync(path).mtimeMs;
        if (best === undefined || mtime > best.mtime) best = { path, mtime };
      } catch {
        // not a run (or suite) directory
      }
    }
  }
  return best?.path;
}

function positiveInt(field: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidOptionError(field, `expected a whole number >= 1; got '${value}'`);
  return n;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Reverts still pending in a stale run's journal; undefined when it cannot be read. */
function pendingIn(journal: string): number | undefined {
  try {
    return pendingReverts(readJournal(journal)).length;
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    return cause?.code === 'ENOENT' ? 0 : undefined;
  }
}

/** Reverts still pending in the runs of a stale suite's directory; undefined when its journal cannot be read. */
function suitePendingIn(outDir: string): number | undefined {
  let runs: string[];
  try {
    runs = readJournal<SuiteJournalEvent>(join(outDir, SUITE_JOURNAL)).flatMap((e) =>
      e.event === 'entry.started' ? [e.outDir] : [],
    );
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    return cause?.code === 'ENOENT' ? 0 : undefined;
  }
  let total = 0;
  for (const d of runs) {
    const n = pendingIn(join(d, 'journal.ndjson'));
    if (n === undefined) return undefined;
    total += n;
  }
  return total;
}

function removeRunFile(f: RunFile, dryRun: boolean): void {
  const what = `stale run file ${f.file} (${f.stale})`;
  if (dryRun) say(`would remove ${what}`);
  else if (removeStaleRunFile(f)) say(`removed ${what}`);
  else say(`kept ${what}: it changed meanwhile or belongs to another user`);
}

/**
 * Stale run files of other runs: removed when their journal has nothing left to revert (or is gone); a run that
 * died with reverts pending keeps its run file, and recover names the journal to recover next.
 */
function tidyOtherRunFiles(dir: string, skip: ReadonlySet<string>, dryRun: boolean): void {
  for (const f of runFiles(dir, 'suites')) {
    if (f.stale === undefined || skip.has(f.file)) continue;
    const left = suitePendingIn(f.run.outDir);
    if (left === 0) removeRunFile(f, dryRun);
    else
      say(
        `kept stale suite file ${f.file} (${f.stale}): ${left === undefined ? 'cannot read its journal' : `${left} revert(s) pending in its runs`}; run \`faultline recover ${f.run.outDir}\``,
      );
  }
  for (const f of runFiles(dir)) {
    if (f.stale === undefined || skip.has(f.file)) continue;
    const journal = join(f.run.outDir, 'journal.ndjson');
    const left = pendingIn(journal);
    if (left === 0) removeRunFile(f, dryRun);
    else
      say(
        `kept stale run file ${f.file} (${f.stale}): ${left === undefined ? 'cannot read' : `${left} revert(s) pending in`} ${journal}; run \`faultline recover ${journal}\``,
      );
  }
}

/** Recovers one run's journal; returns the run files it dealt with (its own) and how many reverts failed. */
async function recoverRun(
  path: string,
  dir: string,
  o: { attempts: number; dryRun: boolean },
): Promise<{ own: Set<string>; failed: number }> {
  const recovery = openRecoveryJournal(path, dir);
  const own = new Set(recovery.runFiles.map((f) => f.file));
  const { pending } = recovery;
  let failed = 0;
  if (pending.length === 0) {
    say(`${recovery.path}: nothing to revert`);
  } else if (o.dryRun) {
    say(`${recovery.path}: ${pending.length} fault(s) to revert (dry run: nothing is changed)`);
    for (const p of pending)
      say(`${describeRevert(p).would}${p.applied ? '' : ' (it may never have taken effect)'}`);
    say(`dry run: ${pending.length} revert(s) would be made; nothing was changed`);
  } else {
    say(`${recovery.path}: ${pending.length} fault(s) to revert`);
    const journal = openJournal(recovery.path);
    // one connection per host for every revert on it, reconnecting from what each record journaled
    const connections = new FleetConnections({ connectTimeoutMs: 10_000 });
    try {
      const outcomes = await revertPending(
        journal,
        pending,
        { attempts: o.attempts },
        (out, p) => {
          const words = describeRevert(p);
          say(
            out.ok
              ? `${words.done}${out.attempts > 1 ? ` (after ${out.attempts} attempts)` : ''}`
              : `FAILED to ${words.todo} after ${out.attempts} attempts: ${out.error}`,
          );
        },
        { connections },
      );
      failed = outcomes.filter((x) => !x.ok).length;
    } finally {
      journal.close();
      await connections.close();
    }
    say(
      failed === 0
        ? `recovered: ${pending.length} of ${pending.length} reverted`
        : `${pending.length - failed} of ${pending.length} reverted, ${failed} failed: still pending in the journal; run \`faultline recover ${recovery.path}\` again`,
    );
  }
  // the run file stays while reverts are pending: the next recover checks the journal against it again
  if (failed === 0) for (const f of recovery.runFiles) removeRunFile(f, o.dryRun);
  return { own, failed };
}

/**
 * Recovers every run a suite journal says was started, each through its own journal; a run whose journal is
 * refused (its run still going, say) is told and counted, and the others are still recovered.
 */
async function recoverSuite(
  path: string,
  dir: string,
  o: { attempts: number; dryRun: boolean },
): Promise<{ own: Set<string>; failed: number }> {
  const suite = openSuiteRecovery(path, dir);
  say(`suite "${printable(suite.title)}" (${suite.path}): ${suite.runs.length} run(s) started`);
  const own = new Set(suite.registrations.map((f) => f.file));
  let failed = 0;
  for (const r of suite.runs) {
    const journal = join(r.outDir, 'journal.ndjson');
    if (!existsSync(journal)) {
      say(`${r.run}: no journal in ${r.outDir} (the run never began): nothing to revert`);
      continue;
    }
    try {
      const one = await recoverRun(journal, dir, o);
      for (const f of one.own) own.add(f);
      failed += one.failed;
    } catch (err) {
      say(`${r.run}: ${(err as Error).message}`);
      failed += 1;
    }
  }
  if (failed === 0) for (const f of suite.registrations) removeRunFile(f, o.dryRun);
  return { own, failed };
}

/** Whether `path` (a file or a directory) is a suite's: its directory, or its suite journal. */
function suiteJournalOf(path: string): string | undefined {
  try {
    if (statSync(path).isDirectory()) {
      const j = join(path, SUITE_JOURNAL);
      return existsSync(j) ? j : undefined;
    }
  } catch {
    return undefined; // missing: the run journal path reports it
  }
  return basename(path) === SUITE_JOURNAL ? path : undefined;
}

/** Registers `faultline recover`. */
export function registerRecoverCommand(program: Command): void {
  program
    .command('recover')
    .description(
      'revert every fault a journal shows applied and not reverted (after a crashed or killed run or suite)',
    )
    .argument(
      '[journal]',
      "a run's journal or directory, or a suite's directory or suite-journal.ndjson (default: the newest under --results)",
    )
    .option('--results <dir>', 'where to look for the newest journal', 'faultline-results')
    .option('--suite', 'without a journal: take the newest suite, not the newest run or suite')
    .option('--attempts <n>', 'attempts per revert before it counts as failed', '3')
    .option('--dry-run', 'say what would be reverted and which run files removed; change nothing')
    .option(
      '--sweep',
      'instead: undo what faultline left on hosts (stopped processes, …), journal or not; needs --hosts',
    )
    .option('--hosts <names>', 'with --sweep: hosts or groups, comma-separated (all: every host)')
    .option('--inventory <file>', 'with --sweep: an Ansible inventory (default: the hosts the journal names)')
    .option('--known-hosts <file>', 'with --sweep --inventory: known_hosts (default ~/.ssh/known_hosts)')
    .option('--host-key <policy>', 'with --sweep --inventory: strict or accept-new', 'strict')
    .action(
      async (
        file: string | undefined,
        o: { results: string; attempts: string; dryRun?: boolean; suite?: boolean } & SweepCliOptions,
      ) => {
        const opts = { attempts: positiveInt('--attempts', o.attempts), dryRun: o.dryRun === true };
        if (o.sweep) {
          await runSweep(
            file ?? (o.inventory === undefined ? newestJournal(o.results, ['journal.ndjson']) : undefined),
            o,
            say,
          );
          return;
        }
        const dir = stateDir();
        const path = file ?? newestJournal(o.results, o.suite ? [SUITE_JOURNAL] : undefined);
        if (path === undefined) {
          say(`nothing to recover: no ${o.suite ? 'suite ' : ''}journal under ${o.results}/*/`);
          tidyOtherRunFiles(dir, new Set(), opts.dryRun);
          return;
        }
        const suite = suiteJournalOf(path);
        let runJournal = path;
        if (suite === undefined && existsSync(join(path, 'journal.ndjson')))
          runJournal = join(path, 'journal.ndjson');
        const { own, failed } =
          suite !== undefined
            ? await recoverSuite(suite, dir, opts)
            : await recoverRun(runJournal, dir, opts);
        if (failed > 0) process.exitCode = 1;
        tidyOtherRunFiles(dir, own, opts.dryRun);
      },
    );
}
