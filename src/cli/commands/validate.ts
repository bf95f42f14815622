/**
 * `faultline validate FILE [--set name=value]`: prints `ok`, or one line per error
 * (`file:line:col: field: message`) and exits 2. Never a stack trace: the validator returns errors as data.
 */
import type { Command } from 'commander';
import { InvalidOptionError } from '../../core/errors.js';
import { formatExperimentError, validateExperimentFile } from '../../experiment/validate.js';

/** Parses repeated `--set name=value` options. */
export function parseSets(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const i = item.indexOf('=');
    if (i <= 0) throw new InvalidOptionError('--set', `expected name=value, got '${item}'`);
    out[item.slice(0, i).trim()] = item.slice(i + 1);
  }
  return out;
}

/** Collects a repeatable option. */
export const collect = (value: string, previous: string[]) => [...previous, value];

/** Registers `faultline validate`. */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check an experiment file; errors name file:line:column and the field (exit 2)')
    .argument('<file>', 'the experiment file (YAML)')
    .option('--set <name=value>', 'override a parameter default (repeatable)', collect, [])
    .option('--json', 'print { ok, errors } as JSON')
    .action((file: string, o: { set: string[]; json?: boolean }) => {
      const result = validateExperimentFile(file, { set: parseSets(o.set), env: process.env });
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({ ok: result.ok, errors: result.ok ? [] : result.errors }, null, 2)}\n`,
        );
      } else if (result.ok) {
        process.stdout.write('ok\n');
      } else {
        for (const e of result.errors) process.stderr.write(`${formatExperimentError(e)}\n`);
      }
      if (!result.ok) process.exitCode = 2;
    });
}
