/** `process.pause`: SIGSTOP for the fault's duration, SIGCONT on revert (journaled, so `recover` can resume it). */
import { z } from 'zod';
import { defineDisruptor } from '../../plugins/registry.js';
import { processScopeSchema } from '../common.js';

export const processPause = defineDisruptor({
  name: 'process.pause',
  description:
    'Freeze the process (its whole group for an owned target) with SIGSTOP, applied once /proc shows every one stopped; SIGCONT when the fault ends.',
  options: z.strictObject({ scope: processScopeSchema.optional() }),
});
