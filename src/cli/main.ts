/**
 * The `faultline` command: a thin shell over the library. Each sub-command lives in its own file under
 * ./commands and registers itself on the program; this file only wires them and maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { commandsFor } from './commands/index.js';
import { exitCodeOf, formatCliError } from './errors.js';
import { packageVersion } from './version.js';

/** The program with the sub-commands `argv` needs registered (all of them by default). */
export async function createProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('faultline')
    .description('Seeded, replayable fault injection for services and distributed systems.')
    .version(packageVersion(), '-V, --version', 'print the faultline version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of await commandsFor(argv)) register(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    const program = await createProgram(argv);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" are normal exits; commander already printed what it had to say.
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`${formatCliError(err)}\n`);
    return exitCodeOf(err);
  }
}
