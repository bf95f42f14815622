/** `http`: call a URL to inject a fault and another to revert it. */
import { z } from 'zod';
import { httpCallSchema } from '../../experiment/common.js';
import { defineDisruptor } from '../registry.js';

export const httpDisruptor = defineDisruptor({
  name: 'http',
  description: 'Call a URL to inject the fault and another to revert it.',
  options: z.strictObject({
    inject: httpCallSchema.describe(
      'The call that injects the fault; a non-2xx status means it did not apply.',
    ),
    revert: httpCallSchema.optional().describe('The call that reverts it (and runs on recover).'),
  }),
});
