/**
 * `host.disk-fill`: fills the filesystem holding `path` on each picked instance's host until only `free` bytes
 * are available (the library's src/fleet/faults/disk-fill.ts: one fallocate'd file, named after the run, with a
 * marker naming it written first). Journaled before it is applied; the revert deletes the file.
 */
import { perHostDisruptor } from '../../disruptors/host-fault.js';
import { diskFill } from '../../fleet/faults/index.js';

export const hostDiskFill = perHostDisruptor(
  diskFill,
  'Fill the filesystem holding a directory on the host until only `free` bytes are available (fallocate).',
);
