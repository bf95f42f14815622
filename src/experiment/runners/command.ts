/** `command` load runner: the options of the load area's command runner, as written in an experiment file. */
import { z } from 'zod';
import { defineRunner } from '../../plugins/registry.js';
import { commandSchema, envSchema } from '../common.js';
import { durationSchema } from '../duration.js';

export const commandRunner = defineRunner({
  name: 'command',
  description:
    'Run a program as the load: each run counts as a request (exit 0 is ok, its duration the latency).',
  options: z.strictObject({
    command: commandSchema,
    mode: z
      .enum(['once', 'repeat'])
      .default('repeat')
      .describe('once: one run per worker; repeat: until the end.'),
    concurrency: z.int().min(1).default(1).describe('Runs at a time (default 1).'),
    timeout: durationSchema.optional().describe('Kill a run after this long and count it as a timeout.'),
    think_time: durationSchema.optional().describe("Pause between a run's end and the worker's next run."),
    cwd: z.string().optional(),
    env: envSchema.optional(),
  }),
});
