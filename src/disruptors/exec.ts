/** Running a disruptor's command (a shell line or an argv list) with a timeout, capturing its output. */
import { spawn } from 'node:child_process';

/** A command as the experiment file writes it. */
export type CommandLine = string | readonly string[];

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const MAX_OUTPUT = 64 * 1024;

/** Runs `command` (a string through /bin/sh -c, an array directly); kills it (SIGKILL) after `timeoutMs`. */
export function runCommand(
  command: CommandLine,
  options: { timeoutMs: number; env?: Record<string, string>; signal?: AbortSignal },
): Promise<CommandResult> {
  const [file, args] =
    typeof command === 'string' ? ['/bin/sh', ['-c', command]] : [command[0]!, command.slice(1)];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      signal: options.signal,
      // its own process group, so a timeout kills what a shell started too (a grandchild would hold the pipes)
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** One line saying why a command failed. */
export function describeFailure(what: string, r: CommandResult, timeoutMs: number): string {
  const why = r.timedOut
    ? `timed out after ${timeoutMs} ms`
    : r.code !== null
      ? `exited ${r.code}`
      : `was killed by ${r.signal}`;
  const err = r.stderr.trim().split('\n').pop();
  return `${what} ${why}${err ? `: ${err}` : ''}`;
}
