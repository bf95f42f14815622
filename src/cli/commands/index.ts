/**
 * Every sub-command, one file each; add a command by adding its loader here. A command's module (and with it
 * the engine, the proxy or the SSH client it needs) is imported only when that command runs, so
 * `faultline halt` or `faultline failpoint set` starts without loading everything else.
 */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const commandLoaders: Record<string, () => Promise<RegisterCommand>> = {
  explore: async () => (await import('./explore.js')).registerExploreCommand,
  failpoint: async () => (await import('./failpoint.js')).registerFailpointCommand,
  halt: async () => (await import('./halt.js')).registerHaltCommand,
  init: async () => (await import('./init.js')).registerInitCommand,
  load: async () => (await import('./load.js')).registerLoad,
  proxy: async () => (await import('./proxy.js')).registerProxyCommand,
  recover: async () => (await import('./recover.js')).registerRecoverCommand,
  report: async () => (await import('./report.js')).registerReportCommand,
  run: async () => (await import('./run.js')).registerRunCommand,
  suite: async () => (await import('./suite.js')).registerSuiteCommand,
  validate: async () => (await import('./validate.js')).registerValidateCommand,
};

/**
 * The registrars `argv` needs: only the named command's when the first operand names one, else every one (for
 * help, errors about an unknown command, and suggestions).
 */
export async function commandsFor(argv: readonly string[]): Promise<RegisterCommand[]> {
  const name = argv.slice(2).find((a) => !a.startsWith('-'));
  const only = name === undefined ? undefined : commandLoaders[name];
  const loaders = only ? [only] : Object.values(commandLoaders);
  return Promise.all(loaders.map((load) => load()));
}
