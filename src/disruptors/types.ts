/**
 * The disruptor runtime contract. A disruptor injects a fault into one target instance and describes how to undo
 * it as a plain JSON record; undoing works from that record alone, so a different process (`faultline recover`)
 * can finish a rollback after the runner that injected the fault has died.
 */
import type { z } from 'zod';
import type { FleetConnections } from '../fleet/connections.js';
import type { FleetContext } from '../fleet/context.js';
import type { HostRef } from '../fleet/host-ref.js';
import type { ProcessSelector } from '../fleet/remote-process.js';
import type { DisruptorDefinition } from '../plugins/registry.js';

/** A JSON value, the only thing a revert record may hold. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** How to undo one fault: `type` names the disruptor whose `revert` understands the rest. JSON only. */
export interface RevertRecord {
  readonly type: string;
  readonly [field: string]: Json;
}

/** The instance a fault acts on. */
export interface DisruptorInstance {
  /** Stable name, e.g. `api-2`; `{{instance}}` in templates. */
  readonly id: string;
  /** The instance's process, when it has one; `{{pid}}` in templates. */
  readonly pid?: number;
  /** Named ports; `{{ports.NAME}}` in templates. */
  readonly ports?: Readonly<Record<string, number>>;
  /**
   * Started by faultline (it leads a process group of its own, and carries `FAULTLINE_INSTANCE=<id>`): process
   * faults act on the whole group by default.
   */
  readonly owned?: boolean;
  /** The process's start time (clock ticks since boot, from /proc) when it was started or attached. */
  readonly startTime?: number;
  /** The host the instance lives on (targets on hosts): where `host.*` disruptors act, over SSH. */
  readonly host?: HostRef;
  /** A `service` target's process on that host: how to find it and start it again. */
  readonly service?: RemoteService;
  /**
   * For a fault on a whole group (a disruptor with `onGroup`, such as `host.partition`): every instance of the
   * target; the instance itself then stands for the group (its id is the target's name).
   */
  readonly members?: readonly DisruptorInstance[];
}

/** A service on a host, its placeholders expanded for that host. */
export interface RemoteService {
  readonly selector: ProcessSelector;
  /** The command that starts it again (run detached on the host); absent: `systemctl` for a unit, else none. */
  readonly start?: string;
}

/** What a revert may be given besides its record: connections to reuse (a run's, or recover's). */
export interface RevertContext {
  readonly connections?: FleetConnections;
}

/** What the engine hands every injection. */
export interface InjectContext {
  /** Unique within a run; disruptors use it to name what they create (e.g. a toxic) so the revert can find it. */
  readonly faultId: string;
  /** Starts an owned instance again (`process.restart`); resolves to its new pid. */
  readonly restart?: (instance: DisruptorInstance) => Promise<{ pid: number }>;
  /** Aborts a slow injection (a command or a request). */
  readonly signal?: AbortSignal;
  /**
   * Journals a new revert record before the fault takes effect, for a disruptor that must read something first
   * to know how to undo it (the term a failpoint had before the fault). `applyFault` gives it.
   */
  readonly updateRevert?: (revert: RevertRecord) => void;
  /** The run's hosts and SSH connections, when the experiment has hosts. */
  readonly fleet?: FleetContext;
}

/** An injected fault. */
export interface AppliedFault {
  /** How to undo it; journaled. */
  readonly revert: RevertRecord;
  /** What the injection learned (a new pid, a command's output), for the timeline. */
  readonly detail?: Record<string, Json>;
}

/**
 * A disruptor: its options schema (the part the validator and the published JSON Schema read) and its runtime,
 * one object, declared in one file under src/plugins/disruptors and registered once by name there.
 */
export interface Disruptor<O extends z.ZodObject = z.ZodObject> extends DisruptorDefinition<O> {
  /** The schema part: the disruptor itself when declared with {@link defineDisruptorPlugin}. */
  readonly definition: DisruptorDefinition<O>;
  /**
   * The revert record, computed before anything happens so the journal holds it before the fault takes effect.
   * Pure: no I/O.
   */
  revertFor(instance: DisruptorInstance, options: z.output<O>, ctx: InjectContext): RevertRecord;
  /**
   * Injects the fault and resolves once its effect is seen (a paused process shows as stopped, a toxic is
   * listed); rejects when it did not apply.
   */
  inject(instance: DisruptorInstance, options: z.output<O>, ctx: InjectContext): Promise<AppliedFault>;
  /**
   * Undoes a fault from its record alone. Idempotent: undoing twice, or undoing something already gone (the
   * process exited, the toxic or failpoint is not there), resolves. Rejects only when the fault may still be active.
   */
  revert(record: RevertRecord, ctx?: RevertContext): Promise<void>;
  /**
   * Whether the engine should start an owned instance again once this fault ends (a killed process cannot be
   * un-killed by a revert record; only the engine knows how to start it). Absent: never.
   */
  restartsOwnedOnEnd?(options: z.output<O>): boolean;
}

/** What a disruptor plug-in file declares: name, description, options schema and runtime. */
export type DisruptorPlugin<O extends z.ZodObject = z.ZodObject> = Omit<Disruptor<O>, 'kind' | 'definition'>;

/** Declares a disruptor in one file: its schema and its runtime together, as one definition. */
export function defineDisruptorPlugin<O extends z.ZodObject>(plugin: DisruptorPlugin<O>): Disruptor<O> {
  const disruptor: Disruptor<O> = {
    ...plugin,
    kind: 'disruptor',
    get definition() {
      return disruptor;
    },
  };
  return disruptor;
}

/**
 * Declares another runtime for an existing definition's options, under its name (a probe in a test, say); only
 * the schema part of `definition` is taken.
 */
export function defineDisruptorRuntime<O extends z.ZodObject>(
  definition: DisruptorDefinition<O>,
  impl: Pick<Disruptor<O>, 'revertFor' | 'inject' | 'revert' | 'restartsOwnedOnEnd'>,
): Disruptor<O> {
  const { name, description, options, check, requires, checkTarget, checkHosts, onGroup, hostWide } =
    definition;
  return {
    name,
    description,
    options,
    ...(check === undefined ? {} : { check }),
    ...(requires === undefined ? {} : { requires }),
    ...(checkTarget === undefined ? {} : { checkTarget }),
    ...(checkHosts === undefined ? {} : { checkHosts }),
    ...(onGroup === undefined ? {} : { onGroup }),
    ...(hostWide === undefined ? {} : { hostWide }),
    kind: 'disruptor',
    definition,
    ...impl,
  };
}
