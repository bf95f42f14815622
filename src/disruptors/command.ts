/** `command`: runs the inject command; the revert record holds the revert command (already expanded). */

import { ms } from '../experiment/duration.js';
import { commandDisruptor } from '../plugins/disruptors/command.js';
import { type CommandLine, describeFailure, runCommand } from './exec.js';
import { expand, instanceEnv } from './template.js';
import { type DisruptorInstance, defineDisruptorRuntime, type RevertRecord } from './types.js';

function expandCommand(c: CommandLine, instance: DisruptorInstance, field: string): string | string[] {
  return typeof c === 'string'
    ? expand(c, instance, field)
    : c.map((a, i) => expand(a, instance, `${field}[${i}]`));
}

export const commandRuntime = defineDisruptorRuntime(commandDisruptor, {
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
