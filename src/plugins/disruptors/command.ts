/**
 * `command`: runs a command to inject and another to revert. The revert record holds the revert command, already
 * expanded for the instance, so `recover` can run it.
 */
import { z } from 'zod';
import { type CommandLine, describeFailure, runCommand } from '../../disruptors/exec.js';
import { expand, instanceEnv } from '../../disruptors/template.js';
import { type DisruptorInstance, defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { commandSchema } from '../../experiment/common.js';
import { durationSchema, ms } from '../../experiment/duration.js';

function expandCommand(c: CommandLine, instance: DisruptorInstance, field: string): string | string[] {
  return typeof c === 'string'
    ? expand(c, instance, field)
    : c.map((a, i) => expand(a, instance, `${field}[${i}]`));
}

export const commandDisruptor = defineDisruptorPlugin({
  name: 'command',
  description: 'Run a command to inject the fault and another to revert it.',
  options: z.strictObject({
    inject: commandSchema.describe(
      'Runs when the fault starts; a non-zero exit means the fault did not apply.',
    ),
    revert: commandSchema.optional().describe('Runs when the fault ends (and on recover).'),
    timeout: durationSchema.default('30s').describe('Kill a command that runs longer (default 30s).'),
  }),
  revertFor(instance, options): RevertRecord {
    const timeoutMs = ms(options.timeout, 'timeout');
    if (options.revert === undefined) return { type: 'command', command: null, timeoutMs };
    return {
      type: 'command',
      command: expandCommand(options.revert, instance, 'revert'),
      env: instanceEnv(instance),
      timeoutMs,
    };
  },
  async inject(instance, options, ctx) {
    const revert = this.revertFor(instance, options, ctx);
    const timeoutMs = ms(options.timeout, 'timeout');
    const r = await runCommand(expandCommand(options.inject, instance, 'inject'), {
      timeoutMs,
      env: instanceEnv(instance),
      signal: ctx.signal,
    });
    if (r.code !== 0) throw new Error(describeFailure('the inject command', r, timeoutMs));
    return { revert, detail: { stdout: r.stdout.slice(0, 4096) } };
  },
  async revert(record) {
    if (record.command === null || record.command === undefined) return;
    const timeoutMs = typeof record.timeoutMs === 'number' ? record.timeoutMs : 30_000;
    const r = await runCommand(record.command as CommandLine, {
      timeoutMs,
      env: (record.env ?? {}) as Record<string, string>,
    });
    if (r.code !== 0) throw new Error(describeFailure('the revert command', r, timeoutMs));
  },
});
