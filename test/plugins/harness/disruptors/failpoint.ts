/**
 * Harness for failpoint: a real failpoint endpoint (src/failpoint/server.ts) in this process, so the term it
 * holds can be read at once from the failpoint registry.
 */
import { failpoints } from '../../../../src/failpoint/registry.js';
import { startFailpointServer } from '../../../../src/failpoint/server.js';
import type { DisruptorHarness } from './types.js';

const NAME = 'conformance.fp';
const TERM = 'return("boom")';

export const failpointHarness: DisruptorHarness = {
  async start() {
    const server = await startFailpointServer();
    let open = true;
    const stop = async () => {
      if (open) await server.close();
      open = false;
    };
    return {
      instance: { id: 'svc-0', ports: { fp: server.port } },
      options: { endpoint: '127.0.0.1:{{ports.fp}}', name: NAME, term: TERM },
      faulted: () => failpoints.get(NAME)?.term === TERM,
      restored: () => (failpoints.get(NAME)?.term ?? null) === null,
      // the process holding the failpoints exits: nothing listens any more
      vanish: stop,
      close: async () => {
        await stop();
        failpoints.reset();
      },
    };
  },
  badOption: { options: { endpoint: '127.0.0.1:1', name: '', term: TERM }, field: 'with.name' },
};
