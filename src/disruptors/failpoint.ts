/**
 * `failpoint`: sets a term through a process's failpoint endpoint and unsets it on revert. The bearer token is
 * never journaled: both inject and revert (in `recover` too) read FAULTLINE_FAILPOINTS_TOKEN. A revert that
 * finds the failpoint unknown (404) or nothing listening (the process, and its failpoints, are gone) is done.
 */
import { FaultlineError } from '../core/errors.js';
import { failpoint } from '../experiment/disruptors/failpoint.js';
import { createFailpointClient, FailpointEndpointError } from '../failpoint/client.js';
import { expand } from './template.js';
import { defineDisruptorRuntime, type Json } from './types.js';

export const failpointRuntime = defineDisruptorRuntime(failpoint, {
  revertFor(instance, options) {
    return {
      type: 'failpoint',
      endpoint: expand(options.endpoint, instance, 'endpoint'),
      name: options.name,
    };
  },
  async inject(instance, options, ctx) {
    const revert = this.revertFor(instance, options, ctx);
    const client = createFailpointClient({ target: revert.endpoint as string });
    // the code holding the failpoint may not have run yet when the fault starts
    const r = await client.set(options.name, options.term, { allowUnknown: true });
    const detail: Record<string, Json> = {};
    if (r.warning !== undefined) detail.warning = r.warning;
    return { revert, detail };
  },
  async revert(record) {
    const client = createFailpointClient({ target: record.endpoint as string });
    try {
      await client.unset(record.name as string);
    } catch (err) {
      if (err instanceof FailpointEndpointError && err.status === 404) return;
      const cause = (err as FaultlineError).cause as { code?: string } | undefined;
      if (
        err instanceof FaultlineError &&
        err.code === 'FAULTLINE_FAILPOINTS_UNREACHABLE' &&
        cause?.code === 'ECONNREFUSED'
      ) {
        return;
      }
      throw err;
    }
  },
});
