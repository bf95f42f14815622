/**
 * `host.command`: runs a command on the instance's host over SSH to inject a fault, and another to revert it —
 * the escape hatch for whatever has no disruptor of its own. The record holds the revert command (expanded for
 * the instance) and the host, so `faultline recover` reconnects and runs it.
 */
import { z } from 'zod';
import { recordHost, requireHost } from '../../disruptors/host.js';
import { expand } from '../../disruptors/template.js';
import { type DisruptorInstance, defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { commandSchema } from '../../experiment/common.js';
import { durationSchema, ms } from '../../experiment/duration.js';
import { shellQuote } from '../../fleet/command-output.js';
import { withConnections } from '../../fleet/connections.js';

const NAME = 'host.command';

/** One shell line for the host: a string as written, an argv list quoted word by word. */
function remoteLine(c: string | string[], instance: DisruptorInstance, field: string): string {
  return typeof c === 'string'
    ? expand(c, instance, field)
    : c.map((a, i) => shellQuote(expand(a, instance, `${field}[${i}]`))).join(' ');
}

export const hostCommand = defineDisruptorPlugin({
  name: NAME,
  requires: 'host',
  description: "Run a command on the instance's host over SSH to inject the fault, and another to revert it.",
  options: z.strictObject({
    inject: commandSchema.describe(
      'Runs on the host when the fault starts; a non-zero exit means the fault did not apply. {{host.name}}, {{host.address}}, {{instance}} are replaced.',
    ),
    revert: commandSchema.optional().describe('Runs on the host when the fault ends (and on recover).'),
    timeout: durationSchema.default('30s').describe('Give up on a command that runs longer (default 30s).'),
  }),
  revertFor(instance, options): RevertRecord {
    const host = requireHost(instance, NAME);
    const timeoutMs = ms(options.timeout, 'timeout');
    const command = options.revert === undefined ? null : remoteLine(options.revert, instance, 'with.revert');
    return { type: NAME, host, instance: instance.id, command, timeoutMs };
  },
  async inject(instance, options, ctx) {
    const revert = this.revertFor(instance, options, ctx);
    const host = requireHost(instance, NAME);
    const line = remoteLine(options.inject, instance, 'with.inject');
    const r = await withConnections(ctx.fleet?.connections, (c) =>
      c.exec(host, line, { timeoutMs: ms(options.timeout, 'timeout') }),
    );
    return { revert, detail: { host: host.name, stdout: r.stdout.slice(0, 4096) } };
  },
  async revert(record, ctx) {
    if (typeof record.command !== 'string') return;
    const host = recordHost(record);
    const timeoutMs = typeof record.timeoutMs === 'number' ? record.timeoutMs : 30_000;
    const command = record.command;
    await withConnections(ctx?.connections, (c) => c.exec(host, command, { timeoutMs }));
  },
});
