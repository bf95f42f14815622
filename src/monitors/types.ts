/**
 * The runtime side of a monitor: what one sample is and how an implementation is registered. The experiment
 * file's monitor types (src/experiment/monitors) are schema-only; each file here attaches a sampler to the same
 * type name, so the engine looks implementations up by name and never switches on them.
 */
import type { z } from 'zod';
import type { MonitorSample as AvailabilitySample } from '../kpi/availability.js';
import type { MonitorDefinition } from '../plugins/registry.js';

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

/** A live monitor: one method, called at most once at a time. */
export interface Monitor {
  sample(ctx: SampleContext): Promise<SampleResult>;
  /** Releases whatever the monitor holds (connection pools); optional. */
  close?(): Promise<void>;
}

/** A monitor type's runtime: builds a {@link Monitor} from options its definition has validated. */
export interface MonitorImplementation<D extends MonitorDefinition = MonitorDefinition> {
  /** The schema-only definition this implements (its name is the type name). */
  readonly definition: D;
  create(options: z.output<D['options']>): Monitor;
}

/** Declares a monitor implementation for a definition. */
export function implementMonitor<D extends MonitorDefinition>(
  definition: D,
  create: (options: z.output<D['options']>) => Monitor,
): MonitorImplementation<D> {
  return { definition, create };
}
