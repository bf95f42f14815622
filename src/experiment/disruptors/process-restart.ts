/** `process.restart`: stop an owned process gracefully (then forcibly) and start it again. */
import { z } from 'zod';
import { defineDisruptor } from '../../plugins/registry.js';
import { signalSchema } from '../common.js';
import { durationSchema } from '../duration.js';

export const processRestart = defineDisruptor({
  name: 'process.restart',
  description: 'Stop the owned process (signal, then SIGKILL after grace) and start it again.',
  options: z.strictObject({
    signal: signalSchema.default('SIGTERM').describe('The stop signal (default SIGTERM).'),
    grace: durationSchema.default('5s').describe('Wait this long for exit before SIGKILL (default 5s).'),
  }),
});
