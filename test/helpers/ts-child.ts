/**
 * Starting a TypeScript module of this repository in a child process: when the tests run from the transpiled
 * mirror (scripts/build-tests.mjs) the module has a .js beside it, which starts without a TypeScript loader;
 * otherwise the .ts runs through tsx.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The script to start for `file` (a .ts path) and the node options it needs. */
export function tsChild(file: string | URL): { script: string; execArgv: string[] } {
  const path = typeof file === 'string' ? file : fileURLToPath(file);
  const js = path.replace(/\.ts$/, '.js');
  return js !== path && existsSync(js)
    ? { script: js, execArgv: [] }
    : { script: path, execArgv: ['--import', 'tsx'] };
}

/** Node's arguments, before the script's own, that run `file`. */
export function tsChildArgv(file: string | URL): string[] {
  const { script, execArgv } = tsChild(file);
  return [...execArgv, script];
}

/** `argv` for node with a TypeScript loader: a leading .ts script becomes {@link tsChildArgv}'s arguments. */
export function tsArgv(argv: readonly string[]): string[] {
  const [first, ...rest] = argv;
  if (first?.endsWith('.ts')) return [...tsChildArgv(first), ...rest];
  return ['--import', 'tsx', ...argv];
}
