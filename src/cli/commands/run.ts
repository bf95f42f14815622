/**
 * `faultline run FILE [--dry-run] [--seed N] [--set name=value]`. With `--dry-run` it validates the file and
 * prints the resolved schedule — which instance gets which fault when — without touching anything; the same
 * seed prints the same schedule. Running for real comes with the experiment engine.
 */
import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { FaultlineError, InvalidOptionError } from '../../core/errors.js';
import { normalizeSeed } from '../../core/random.js';
import { formatPlan } from '../../experiment/format.js';
import { planExperiment } from '../../experiment/plan.js';
import { formatExperimentError, validateExperimentFile } from '../../experiment/validate.js';
import { collect, parseSets } from './validate.js';

interface RunCliOptions {
  dryRun?: boolean;
  seed?: string;
  set: string[];
  json?: boolean;
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
    .action((file: string, o: RunCliOptions) => {
      const result = validateExperimentFile(file, { set: parseSets(o.set), env: process.env });
      if (!result.ok) {
        for (const e of result.errors) process.stderr.write(`${formatExperimentError(e)}\n`);
        process.exitCode = 2;
        return;
      }
      let seed: number;
      let chosen = false;
      try {
        if (o.seed !== undefined) seed = normalizeSeed(o.seed);
        else if (result.spec.seed !== undefined) seed = normalizeSeed(result.spec.seed);
        else {
          seed = randomInt(0, 2 ** 47);
          chosen = true;
        }
      } catch (err) {
        throw new InvalidOptionError('--seed', (err as Error).message);
      }
      if (!o.dryRun) {
        throw new FaultlineError(
          'FAULTLINE_NOT_IMPLEMENTED',
          'run: executing experiments is not implemented yet; use --dry-run to print the schedule',
          { exitCode: 1 },
        );
      }
      const plan = planExperiment(result.spec, seed);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${formatPlan(plan, result.spec.title)}\n`);
      if (chosen) process.stdout.write(`(seed chosen at random: replay this schedule with --seed ${seed})\n`);
    });
}
