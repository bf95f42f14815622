/**
 * What the disruptor conformance suite (test/plugins/disruptors.conformance.test.ts) needs from each disruptor:
 * a real target to fault, and a way to see the fault's effect. One harness per registered disruptor; the suite
 * fails for a disruptor without one.
 */
import type { DisruptorInstance, InjectContext } from '../../../../src/disruptors/types.js';

/** One live target, started fresh for each check. */
export interface ConformanceCase {
  readonly instance: DisruptorInstance;
  /** The fault's `with` options as an experiment file writes them (applyFault parses them). */
  readonly options: Record<string, unknown>;
  /** What the engine adds to the inject context for this disruptor (a restart callback). */
  readonly ctx?: Omit<InjectContext, 'faultId'>;
  /**
   * Whether the fault's effect is in place now. Synchronous, so the suite can read it at the very moment the
   * journal is written.
   */
  faulted(): boolean;
  /** Whether the target is as a revert leaves it (always, for a fault no revert undoes, such as a kill). */
  restored(): boolean;
  /** Takes away what the fault acted on, out of band: the process exits, the proxy is deleted, … */
  vanish(): Promise<void>;
  /** Releases everything the case started. */
  close(): Promise<void>;
}

export interface DisruptorHarness {
  start(): Promise<ConformanceCase>;
  /** Options with one bad field, and the field an InvalidOptionError must name (`with.<field>`). */
  readonly badOption: { readonly options: Record<string, unknown>; readonly field: string };
}
