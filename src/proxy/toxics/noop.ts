/** `noop`: passes everything through. Toxiproxy registers it too; useful to test a client's toxic handling. */
import { registerToxic } from '../registry.js';
import { defineToxic, passThroughStage } from '../toxic.js';

export const noopToxic = registerToxic(
  defineToxic({
    type: 'noop',
    summary: 'Passes data through unchanged.',
    attributes: {},
    create: (ctx) => passThroughStage(ctx),
  }),
);
