/** `process.pause`: SIGSTOP for the fault's duration, SIGCONT on revert (journaled, so `recover` can resume it). */
import { z } from 'zod';
import { defineDisruptor } from '../registry.js';

export const processPause = defineDisruptor({
  name: 'process.pause',
  description: 'Freeze the process with SIGSTOP; SIGCONT when the fault ends.',
  options: z.strictObject({}),
});
