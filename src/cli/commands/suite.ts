/**
 * `faultline suite FILE --dry-run [--seed N] [--set path=value]… [--only NAME] [--now ISO]`: validates a suite and
 * prints its calendar and run order. Running the entries lands in the next increment; until then a run without
 * --dry-run is refused with one line saying what works today (exit 2), rather than pretending to run.
 */
import type { Command } from 'commander';
import { InvalidOptionError } from '../../core/errors.js';
import { normalizeSeed } from '../../core/random.js';
import { scalarFromText } from '../../experiment/substitute.js';
import { formatExperimentError } from '../../experiment/validate.js';
import { formatSuiteDryRun, planSuite } from '../../suite/dry-run.js';
import { validateSuiteFile } from '../../suite/validate.js';
import { parseSeedOption } from '../seed.js';
import { collect, parseSets } from './validate.js';

interface SuiteCliOptions {
  dryRun?: boolean;
  seed?: string;
  set: string[];
  only?: string;
  now?: string;
}

export function registerSuiteCommand(program: Command): void {
  program
    .command('suite')
    .description('plan a suite of experiments: --dry-run prints its calendar and run order')
    .argument('<file>', 'the suite file (YAML)')
    .option('--dry-run', 'validate and print the calendar and run order (the only mode today)')
    .option('--seed <seed>', "seed for every random choice (overrides the suite's seed)")
    .option('--set <path=value>', 'override a field of the suite, e.g. parallel=2 (repeatable)', collect, [])
    .option('--only <name>', 'plan only this entry')
    .option('--now <iso>', 'plan the calendar from this time instead of the current one (UTC)')
    .action((file: string, o: SuiteCliOptions) => {
      if (!o.dryRun)
        throw new InvalidOptionError(
          '--dry-run',
          'is required: running suites is not available yet; `faultline suite FILE --dry-run` prints the plan',
        );
      const nowMs = o.now === undefined ? Date.now() : Date.parse(o.now);
      if (Number.isNaN(nowMs)) throw new InvalidOptionError('--now', `expected an ISO time, got '${o.now}'`);
      const set = Object.fromEntries(
        Object.entries(parseSets(o.set)).map(([k, v]) => [k, scalarFromText(v)]),
      );
      const result = validateSuiteFile(file, { set, env: process.env });
      if (!result.ok) {
        for (const e of result.errors) process.stderr.write(`${formatExperimentError(e)}\n`);
        process.exitCode = 2;
        return;
      }
      const { suite } = result;
      if (o.only !== undefined && !suite.runs.some((r) => r.name === o.only))
        throw new InvalidOptionError(
          '--only',
          `no entry named '${o.only}'; entries: ${suite.runs.map((r) => r.name).join(', ')}`,
        );
      // without a seed anywhere the plan would differ on every call: 0 keeps it reproducible, and says so
      const seed = o.seed !== undefined ? parseSeedOption(o.seed) : normalizeSeed(suite.seed ?? 0);
      const plan = planSuite(suite, result.experiments, {
        seed,
        nowMs,
        ...(o.only === undefined ? {} : { only: o.only }),
      });
      process.stdout.write(`${formatSuiteDryRun(suite, plan, o.only)}\n`);
    });
}
