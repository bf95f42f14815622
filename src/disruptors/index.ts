/**
 * Disruptors: inject a fault into an instance, revert it from a journaled record; the journal. Each disruptor is
 * one file in src/plugins/disruptors, registered there; this folder holds what they share (process handling,
 * commands, HTTP calls, templates, the contract) and applying faults through the journal.
 */

export {
  Journal,
  type JournalEvent,
  type JournalInput,
  openJournal,
  type PendingRevert,
  pendingReverts,
  readJournal,
} from '../experiment/journal.js';
export {
  disruptorNames,
  getDisruptor,
  registerDisruptor,
  revertRecord,
} from '../plugins/disruptors/index.js';
export {
  type ApplyOptions,
  applyFault,
  type RetryOptions,
  type RevertOutcome,
  revertFault,
  revertPending,
} from './apply.js';
export {
  type AppliedFault,
  type Disruptor,
  type DisruptorInstance,
  type DisruptorPlugin,
  defineDisruptorPlugin,
  defineDisruptorRuntime,
  type InjectContext,
  type Json,
  type RevertRecord,
} from './types.js';
