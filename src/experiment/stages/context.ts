/**
 * What every stage of a run shares: the clock, the journal, the event log and the signals that stop the run.
 * Stages take it plus their own explicit inputs and return what the next stage needs; nothing here decides
 * anything about the experiment.
 */
import type { FleetContext } from '../../fleet/context.js';
import { type Clock, sleepOn } from '../../load/clock.js';
import type { Journal } from '../journal.js';
import type { RunEvent, RunPhase } from '../run-types.js';

/** The run's shared services. */
export interface RunContext {
  readonly clock: Clock;
  readonly journal: Journal;
  /** The run's own stop: an outer abort, `faultline halt`. Its reason is the `aborted` text. */
  readonly stop: AbortSignal;
  /** Aborted (after `stop`): skip the waits — load drain, steady state after — but still revert. */
  readonly hurry: AbortSignal | undefined;
  /** Every event so far, in order (result.json's `events`). */
  readonly events: readonly RunEvent[];
  /** The run's hosts and its one set of SSH connections, when the experiment has hosts. */
  readonly fleet: FleetContext | undefined;
  /** Records an event stamped with the clock's epoch time and passes it on. */
  emit(kind: string, message: string): void;
  /** Moves to `phase`: journaled first, then an event. */
  enter(phase: RunPhase): void;
  /** The phase now, for progress. */
  phase(): RunPhase;
}

/** A context over `journal` whose events also go to `onEvent`. */
export function createRunContext(o: {
  clock: Clock;
  journal: Journal;
  stop: AbortSignal;
  hurry?: AbortSignal | undefined;
  onEvent?: ((event: RunEvent) => void) | undefined;
  fleet?: FleetContext | undefined;
}): RunContext {
  const events: RunEvent[] = [];
  let phase: RunPhase = 'starting';
  const emit = (kind: string, message: string) => {
    const e = { tMs: o.clock.epochMs(), kind, message };
    events.push(e);
    o.onEvent?.(e);
  };
  return {
    clock: o.clock,
    journal: o.journal,
    stop: o.stop,
    hurry: o.hurry,
    events,
    fleet: o.fleet,
    emit,
    enter(p) {
      phase = p;
      o.journal.append({ event: 'phase', phase: p });
      emit('phase', p);
    },
    phase: () => phase,
  };
}

/** Why `signal` was aborted, in words for the verdict. */
export function reasonOf(signal: AbortSignal): string {
  const r = signal.reason as unknown;
  if (typeof r === 'string') return r;
  if (r instanceof Error && r.name !== 'AbortError') return r.message;
  return 'stopped';
}

/** Waits `delayMs` on `clock`, or less when `signal` aborts first. */
export const sleep = sleepOn;
