/**
 * `faultline recover [journal]`: finishes a rollback the runner could not (it was killed, the machine
 * rebooted): reverts every fault the journal shows applied and not reverted, last in first out, retrying a
 * failing revert, and appends each outcome to the journal. Exit 0 when everything is reverted, 1 otherwise.
 * Without an argument it takes the newest `faultline-results/<run>/journal.ndjson` (by modification time).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { FaultlineError, InvalidOptionError } from '../../core/errors.js';
import { revertPending } from '../../disruptors/apply.js';
import { openJournal, pendingReverts, readJournal } from '../../experiment/journal.js';

/** The newest `<dir>/<run>/journal.ndjson`. @throws FaultlineError when there is none. */
export function newestJournal(dir: string): string {
  let best: { path: string; mtime: number } | undefined;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new FaultlineError('FAULTLINE_NO_JOURNAL', `no journal given and no results directory ${dir}`);
  }
  for (const entry of entries) {
    const path = join(dir, entry, 'journal.ndjson');
    try {
      const mtime = statSync(path).mtimeMs;
      if (best === undefined || mtime > best.mtime) best = { path, mtime };
    } catch {
      // not a run directory
    }
  }
  if (best === undefined)
    throw new FaultlineError('FAULTLINE_NO_JOURNAL', `no journal.ndjson under ${dir}/*/`);
  return best.path;
}

function positiveInt(field: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidOptionError(field, `expected a whole number >= 1; got '${value}'`);
  return n;
}

/** Registers `faultline recover`. */
export function registerRecoverCommand(program: Command): void {
  program
    .command('recover')
    .description(
      'revert every fault a journal shows applied and not reverted (after a crashed or killed run)',
    )
    .argument('[journal]', 'the journal (default: the newest faultline-results/*/journal.ndjson)')
    .option('--results <dir>', 'where to look for the newest journal', 'faultline-results')
    .option('--attempts <n>', 'attempts per revert before it counts as failed', '3')
    .action(async (file: string | undefined, o: { results: string; attempts: string }) => {
      const attempts = positiveInt('--attempts', o.attempts);
      const path = resolve(file ?? newestJournal(o.results));
      const pending = pendingReverts(readJournal(path));
      if (pending.length === 0) {
        process.stdout.write(`${path}: nothing to revert\n`);
        return;
      }
      process.stdout.write(`${path}: ${pending.length} fault(s) to revert\n`);
      const journal = openJournal(path);
      try {
        const outcomes = await revertPending(journal, pending, { attempts }, (out, p) => {
          const what = `${p.fault ?? p.id} (${p.disruptor} on ${p.instance})`;
          process.stdout.write(
            out.ok
              ? `reverted ${what}${out.attempts > 1 ? ` after ${out.attempts} attempts` : ''}\n`
              : `FAILED   ${what} after ${out.attempts} attempts: ${out.error}\n`,
          );
        });
        const failed = outcomes.filter((x) => !x.ok).length;
        if (failed > 0) {
          process.stdout.write(`${failed} revert(s) failed; they stay pending in the journal\n`);
          process.exitCode = 1;
        }
      } finally {
        journal.close();
      }
    });
}
