/** `failpoint`: set a failpoint through a process's failpoint endpoint; cleared on revert. */
import { z } from 'zod';
import { defineDisruptor } from '../../plugins/registry.js';

export const failpoint = defineDisruptor({
  name: 'failpoint',
  description: "Set a failpoint term through the process's failpoint endpoint; clear it when the fault ends.",
  options: z.strictObject({
    endpoint: z
      .string()
      .min(1)
      .describe('The failpoint endpoint base URL; {{ports.NAME}} is replaced per instance.'),
    name: z.string().min(1).describe('The failpoint name.'),
    term: z.string().min(1).describe("The term to set, e.g. 'return(\"boom\")' or '50%sleep(200)'."),
  }),
});
