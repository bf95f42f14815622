/** `command`: run a command to inject and another to revert; the revert is journaled so `recover` can run it. */
import { z } from 'zod';
import { commandSchema } from '../../experiment/common.js';
import { durationSchema } from '../../experiment/duration.js';
import { defineDisruptor } from '../registry.js';

export const commandDisruptor = defineDisruptor({
  name: 'command',
  description: 'Run a command to inject the fault and another to revert it.',
  options: z.strictObject({
    inject: commandSchema.describe(
      'Runs when the fault starts; a non-zero exit means the fault did not apply.',
    ),
    revert: commandSchema.optional().describe('Runs when the fault ends (and on recover).'),
    timeout: durationSchema.default('30s').describe('Kill a command that runs longer (default 30s).'),
  }),
});
