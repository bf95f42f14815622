/**
 * The registry of disruptor runtimes, one file each, registered under the same names as their schema
 * definitions in src/experiment/disruptors. A revert is looked up by its record's `type`, so `recover` needs
 * nothing but the record.
 */
import { FaultlineError } from '../core/errors.js';
import { commandRuntime } from './command.js';
import { failpointRuntime } from './failpoint.js';
import { httpRuntime } from './http.js';
import { processKillRuntime } from './process-kill.js';
import { processPauseRuntime } from './process-pause.js';
import { processRestartRuntime } from './process-restart.js';
import { proxyToxicRuntime } from './proxy-toxic.js';
import type { Disruptor, RevertRecord } from './types.js';

const byName = new Map<string, Disruptor>();

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
