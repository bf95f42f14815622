/** Disruptor runtimes: inject a fault into an instance, revert it from a journaled record; the journal. */

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
  type ApplyOptions,
  applyFault,
  type RetryOptions,
  type RevertOutcome,
  revertFault,
  revertPending,
} from './apply.js';
export {
  disruptorNames,
  getDisruptor,
  registerDisruptor,
  revertRecord,
} from './registry.js';
export {
  type AppliedFault,
  type Disruptor,
  type DisruptorInstance,
  defineDisruptorRuntime,
  type InjectContext,
  type Json,
  type RevertRecord,
} from './types.js';
