/** Runs the faultline CLI in a child process, as a user would run the installed binary. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Node's arguments that start the CLI: the built `dist/cli/bin.js` when scripts/test.sh has just built it
 * (FAULTLINE_TEST_CLI=dist; it starts in a fraction of the time), else the source through tsx.
 */
export const cliArgv: readonly string[] =
  process.env.FAULTLINE_TEST_CLI === 'dist'
    ? [fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url))]
    : ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url))];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliArgv, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
