/** `command` monitor: up when the exit code is as expected; optionally a number read from stdout is the value. */
import { z } from 'zod';
import { defineMonitor } from '../../plugins/registry.js';
import { commandSchema } from '../common.js';

export const commandMonitor = defineMonitor({
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
  check(o) {
    if (o.value === undefined) return [];
    try {
      new RegExp(o.value);
      return [];
    } catch (err) {
      return [{ path: ['value'], message: `not a regular expression: ${(err as Error).message}` }];
    }
  },
});
