/**
 * Every built-in disruptor, one file each, in the one registry the whole program reads: the experiment schema,
 * the validator and the published JSON Schema take each one's options from it, and the engine and `recover`
 * take each one's runtime from it. Add a disruptor by adding its file and listing it here (docs:
 * CREATING_PLUGINS.md). A revert is looked up by its record's `type`, so `recover` needs nothing but the record.
 *
 * Importing this module has no effect beyond filling the registry: plug-in files open no socket, start no
 * process and arm no timer at import, so `faultline validate` and `--dry-run` change nothing.
 */
import { FaultlineError } from '../../core/errors.js';
import { revertOwnedStop } from '../../disruptors/owned-process.js';
import type { Disruptor, RevertContext, RevertRecord } from '../../disruptors/types.js';
import { Registry } from '../registry.js';
import { commandDisruptor } from './command.js';
import { failpoint } from './failpoint.js';
import { hostCommand } from './host-command.js';
import { hostDiskFill } from './host-disk-fill.js';
import { hostFreeze } from './host-freeze.js';
import { hostNetwork } from './host-network.js';
import { hostPartition } from './host-partition.js';
import { hostProcessKill } from './host-process-kill.js';
import { hostProcessPause } from './host-process-pause.js';
import { hostProcessRestart } from './host-process-restart.js';
import { hostStress } from './host-stress.js';
import { httpDisruptor } from './http.js';
import { processKill } from './process-kill.js';
import { processPause } from './process-pause.js';
import { processRestart } from './process-restart.js';
import { proxyToxic } from './proxy-toxic.js';

/** The disruptor types by name, in the order the docs and the JSON Schema list them. */
export const disruptors = new Registry<Disruptor>('disruptor', [
  processKill,
  processPause,
  processRestart,
  proxyToxic,
  failpoint,
  commandDisruptor,
  httpDisruptor,
  hostProcessKill,
  hostProcessPause,
  hostProcessRestart,
  hostCommand,
  hostPartition,
  hostNetwork,
  hostDiskFill,
  hostStress,
  hostFreeze,
] as Disruptor[]);

/** Revert handlers for records that no disruptor owns (stopping an owned process, journaled when it starts). */
const reverters = new Map<string, (record: RevertRecord, ctx?: RevertContext) => Promise<void>>();

/** Adds a revert handler for records of `type` that are not a disruptor's (a type registered twice is an error). */
export function registerReverter(
  type: string,
  revert: (record: RevertRecord, ctx?: RevertContext) => Promise<void>,
): void {
  if (disruptors.get(type) !== undefined || reverters.has(type)) {
    throw new FaultlineError('FAULTLINE_DUPLICATE_TYPE', `revert type '${type}' is registered twice`);
  }
  reverters.set(type, revert);
}

registerReverter('owned.stop', revertOwnedStop);

/** Adds a disruptor; a name registered twice (as a disruptor or a revert type) is an error. */
export function registerDisruptor(d: Disruptor): void {
  if (reverters.has(d.name)) {
    throw new FaultlineError('FAULTLINE_DUPLICATE_TYPE', `disruptor '${d.name}' is registered twice`);
  }
  disruptors.register(d);
}

/** The disruptor registered as `name`. */
export function getDisruptor(name: string): Disruptor | undefined {
  return disruptors.get(name);
}

/** Names of every registered disruptor. */
export function disruptorNames(): string[] {
  return disruptors.names();
}

/** Undoes a fault from its journaled record alone. @throws FaultlineError for a record of an unknown type. */
export function revertRecord(record: RevertRecord, ctx?: RevertContext): Promise<void> {
  const d = disruptors.get(record.type);
  if (d !== undefined) return d.revert(record, ctx);
  const other = reverters.get(record.type);
  if (other !== undefined) return other(record, ctx);
  return Promise.reject(
    new FaultlineError(
      'FAULTLINE_UNKNOWN_DISRUPTOR',
      `no disruptor can revert a record of type '${record.type}'`,
    ),
  );
}
