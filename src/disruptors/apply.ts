/**
 * Applying and reverting faults through the journal: the revert record is on disk before the fault takes
 * effect, a failed injection is reverted at once (it may have half-applied), and a failing revert is retried
 * and reported as data — rollback never stops at the first failure.
 */
import { InvalidOptionError } from '../core/errors.js';
import type { Journal, PendingRevert } from '../experiment/journal.js';
import { revertRecord } from '../plugins/disruptors/index.js';
import type {
  AppliedFault,
  Disruptor,
  DisruptorInstance,
  InjectContext,
  RevertContext,
  RevertRecord,
} from './types.js';

export interface ApplyOptions {
  /** The fault's name in the experiment, for the journal. */
  fault?: string;
  /** How a failed injection's revert is retried. */
  retry?: RetryOptions;
}

export interface RetryOptions {
  /** Attempts in all (default 3). */
  attempts?: number;
  /** Wait before the second attempt, doubling after (default 200 ms). */
  backoffMs?: number;
}

/** What one revert came to. */
export interface RevertOutcome {
  id: string;
  type: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

/**
 * Validates `options` with the disruptor's schema, journals `fault.applying` with the revert record, injects,
 * then journals `fault.applied`. A rejected injection is journaled (`fault.failed`), reverted, and rethrown.
 */
export async function applyFault(
  journal: Journal,
  disruptor: Disruptor,
  instance: DisruptorInstance,
  options: unknown,
  ctx: InjectContext,
  apply: ApplyOptions = {},
): Promise<AppliedFault> {
  const parsed = disruptor.definition.options.safeParse(options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidOptionError(['with', ...issue.path].join('.'), issue.message);
  }
  let revert = disruptor.revertFor(instance, parsed.data, ctx);
  const applying = (record: RevertRecord) =>
    journal.append({
      event: 'fault.applying',
      id: ctx.faultId,
      disruptor: disruptor.name,
      instance: instance.id,
      ...(apply.fault === undefined ? {} : { fault: apply.fault }),
      revert: record,
    });
  applying(revert);
  // a later `fault.applying` of the same id replaces the record `recover` would use
  const updateRevert = (record: RevertRecord) => {
    revert = record;
    applying(record);
  };
  let applied: AppliedFault;
  try {
    applied = await disruptor.inject(instance, parsed.data, { ...ctx, updateRevert });
  } catch (err) {
    journal.append({ event: 'fault.failed', id: ctx.faultId, error: (err as Error).message });
    await revertFault(journal, ctx.faultId, revert, apply.retry, { connections: ctx.fleet?.connections });
    throw err;
  }
  journal.append({
    event: 'fault.applied',
    id: ctx.faultId,
    revert: applied.revert,
    ...(applied.detail === undefined ? {} : { detail: applied.detail }),
  });
  return applied;
}

/** Reverts one fault, retrying, and journals `fault.reverted` or `revert.failed`. Never rejects. */
export async function revertFault(
  journal: Journal | undefined,
  id: string,
  record: RevertRecord,
  retry: RetryOptions = {},
  ctx: RevertContext = {},
): Promise<RevertOutcome> {
  const attempts = Math.max(1, retry.attempts ?? 3);
  let wait = retry.backoffMs ?? 200;
  let error = '';
  for (let n = 1; n <= attempts; n++) {
    try {
      await revertRecord(record, ctx);
      journal?.append({ event: 'fault.reverted', id, attempts: n });
      return { id, type: record.type, ok: true, attempts: n };
    } catch (err) {
      error = (err as Error).message;
      if (n < attempts) {
        // a backoff between attempts, not synchronisation: give a restarting endpoint time to come back
        await new Promise((r) => setTimeout(r, wait));
        wait *= 2;
      }
    }
  }
  journal?.append({ event: 'revert.failed', id, error, attempts });
  return { id, type: record.type, ok: false, attempts, error };
}

/** Reverts every pending fault in the order given (pendingReverts gives last-in first-out). */
export async function revertPending(
  journal: Journal | undefined,
  pending: readonly PendingRevert[],
  retry: RetryOptions = {},
  onOutcome: (o: RevertOutcome, p: PendingRevert) => void = () => {},
  ctx: RevertContext = {},
): Promise<RevertOutcome[]> {
  const outcomes: RevertOutcome[] = [];
  for (const p of pending) {
    const o = await revertFault(journal, p.id, p.revert, retry, ctx);
    onOutcome(o, p);
    outcomes.push(o);
  }
  return outcomes;
}
