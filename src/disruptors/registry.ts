/**
 * The registry of disruptor runtimes, one file each, registered under the same names as their schema
 * definitions in src/experiment/disruptors. A revert is looked up by its record's `type`, so `recover` needs
 * nothing but the record.
 */
import { FaultlineError } from '../core/errors.js';
import { failpointRuntime } from '../plugins/disruptors/failpoint.js';
import { processKillRuntime } from '../plugins/disruptors/process-kill.js';
import { processPauseRuntime } from '../plugins/disruptors/process-pause.js';
import { processRestartRuntime } from '../plugins/disruptors/process-restart.js';
import { commandRuntime } from './command.js';
import { httpRuntime } from './http.js';
import { revertOwnedStop } from './owned-process.js';
import { proxyToxicRuntime } from './proxy-toxic.js';
import type { Disruptor, RevertRecord } from './types.js';

const byName = new Map<string, Disruptor>();
/** Revert handlers for records that no disruptor owns (e.g. stopping an owned process). */
const reverters = new Map<string, (record: RevertRecord) => Promise<void>>();

/** Adds a revert handler for records of `type` that are not a disruptor's (a type registered twice is an error). */
export function registerReverter(type: string, revert: (record: RevertRecord) => Promise<void>): void {
  if (byName.has(type) || reverters.has(type)) {
    throw new FaultlineError('FAULTLINE_DUPLICATE_TYPE', `revert type '${type}' is registered twice`);
  }
  reverters.set(type, revert);
}

/** Adds a disruptor runtime; a name registered twice is an error. */
export function registerDisruptor(d: Disruptor): void {
  if (byName.has(d.name)) {
    throw new FaultlineError('FAULTLINE_DUPLICATE_TYPE', `disruptor runtime '${d.name}' is registered twice`);
  }
  byName.set(d.name, d);
}

for (const d of [
  processKillRuntime,
  processPauseRuntime,
  processRestartRuntime,
  proxyToxicRuntime,
  failpointRuntime,
  commandRuntime,
  httpRuntime,
] as Disruptor[]) {
  registerDisruptor(d);
}
registerReverter('owned.stop', revertOwnedStop);

/** The runtime registered as `name`. */
export function getDisruptor(name: string): Disruptor | undefined {
  return byName.get(name);
}

/** Names of every registered runtime. */
export function disruptorNames(): string[] {
  return [...byName.keys()];
}

/** Undoes a fault from its journaled record alone. @throws FaultlineError for a record of an unknown type. */
export function revertRecord(record: RevertRecord): Promise<void> {
  const d = byName.get(record.type);
  const other = reverters.get(record.type);
  if (d === undefined && other !== undefined) return other(record);
  if (d === undefined) {
    return Promise.reject(
      new FaultlineError(
        'FAULTLINE_UNKNOWN_DISRUPTOR',
        `no disruptor can revert a record of type '${record.type}'`,
      ),
    );
  }
  return d.revert(record);
}
