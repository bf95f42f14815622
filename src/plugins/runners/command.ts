/**
 * The `command` load runner: a program run repeatedly (or once per worker) as the load, each run one request.
 * The options are the experiment file's; the runtime is the load area's command runner.
 */
import { z } from 'zod';
import { commandSchema, envSchema } from '../../experiment/common.js';
import { durationSchema, ms } from '../../experiment/duration.js';
import { startCommandLoad } from '../../load/command-runner.js';
import { defineRunner } from '../registry.js';
import { optional } from './optional.js';

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
  start(spec, ctx) {
    // a list is an argv run without a shell; a string is a shell command line
    const argv = Array.isArray(spec.command) ? spec.command : undefined;
    return startCommandLoad({
      command: argv ? (argv[0] as string) : (spec.command as string),
      ...optional('args', argv?.slice(1)),
      mode: spec.mode,
      concurrency: spec.concurrency,
      ...optional('timeoutMs', spec.timeout === undefined ? undefined : ms(spec.timeout, 'timeout')),
      ...optional(
        'thinkTimeMs',
        spec.think_time === undefined ? undefined : ms(spec.think_time, 'think_time'),
      ),
      ...optional('cwd', spec.cwd),
      ...optional('env', spec.env === undefined ? undefined : { ...process.env, ...spec.env }),
      durationMs: ctx.durationMs,
      ...optional('clock', ctx.clock),
      ...optional('signal', ctx.signal),
    });
  },
});
