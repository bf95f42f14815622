/**
 * `faultline explore FILE.js|ts [--runs N] [--seed S]`: explores every scenario a module exports (its default
 * export and each exported function), printing progress, and for a failure the seed, the minimal fault schedule
 * and the reproduction line. `--replay LINE` (or FAULTLINE_REPLAY) replays one schedule instead.
 * Exit 0 when every scenario passed, 1 when one failed, 2 for bad input.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { FaultlineError, InvalidOptionError } from '../../core/errors.js';
import { importModule } from '../../deps/import-module.js';
import { explore, formatFailure, replay, type Scenario } from '../../explore/explore.js';
import { parseSeedOption } from '../seed.js';

interface ExploreCliOptions {
  runs: string;
  seed?: string;
  timeout: string;
  scenario?: string;
  replay?: string;
}

async function loadModule(file: string): Promise<Record<string, unknown>> {
  const path = resolve(file);
  if (!existsSync(path)) throw new InvalidOptionError('FILE', `no such file: ${file}`);
  try {
    if (/\.[cm]?ts$/.test(path)) {
      const { tsImport } = await importModule<typeof import('tsx/esm/api')>('tsx/esm/api');
      return (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
    }
    return await importModule(pathToFileURL(path).href);
  } catch (err) {
    throw new FaultlineError('FAULTLINE_EXPLORE_LOAD', `${file}: cannot load: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function scenariosOf(mod: Record<string, unknown>, file: string, only?: string): [string, Scenario][] {
  const found = Object.entries(mod).filter((e): e is [string, Scenario] => typeof e[1] === 'function');
  const chosen = only ? found.filter(([name]) => name === only) : found;
  if (chosen.length === 0) {
    throw new InvalidOptionError(
      only ? '--scenario' : 'FILE',
      only
        ? `${file} exports no scenario named ${JSON.stringify(only)} (it has: ${found.map(([n]) => n).join(', ') || 'none'})`
        : `${file} exports no scenario functions`,
    );
  }
  return chosen;
}

function positiveInt(value: string, field: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidOptionError(field, `must be a whole number >= 1; got ${value}`);
  return n;
}

/** `--seed`, else `FAULTLINE_SEED` (empty counts as unset), each refused by its own name when bad. */
function baseSeed(option: string | undefined, env: string | undefined): number | undefined {
  if (option !== undefined) return parseSeedOption(option, '--seed');
  if (env !== undefined && env.trim() !== '') return parseSeedOption(env, 'FAULTLINE_SEED');
  return undefined;
}

/**
 * The schedule to replay, if any. `--replay ""` (typically an unset shell variable) is an error: exploring instead
 * would look like a replay that passed. An empty FAULTLINE_REPLAY stays "unset", as for every other variable.
 */
function replayLine(option: string | undefined, env: string | undefined): string | undefined {
  if (option !== undefined) {
    if (option.trim() === '')
      throw new InvalidOptionError('--replay', 'is empty; give the reproduce: line explore printed');
    return option;
  }
  return env !== undefined && env.trim() !== '' ? env : undefined;
}

export function registerExploreCommand(program: Command): void {
  program
    .command('explore')
    .description(
      'run the scenarios a module exports under many seeds; shrink a failure to its minimal fault schedule',
    )
    .argument('<file>', 'a .js or .ts module exporting scenario functions')
    .option('--runs <n>', 'seeds to try per scenario', '100')
    .option('--seed <s>', 'base seed (default: FAULTLINE_SEED, else random)')
    .option('--timeout <ms>', 'per run, in ms', '10000')
    .option('--scenario <name>', 'only this exported scenario')
    .option('--replay <line>', 'replay a reproduction line (FAULTLINE_REPLAY=…) instead of exploring')
    .action(async (file: string, opts: ExploreCliOptions) => {
      const runs = positiveInt(opts.runs, '--runs');
      const timeoutMs = positiveInt(opts.timeout, '--timeout');
      const seed = baseSeed(opts.seed, process.env.FAULTLINE_SEED);
      const pinned = replayLine(opts.replay, process.env.FAULTLINE_REPLAY);
      const scenarios = scenariosOf(await loadModule(file), file, opts.scenario);
      let failed = 0;
      for (const [name, scenario] of scenarios) {
        if (pinned) {
          const outcome = await replay(scenario, pinned, { timeoutMs });
          const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
          process.stdout.write(`${name}: replay ${outcome.failed ? `FAILED: ${reason}` : 'passed'}\n`);
          if (outcome.failed) failed += 1;
          continue;
        }
        let last = 0;
        const result = await explore(scenario, {
          runs,
          seed,
          timeoutMs,
          onProgress: (e) => {
            if (e.phase === 'explore' && (e.run - last >= Math.max(1, Math.floor(runs / 10)) || e.failed)) {
              last = e.run;
              process.stderr.write(
                `  ${name}: run ${e.run}/${e.runs}${e.failed ? ' failed, shrinking…' : ''}\n`,
              );
            }
          },
        });
        process.stdout.write(`${formatFailure(name, result)}\n`);
        if (result.failure) failed += 1;
      }
      process.exitCode = failed > 0 ? 1 : 0;
    });
}
