/**
 * The contract between the sampling loop and a monitor: what one sample is, what a live monitor does, and what a
 * monitor plug-in is. Each plug-in (src/plugins/monitors/<type>.ts) is one {@link MonitorPlugin} — name,
 * description, options schema and `create` together — so the validator and the engine read the same object and
 * never switch on type names.
 */
import type { z } from 'zod';
import type { FleetContext } from '../fleet/context.js';
import type { MonitorSample as AvailabilitySample } from '../kpi/availability.js';
import { defineMonitor, type MonitorDefinition } from '../plugins/registry.js';

/** One sample of a monitor. Extends the availability KPI's sample, so samples feed it unchanged. */
export interface MonitorSample extends AvailabilitySample {
  /** Epoch ms (of the injected clock) when the sample started. */
  tMs: number;
  /** Whether the monitor was up. */
  ok: boolean;
  /** How long the sample took, in ms. */
  latencyMs: number;
  /** A number the monitor read (a metric, a number from stdout), when it read one. */
  value?: number;
  /** What was seen, for humans (e.g. `status 200`). */
  detail?: string;
  /** Why the sample is down, when it is. */
  error?: string;
}

/** What a sample is given: when to give up. */
export interface SampleContext {
  /** Aborted when the sample's timeout passes or the run stops; implementations must stop promptly. */
  signal: AbortSignal;
  /** The sample's timeout in ms (already enforced by the sampler; useful for the implementation's own I/O). */
  timeoutMs: number;
}

/** The part of a sample an implementation returns; the sampler adds the time and latency. */
export type SampleResult = Omit<MonitorSample, 'tMs' | 'latencyMs'> & { latencyMs?: number };

/**
 * The down sample for an error a sample ran into (a refused connection, an abort): monitors return it instead of
 * throwing, so a target that is down is data like any other sample.
 */
export function downSample(err: unknown): SampleResult {
  return { ok: false, error: err instanceof Error ? err.message : String(err) };
}

/** A live monitor: one method, called at most once at a time. */
export interface Monitor {
  sample(ctx: SampleContext): Promise<SampleResult>;
  /** Releases whatever the monitor holds (connection pools); optional. */
  close?(): Promise<void>;
}

/** What the run gives a monitor besides its options. */
export interface MonitorContext {
  /** The run's hosts and SSH connections, when the experiment has hosts. */
  readonly fleet?: FleetContext;
  /** Hosts to sample on when the options name none: a target's ready probe, its instance's host. */
  readonly hosts?: readonly string[];
}

/**
 * A monitor plug-in: its definition (name, description, strict options, cross-field check) and its runtime in one
 * object. `create` receives options the schema and `check` have accepted; it must have no effect of its own
 * (sockets, processes and timers belong in `sample`), so building a monitor for `--dry-run` changes nothing.
 */
export interface MonitorPlugin<O extends z.ZodObject = z.ZodObject> extends MonitorDefinition<O> {
  create(options: z.output<O>, ctx?: MonitorContext): Monitor;
}

/** Declares a monitor plug-in (one per file under src/plugins/monitors/). */
export function defineMonitorPlugin<O extends z.ZodObject>(
  d: Omit<MonitorPlugin<O>, 'kind'>,
): MonitorPlugin<O> {
  const { create, ...definition } = d;
  return { ...defineMonitor(definition), create };
}

/**
 * A monitor type's runtime seen apart from its definition: the shape `MonitorImplementations` hands out, kept for
 * the public API. A plug-in's view has the plug-in itself as `definition`.
 */
export interface MonitorImplementation<D extends MonitorDefinition = MonitorDefinition> {
  /** The definition this implements (its name is the type name). */
  readonly definition: D;
  create(options: z.output<D['options']>, ctx?: MonitorContext): Monitor;
}

/**
 * Declares a monitor implementation for a separate definition. Built-in monitors are plug-ins
 * ({@link defineMonitorPlugin}); this stays for callers that pair a definition with a runtime themselves.
 */
export function implementMonitor<D extends MonitorDefinition>(
  definition: D,
  create: (options: z.output<D['options']>) => Monitor,
): MonitorImplementation<D> {
  return { definition, create };
}
