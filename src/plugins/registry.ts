/**
 * Registries of the experiment file's plug-in types: disruptors, monitors and load runners. Each type is one
 * definition (a name and a zod schema of its options) in its own file, registered here by name, so the file
 * format, the validator and the published JSON Schema grow by adding a file — never by editing a switch on type
 * names. Disruptor and monitor definitions are schema-only for now (the engine attaches implementations to the
 * same names); a load runner definition carries its runtime too (src/plugins/runners).
 */
import type { z } from 'zod';
import { FaultlineError } from '../core/errors.js';
import type { Host } from '../fleet/host.js';
import type { Clock } from '../load/clock.js';
import type { LoadRun } from '../load/http-runner.js';

/** A problem a definition's own cross-field check found: `path` is relative to the options object. */
export interface DefinitionIssue {
  path: (string | number)[];
  message: string;
}

/** What every plug-in definition has. */
export interface PluginDefinition<Options extends z.ZodObject = z.ZodObject> {
  /** The type name used in experiment files, e.g. `process.kill`. */
  readonly name: string;
  /** One line for docs and the JSON Schema. */
  readonly description: string;
  /** The options this type accepts (strict: unknown keys are errors). */
  readonly options: Options;
  /** Checks across fields the schema cannot express (e.g. "one of a or b"). */
  readonly check?: (options: z.output<Options>) => DefinitionIssue[];
}

/** A disruptor type: what a fault does to a target instance. */
export interface DisruptorDefinition<Options extends z.ZodObject = z.ZodObject>
  extends PluginDefinition<Options> {
  readonly kind: 'disruptor';
  /**
   * What its target's instances must be: `local-process` (a process on this machine: the `process` and `attach`
   * targets), `host` (an instance on a host, reached over SSH: the `service` and `host` targets), `service` (a
   * service's processes on a host: the `service` target). Absent: any.
   */
  readonly requires?: 'local-process' | 'host' | 'service';
  /** What is missing from the fault's target (a field as the file has it) for this disruptor, in words. */
  readonly checkTarget?: (target: Readonly<Record<string, unknown>>) => string | undefined;
  /**
   * Checks the options against the hosts the fault acts on (a peer that is no host, a shape that needs more
   * hosts), for the validator: pure. Paths are relative to the options object.
   */
  readonly checkHosts?: (options: z.output<Options>, input: HostFaultInput) => DefinitionIssue[];
  /**
   * Present on a fault that acts on its target's hosts together (a partition): one occurrence covers the whole
   * group, so `count` and `percent` do not apply. Says — purely, from the hosts, the options and the seed — how
   * it splits them and which hosts it leaves unavailable, for the plan, `--dry-run` and `max_unavailable`.
   */
  readonly onGroup?: (options: z.output<Options>, input: HostFaultInput) => GroupPlan;
  /**
   * Takes the instance's host away as a whole (a partition, a hung node): while it holds a host — or, with
   * `onGroup`, the hosts it leaves unavailable — every instance on that host of *any* target counts as
   * unavailable for `max_unavailable` (and is not picked by another fault), not only the fault's own. Absent:
   * only the fault's own instance (a fault that degrades a host — its disk, CPU or traffic — without taking it
   * away).
   */
  readonly hostWide?: boolean;
}

/** What a host fault's pure planning reads. */
export interface HostFaultInput {
  /** The hosts of the fault's target, in the target's order. */
  targets: readonly Host[];
  /** Every host of the experiment (peers are looked up here). */
  fleet: readonly Host[];
  /** The run's seed. */
  seed: number;
  /** The fault's journal id (`<fault>.<occurrence>.<instance>`): seeded choices fork on it. */
  faultId: string;
  /** The target as the file has it (its type, its selector). */
  target?: Readonly<Record<string, unknown>>;
}

/** How a fault on a whole group splits its hosts. */
export interface GroupPlan {
  /** Hosts that reach exactly each other, each sorted, smaller sides first; a host reaching past its side is in none. */
  sides: string[][];
  /** Hosts left unable to reach a strict majority of the group (themselves included): counted unavailable. */
  unavailable: string[];
  /** In a few words, e.g. `sides n1 | n2 n3`. */
  describe: string;
}

/** A monitor (or probe) type: what is sampled, and when a sample counts as up. */
export interface MonitorDefinition<Options extends z.ZodObject = z.ZodObject>
  extends PluginDefinition<Options> {
  readonly kind: 'monitor';
  /**
   * Sampled on each of its `hosts` over SSH: the validator resolves `hosts` like a target's, and `{{host.name}}`
   * and the like are replaced per host.
   */
  readonly onHosts?: boolean;
}

/** What every load runner is started with, beside its own options. */
export interface RunnerContext {
  /** An upper bound on how long it may run; the engine stops it earlier. */
  durationMs: number;
  seed: number;
  clock?: Clock;
  signal?: AbortSignal;
}

/** A load runner type: its options and how to start it. */
export interface RunnerDefinition<Options extends z.ZodObject = z.ZodObject>
  extends PluginDefinition<Options> {
  readonly kind: 'runner';
  /**
   * Starts the load with options that passed {@link PluginDefinition.options} (durations still as written).
   * Starting is the only effect: nothing runs before it is called.
   */
  // a method, so a definition of particular options fits a registry of any (parameters are bivariant)
  start(options: z.output<Options>, ctx: RunnerContext): LoadRun;
}

/** Declares a disruptor type. */
export function defineDisruptor<O extends z.ZodObject>(
  d: Omit<DisruptorDefinition<O>, 'kind'>,
): DisruptorDefinition<O> {
  return { ...d, kind: 'disruptor' };
}

/** Declares a monitor type. */
export function defineMonitor<O extends z.ZodObject>(
  d: Omit<MonitorDefinition<O>, 'kind'>,
): MonitorDefinition<O> {
  return { ...d, kind: 'monitor' };
}

/** Declares a load runner type. */
export function defineRunner<O extends z.ZodObject>(
  d: Omit<RunnerDefinition<O>, 'kind'>,
): RunnerDefinition<O> {
  return { ...d, kind: 'runner' };
}

/** A set of definitions of one kind, keyed by name; registering a name twice is an error. */
export class Registry<D extends PluginDefinition> {
  readonly #byName = new Map<string, D>();
  readonly label: string;

  constructor(label: string, definitions: readonly D[] = []) {
    this.label = label;
    for (const d of definitions) this.register(d);
  }

  /** Adds a definition. @throws FaultlineError when the name is taken. */
  register(definition: D): void {
    if (this.#byName.has(definition.name)) {
      throw new FaultlineError(
        'FAULTLINE_DUPLICATE_TYPE',
        `${this.label} type '${definition.name}' is registered twice`,
      );
    }
    this.#byName.set(definition.name, definition);
  }

  get(name: string): D | undefined {
    return this.#byName.get(name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  all(): D[] {
    return [...this.#byName.values()];
  }
}
