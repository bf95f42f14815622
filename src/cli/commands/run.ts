/**
 * `faultline run FILE [--seed N] [--set name=value]… [--out DIR] [--no-report] [--dry-run [--json]]`.
 * Runs an experiment with live progress (a redrawn status line on a terminal, plain lines otherwise), then
 * prints the summary and where the results are. Exit codes: 0 pass, 1 hypothesis failed, 2 invalid input,
 * 3 aborted (a condition, a signal, `faultline halt`), 4 not ready. The first SIGINT/SIGTERM/SIGHUP aborts and
 * rolls back; a second one skips the waits (load drain, steady state after) but still reverts every fault.
 */
import { randomInt } from 'node:crypto';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { normalizeSeed } from '../../core/random.js';
import { shellWord as quote } from '../../core/shell-word.js';
import { runExperiment } from '../../experiment/engine.js';
import { formatPlan } from '../../experiment/format.js';
import { planExperiment } from '../../experiment/plan.js';
import { formatRunEvent, formatRunProgress } from '../../experiment/progress.js';
import { formatExperimentError, validateExperimentFile } from '../../experiment/validate.js';
import { renderTextSummary } from '../../report/text.js';
import { faultlineCommand } from '../invocation.js';
import { parseSeedOption } from '../seed.js';
import { listenForStop } from '../stop-signals.js';
import { collect, parseSets } from './validate.js';

interface RunCliOptions {
  dryRun?: boolean;
  seed?: string;
  set: string[];
  json?: boolean;
  out?: string;
  report: boolean;
}

/** Registers `faultline run`. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run an experiment; --dry-run prints the schedule the seed gives without touching anything')
    .argument('<file>', 'the experiment file (YAML)')
    .option('--dry-run', 'validate and print the resolved schedule, then exit')
    .option('--seed <seed>', "seed for every random choice (overrides the file's seed)")
    .option('--set <name=value>', 'override a parameter default (repeatable)', collect, [])
    .option('--json', 'with --dry-run: print the plan as JSON')
    .option('--out <dir>', 'where results go (default faultline-results/<timestamp>)')
    .option('--no-report', 'do not write report.html')
    .action(async (file: string, o: RunCliOptions) => {
      const result = validateExperimentFile(file, { set: parseSets(o.set), env: process.env });
      if (!result.ok) {
        for (const e of result.errors) process.stderr.write(`${formatExperimentError(e)}\n`);
        process.exitCode = 2;
        return;
      }
      let seed: number;
      let chosen = false;
      if (o.seed !== undefined) seed = parseSeedOption(o.seed);
      // the file's seed passed validation, which refuses what normalizeSeed would
      else if (result.spec.seed !== undefined) seed = normalizeSeed(result.spec.seed);
      else {
        seed = randomInt(0, 2 ** 47);
        chosen = true;
      }
      if (o.dryRun) {
        const plan = planExperiment(result.spec, seed);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${formatPlan(plan, result.spec.title)}\n`);
        for (const [name, t] of Object.entries(result.spec.targets))
          if ((t.type === 'service' || t.type === 'host') && t.select !== undefined)
            process.stdout.write(
              `(target ${name}: its instances are chosen when the run starts, by select; the run plans again, with this seed, over the hosts chosen)\n`,
            );
        if (chosen)
          process.stdout.write(`(seed chosen at random: replay this schedule with --seed ${seed})\n`);
        return;
      }
      await runForReal(file, seed, result.spec, o);
    });
}

async function runForReal(
  file: string,
  seed: number,
  spec: Parameters<typeof runExperiment>[0],
  o: RunCliOptions,
): Promise<void> {
  const tty = process.stdout.isTTY === true;
  const { stop, hurry, dispose } = listenForStop(
    'stopping — rolling back every fault (again to skip the waits)',
    'skipping the waits; still reverting',
  );
  // started by `faultline suite` (an IPC channel): report the phase to it, and roll back if it dies
  const suite = process.send === undefined ? undefined : suiteChannel(stop);
  const sets = o.set.map((s) => ` --set ${quote(s)}`).join('');
  // what the user pastes to run it again: `npx faultline` where the bare name is not on PATH
  const command = `${faultlineCommand()} run ${quote(file)} --seed ${seed}${sets}`;
  let status = '';
  const clearStatus = () => {
    if (tty && status !== '') process.stdout.write('\r\x1b[K');
  };
  let startedMs = Date.now();
  let lastPlain = 0;
  process.stdout.write(`faultline run ${file} (seed ${seed})\n`);
  try {
    const run = await runExperiment(spec, {
      seed,
      file,
      command,
      report: o.report,
      signal: stop.signal,
      hurry: hurry.signal,
      ...(o.out === undefined ? {} : { outDir: o.out }),
      onEvent: (e) => {
        if (e.kind === 'run.started') startedMs = e.tMs;
        clearStatus();
        process.stdout.write(`${formatRunEvent(e, startedMs)}\n`);
        if (tty && status !== '') process.stdout.write(status);
      },
      onProgress: (p) => {
        suite?.phase(p.phase);
        status = formatRunProgress(p);
        if (tty) process.stdout.write(`\r\x1b[K${status}`);
        else if (p.elapsedMs - lastPlain >= 5000) {
          lastPlain = p.elapsedMs;
          process.stdout.write(`${status}\n`);
        }
      },
    });
    clearStatus();
    process.stdout.write(`\n${renderTextSummary(run.result)}\n\n`);
    const rel = (p: string) => {
      const r = relative(process.cwd(), p);
      return r === '' || r.startsWith('..') ? p : r;
    };
    process.stdout.write(`results: ${rel(run.outDir)}/ (result.json, junit.xml, journal.ndjson)\n`);
    if (run.reportPath) process.stdout.write(`report:  ${rel(run.reportPath)}\n`);
    process.exitCode = run.exitCode;
  } finally {
    dispose();
    suite?.close();
  }
}

/**
 * The IPC channel to the `faultline suite` that started this run: phases go to it (its progress table), and
 * its closing — the suite died, say by kill -9 — stops the run, which rolls back like on a signal.
 */
function suiteChannel(stop: AbortController): { phase: (phase: string) => void; close: () => void } {
  let last = '';
  const onGone = () => {
    process.stderr.write('\nthe suite that started this run is gone: stopping — rolling back every fault\n');
    stop.abort('the suite that started this run is gone');
  };
  process.on('disconnect', onGone);
  return {
    phase: (phase) => {
      if (phase === last || !process.connected) return;
      last = phase;
      process.send?.({ faultline: 'phase', phase }, undefined, {}, () => {}); // a gone suite is onGone's to handle
    },
    close: () => {
      process.off('disconnect', onGone);
      if (process.connected) process.disconnect(); // an open channel would keep this process alive
    },
  };
}
