/** `process.kill`: send a signal to the instance's process; owned processes are restarted when the fault ends. */
import { z } from 'zod';
import { defineDisruptor } from '../../plugins/registry.js';
import { processScopeSchema, signalSchema } from '../common.js';

export const processKill = defineDisruptor({
  name: 'process.kill',
  description:
    'Send a signal (default SIGKILL) to the process (its whole group for an owned target) and wait until the processes it terminates are gone; an owned process is restarted when the fault ends.',
  options: z.strictObject({
    signal: signalSchema.default('SIGKILL').describe('The signal to send (default SIGKILL).'),
    restart: z
      .boolean()
      .default(true)
      .describe('Restart an owned process when the fault ends (default true); ignored for attached ones.'),
    scope: processScopeSchema.optional(),
  }),
});
