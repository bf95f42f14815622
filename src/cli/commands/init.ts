/**
 * `faultline init [FILE] --url URL [--command CMD]`: writes a starter experiment for the user's own service
 * (default `experiment.yaml`, `-` for stdout), checks that it validates, and says what to run next. An existing
 * file is left alone unless `--force`.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { FaultlineError, InvalidOptionError } from '../../core/errors.js';
import { starterExperiment } from '../../experiment/starter.js';
import { formatExperimentError, validateExperiment } from '../../experiment/validate.js';
import { parseDuration } from '../../load/parse.js';
import { faultlineCommand } from '../invocation.js';

interface InitCliOptions {
  url?: string;
  command?: string;
  rate: string;
  duration: string;
  force?: boolean;
}

function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/s)?\s*$/.exec(text);
  if (m === null)
    throw new InvalidOptionError('--rate', `expected requests per second like 20 or 20/s, got '${text}'`);
  return Number(m[1]);
}

/** Registers `faultline init`. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(
      'write a starter experiment for your service (a URL, and the command that starts it if faultline should)',
    )
    .argument('[file]', 'where to write it (- for stdout)', 'experiment.yaml')
    .option('--url <url>', "the service's URL, e.g. http://127.0.0.1:8080/health (required)")
    .option(
      '--command <cmd>',
      'the shell command that starts the service: faultline starts, pauses and stops it',
    )
    .option('--rate <n>', 'client requests per second', '20/s')
    .option('--duration <duration>', 'how long the method runs', '30s')
    .option('--force', 'overwrite the file if it exists')
    .action((file: string, o: InitCliOptions) => {
      if (o.url === undefined) {
        throw new InvalidOptionError(
          '--url',
          "is required: the service's URL, e.g. --url http://127.0.0.1:8080/health",
        );
      }
      const durationMs = parseDuration(o.duration, '--duration');
      const text = starterExperiment({
        url: o.url,
        ...(o.command === undefined ? {} : { command: o.command }),
        rate: parseRate(o.rate),
        durationSeconds: Math.max(1, Math.round(durationMs / 1000)),
      });
      const checked = validateExperiment(text, { file: file === '-' ? 'experiment.yaml' : file, env: {} });
      if (!checked.ok) {
        // A starter that does not validate is our bug, not the user's: say so rather than write it.
        throw new FaultlineError(
          'FAULTLINE_INTERNAL',
          `the starter experiment does not validate:\n${checked.errors.map(formatExperimentError).join('\n')}`,
          { exitCode: 1 },
        );
      }
      if (file === '-') {
        process.stdout.write(text);
        return;
      }
      if (existsSync(file) && !o.force) {
        throw new FaultlineError('FAULTLINE_EXISTS', `${file} already exists (pass --force to overwrite it)`);
      }
      writeFileSync(file, text);
      const fl = faultlineCommand();
      process.stdout.write(
        [
          `wrote ${file}: ${o.command === undefined ? 'load and a latency fault through a faultline proxy in front of' : 'load, and a pause of the service it starts, checked at'} ${o.url}`,
          'next:',
          `  ${fl} validate ${file}`,
          `  ${fl} run ${file} --dry-run`,
          `  ${fl} run ${file}`,
          '',
        ].join('\n'),
      );
    });
}
