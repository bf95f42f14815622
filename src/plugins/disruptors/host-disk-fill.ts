/**
 * `host.disk-fill`: fills the filesystem holding `path` on each picked instance's host until only `free` bytes
 * are available (the library's src/fleet/faults/disk-fill.ts: one fallocate'd file, named after the run, with a
 * marker naming it written first). Journaled before it is applied; the revert deletes the file.
 */
import {
  hostFaultRecord,
  hostsOfInstance,
  injectHostFault,
  planIssues,
  revertHostFaultRecord,
} from '../../disruptors/host-fault.js';
import { defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { diskFill, diskFillOptionsSchema } from '../../fleet/faults/index.js';

const NAME = 'host.disk-fill';

export const hostDiskFill = defineDisruptorPlugin({
  name: NAME,
  requires: 'host',
  description:
    'Fill the filesystem holding a directory on the host until only `free` bytes are available (fallocate).',
  options: diskFillOptionsSchema,
  checkHosts: (options, input) => planIssues(diskFill, options, input, true),
  revertFor(instance): RevertRecord {
    return hostFaultRecord(NAME, hostsOfInstance(instance, NAME), []);
  },
  inject: (instance, options, ctx) =>
    injectHostFault(diskFill, hostsOfInstance(instance, NAME), options, ctx),
  revert: revertHostFaultRecord,
});
