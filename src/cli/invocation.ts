/**
 * How to spell the faultline command where the user is: `faultline` when that name on PATH is this package,
 * else `npx faultline` (inside a project that installed it, the binary is in node_modules/.bin, not on PATH).
 * Lines the CLI prints for the user to paste (`reproduce:`, next steps) use it, so they work as printed.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function packageRoot(): string {
  // this file is src/cli/invocation.ts or dist/cli/invocation.js: two levels below the package root
  return realpathSync(fileURLToPath(new URL('../..', import.meta.url)));
}

/** `faultline` or `npx faultline`. */
export function faultlineCommand(env: NodeJS.ProcessEnv = process.env): string {
  const found = onPath('faultline', env);
  if (found === undefined) return 'npx faultline';
  try {
    return realpathSync(found).startsWith(`${packageRoot()}/`) ? 'faultline' : 'npx faultline';
  } catch {
    return 'npx faultline';
  }
}
