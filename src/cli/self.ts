/** How to start this very faultline's CLI in a child process (suites' runs, `{{faultline}}` in experiments). */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Node arguments that start the CLI: the built bin.js beside this module, or the source through tsx. */
export function faultlineCliArgv(): string[] {
  const js = fileURLToPath(new URL('./bin.js', import.meta.url));
  if (existsSync(js)) return [js];
  // an absolute loader URL: the child's working directory need not see this package's node_modules
  return ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./bin.ts', import.meta.url))];
}
