/**
 * `{{faultline}}`: the command line of the faultline that runs the experiment, so a target can start a faultline
 * proxy (or any faultline command) without relying on `npx`, PATH or another installed version.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../fleet/command-output.js';

/** A word that a plain command line (split on spaces, no shell) cannot carry needs quoting, and then a shell. */
const PLAIN_WORD = /^[\w@%+=:,./-]+$/;

let cached: string | undefined;

/** `node /…/dist/cli/bin.js`, or node with tsx and the source CLI when running from source. */
export function faultlineCommand(): string {
  if (cached !== undefined) return cached;
  const built = fileURLToPath(new URL('../cli/bin.js', import.meta.url));
  const words = existsSync(built)
    ? [process.execPath, built]
    : [
        process.execPath,
        '--import',
        import.meta.resolve('tsx'),
        fileURLToPath(new URL('../cli/bin.ts', import.meta.url)),
      ];
  cached = words.map((w) => (PLAIN_WORD.test(w) ? w : shellQuote(w))).join(' ');
  return cached;
}
