/**
 * `faultline suite FILE [--dry-run] [--seed N] [--set path=value]… [--only NAME] [--out DIR] [--now ISO]`.
 * With --dry-run: validates the suite and prints its calendar and run order (--now plans from another time).
 * Without: runs it — each run a `faultline run` child process — with live progress (a redrawn table on a
 * terminal, one line per state change otherwise), then says where suite.json, junit.xml and index.html are.
 * Exit codes: 0 every run passed, 1 one failed or aborted, 2 invalid input, 3 halted (`faultline halt`, a signal).
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { InvalidOptionError } from '../../core/errors.js';
import { normalizeSeed } from '../../core/random.js';
import type { ExperimentSpec } from '../../experiment/schema.js';
import { fieldValueFromText, formatExperimentError } from '../../experiment/validate.js';
import { formatSuiteDryRun, planSuite } from '../../suite/dry-run.js';
import { formatSuiteChange, formatSuiteTable } from '../../suite/progress.js';
import { runSuite } from '../../suite/run.js';
import type { SuiteRunRecord } from '../../suite/runner.js';
import type { SuiteSpec } from '../../suite/schema.js';
import { validateSuiteFile } from '../../suite/validate.js';
import { parseSeedOption } from '../seed.js';
import { listenForStop } from '../stop-signals.js';
import { collect, parseSets } from './validate.js';

interface SuiteCliOptions {
  dryRun?: boolean;
  seed?: string;
  set: string[];
  only?: string;
  now?: string;
  out?: string;
  report: boolean;
  once?: boolean;
}

export function registerSuiteCommand(program: Command): void {
  program
    .command('suite')
    .description(
      'run a suite of experiments (in order, in parallel, on a schedule); --dry-run prints the plan',
    )
    .argument('<file>', 'the suite file (YAML)')
    .option('--dry-run', 'validate and print the calendar and run order, then exit')
    .option('--seed <seed>', "seed for every random choice (overrides the suite's seed)")
    .option('--set <path=value>', 'override a field of the suite, e.g. parallel=2 (repeatable)', collect, [])
    .option('--only <name>', 'run (or plan) only this entry; its dependencies are not run')
    .option('--out <dir>', 'where results go (default faultline-results/<timestamp>-suite-<name>)')
    .option('--no-report', "do not write each run's report.html")
    .option('--once', "start once, now, whatever the file's schedule says (to try a scheduled suite)")
    .option(
      '--now <iso>',
      'with --dry-run: plan the calendar from this time instead of the current one (UTC)',
    )
    .action(async (file: string, o: SuiteCliOptions) => {
      if (o.now !== undefined && !o.dryRun)
        throw new InvalidOptionError(
          '--now',
          'only plans (with --dry-run): a real run starts from the current time',
        );
      const nowMs = o.now === undefined ? Date.now() : Date.parse(o.now);
      if (Number.isNaN(nowMs)) throw new InvalidOptionError('--now', `expected an ISO time, got '${o.now}'`);
      const set = Object.fromEntries(
        Object.entries(parseSets(o.set)).map(([k, v]) => [k, fieldValueFromText(v)]),
      );
      const result = validateSuiteFile(file, { set, env: process.env });
      if (!result.ok) {
        for (const e of result.errors) process.stderr.write(`${formatExperimentError(e)}\n`);
        process.exitCode = 2;
        return;
      }
      // --once: the suite without its schedule, which starts once, now
      const { schedule: _schedule, ...unscheduled } = result.suite;
      const suite: SuiteSpec = o.once ? unscheduled : result.suite;
      if (o.only !== undefined && !suite.runs.some((r) => r.name === o.only))
        throw new InvalidOptionError(
          '--only',
          `no entry named '${o.only}'; entries: ${suite.runs.map((r) => r.name).join(', ')}`,
        );
      // without a seed anywhere the plan would differ on every call: 0 keeps it reproducible, and says so
      const seed = o.seed !== undefined ? parseSeedOption(o.seed) : normalizeSeed(suite.seed ?? 0);
      if (o.dryRun) {
        const plan = planSuite(suite, result.experiments, {
          seed,
          nowMs,
          ...(o.only === undefined ? {} : { only: o.only }),
        });
        process.stdout.write(`${formatSuiteDryRun(suite, plan, o.only)}\n`);
        return;
      }
      process.exitCode = await runForReal(file, suite, result.experiments, seed, set, o);
    });
}

async function runForReal(
  file: string,
  suite: SuiteSpec,
  experiments: Map<string, ExperimentSpec>,
  seed: number,
  set: Record<string, unknown>,
  o: SuiteCliOptions,
): Promise<number> {
  const tty = process.stdout.isTTY === true;
  const { stop, hurry, dispose } = listenForStop(
    'stopping the suite — running runs roll back, waiting ones are skipped',
    'the runs skip their waits; still reverting',
  );
  let startedMs = Date.now();
  let starts = 1;
  let records: readonly SuiteRunRecord[] = [];
  let drawn = 0;
  const draw = () => {
    const lines = formatSuiteTable(records, Date.now(), starts);
    // back to the table's first line, clear to the end, redraw
    process.stdout.write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const timer = tty ? setInterval(draw, 1000) : undefined;
  const printed = new Map<string, string>();
  try {
    const run = await runSuite(suite, experiments, {
      file,
      seed,
      set,
      signal: stop.signal,
      hurry: hurry.signal,
      report: o.report,
      ...(o.only === undefined ? {} : { only: o.only }),
      ...(o.out === undefined ? {} : { outDir: o.out }),
      onStart: (info) => {
        startedMs = Date.now();
        starts = info.startsMs.length;
        const next = info.startsMs[0] ?? startedMs;
        process.stdout.write(
          `faultline suite ${file} (seed ${seed}): ${suite.title}\nresults: ${rel(info.outDir)}/${next > startedMs + 1000 ? `\nfirst start at ${new Date(next).toISOString()}` : ''}\n\n`,
        );
      },
      onChange: (r, all) => {
        records = all;
        if (tty) return draw();
        // on a log: one line per state change (not per phase)
        const k = `${r.start}/${r.run}`;
        if (printed.get(k) === r.state) return;
        printed.set(k, r.state);
        process.stdout.write(`${formatSuiteChange(r, startedMs, Date.now(), starts)}\n`);
      },
    });
    if (tty) draw();
    const s = run.suite;
    const counts = ['passed', 'failed', 'aborted', 'skipped']
      .map((st) => [st, s.entries.filter((e) => e.state === st).length] as const)
      .filter(([, n]) => n > 0)
      .map(([st, n]) => `${n} ${st}`)
      .join(', ');
    process.stdout.write(
      `\n${s.verdict.toUpperCase()}  ${suite.title}: ${counts || 'nothing ran'}${s.stopped ? ` (stopped: ${s.stopped})` : ''}\n`,
    );
    process.stdout.write(`results: ${rel(run.outDir)}/ (suite.json, junit.xml, index.html)\n`);
    process.stdout.write(`index:   ${rel(run.indexPath)}\n`);
    return run.exitCode;
  } finally {
    if (timer) clearInterval(timer);
    dispose();
  }
}

function rel(p: string): string {
  const r = relative(process.cwd(), p);
  return r === '' || r.startsWith('..') ? p : r;
}
