/**
 * `{{faultline}}`: the command line of the faultline that runs the experiment, so a target can start a faultline
 * proxy (or any faultline command) without relying on `npx`, PATH or another installed version.
 */
import { faultlineCliArgv } from '../cli/self.js';
import { shellWord } from '../core/shell-word.js';

let cached: string | undefined;

/** `node /…/dist/cli/bin.js`, or node with tsx and the source CLI; a word that needs quoting makes it a shell line. */
export function faultlineCommand(): string {
  cached ??= [process.execPath, ...faultlineCliArgv()].map(shellWord).join(' ');
  return cached;
}
