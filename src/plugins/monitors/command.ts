/**
 * `command` monitor: runs the command each sample; up on the expected exit code. With `value`, the first group
 * (or whole match) of that expression in stdout is parsed as the sample's number.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { commandSchema } from '../../experiment/common.js';
import { defineMonitorPlugin } from '../../monitors/types.js';
import { regexIssues } from './support/regex.js';

const MAX_OUTPUT = 64 * 1024;

export const commandMonitor = defineMonitorPlugin({
  name: 'command',
  description: 'Run a command each sample; up on the expected exit code; a number from stdout is the value.',
  options: z.strictObject({
    command: commandSchema,
    exit_code: z.int().min(0).max(255).default(0).describe('The exit code that means up (default 0).'),
    value: z
      .string()
      .optional()
      .describe('A regular expression whose first group (or whole match) in stdout is the numeric value.'),
  }),
  check: (o) => regexIssues('value', o.value),
  create(o) {
    const valueRe = o.value === undefined ? undefined : new RegExp(o.value);
    const [file, args] =
      typeof o.command === 'string'
        ? ['/bin/sh', ['-c', o.command]]
        : [o.command[0] as string, o.command.slice(1)];
    return {
      sample({ signal }) {
        return new Promise((resolve) => {
          // detached: a timeout kills the whole group, so `sh -c 'sleep 10'` leaves no orphan sleep behind.
          const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
          let out = '';
          let err = '';
          child.stdout.setEncoding('utf8').on('data', (d: string) => {
            if (out.length < MAX_OUTPUT) out += d;
          });
          child.stderr.setEncoding('utf8').on('data', (d: string) => {
            if (err.length < MAX_OUTPUT) err += d;
          });
          const onAbort = () => {
            try {
              if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          };
          signal.addEventListener('abort', onAbort, { once: true });
          if (signal.aborted) onAbort();
          child.once('error', (e) => {
            signal.removeEventListener('abort', onAbort);
            resolve({ ok: false, error: e.message });
          });
          child.once('close', (code, sig) => {
            signal.removeEventListener('abort', onAbort);
            const detail = sig ? `killed by ${sig}` : `exit ${code}`;
            if (code !== o.exit_code) {
              const why = err.trim().split('\n').pop() ?? '';
              return resolve({
                ok: false,
                detail,
                error: `${detail}, expected ${o.exit_code}${why ? `: ${why}` : ''}`,
              });
            }
            if (!valueRe) return resolve({ ok: true, detail });
            const m = valueRe.exec(out);
            const value = m ? Number(m[1] ?? m[0]) : Number.NaN;
            if (!Number.isFinite(value))
              return resolve({ ok: false, detail, error: `no number matching /${o.value}/ in stdout` });
            resolve({ ok: true, detail, value });
          });
        });
      },
    };
  },
});
