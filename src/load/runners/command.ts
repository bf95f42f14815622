/** The `command` load runner of experiment files: a program run repeatedly (or once) as the load. */
import type { z } from 'zod';
import { ms } from '../../experiment/duration.js';
import type { commandRunner } from '../../experiment/runners/command.js';
import { startCommandLoad } from '../command-runner.js';
import { optional, registerRunnerRuntime } from './registry.js';

registerRunnerRuntime('command', (runner, ctx) => {
  const spec = runner as unknown as z.output<typeof commandRunner.options>;
  const argv = Array.isArray(spec.command) ? spec.command : undefined;
  return startCommandLoad({
    command: argv ? (argv[0] as string) : (spec.command as string),
    ...optional('args', argv?.slice(1)),
    mode: spec.mode,
    concurrency: spec.concurrency,
    ...optional('timeoutMs', spec.timeout === undefined ? undefined : ms(spec.timeout, 'timeout')),
    ...optional('thinkTimeMs', spec.think_time === undefined ? undefined : ms(spec.think_time, 'think_time')),
    ...optional('cwd', spec.cwd),
    ...optional('env', spec.env === undefined ? undefined : { ...process.env, ...spec.env }),
    durationMs: ctx.durationMs,
    ...optional('clock', ctx.clock),
    ...optional('signal', ctx.signal),
  });
});
