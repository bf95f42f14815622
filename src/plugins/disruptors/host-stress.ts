/**
 * `host.stress`: CPU and memory pressure with stress-ng on each picked instance's host, for at most `duration`
 * (the library's src/fleet/faults/stress.ts: a tagged wrapper leading its own process group). Journaled before
 * it is applied; the revert kills the tagged group.
 */
import { perHostDisruptor } from '../../disruptors/host-fault.js';
import { stress } from '../../fleet/faults/index.js';

export const hostStress = perHostDisruptor(
  stress,
  'Load the host with stress-ng (CPU and memory workers) for at most a duration.',
);
