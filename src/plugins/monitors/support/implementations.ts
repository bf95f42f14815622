/**
 * Monitor implementations by type name — the same names as the experiment file's monitor definitions. The engine
 * builds a monitor from a validated spec by looking its type up here; adding a type is adding a file.
 */
import { FaultlineError, InvalidOptionError } from '../../../core/errors.js';
import { type Duration, ms } from '../../../experiment/duration.js';
import type { ExperimentSpec } from '../../../experiment/schema.js';
import type { MonitorEntry } from '../../../monitors/sampler.js';
import type { Monitor, MonitorImplementation } from '../../../monitors/types.js';
import { commandMonitorImpl } from '../command.js';
import { httpMonitorImpl } from '../http.js';
import { prometheusMonitorImpl } from '../prometheus.js';
import { tcpMonitorImpl } from '../tcp.js';

/** A validated monitor of an experiment file (`type`, `every`, `timeout` and the type's options). */
export type MonitorSpec = ExperimentSpec['monitors'][string];

/** Implementations keyed by type name; a name registered twice is an error. */
export class MonitorImplementations {
  readonly #byName = new Map<string, MonitorImplementation>();

  constructor(impls: readonly MonitorImplementation[] = []) {
    for (const i of impls) this.register(i);
  }

  register(impl: MonitorImplementation): void {
    const name = impl.definition.name;
    if (this.#byName.has(name))
      throw new FaultlineError(
        'FAULTLINE_DUPLICATE_TYPE',
        `monitor implementation '${name}' is registered twice`,
      );
    this.#byName.set(name, impl);
  }

  get(name: string): MonitorImplementation | undefined {
    return this.#byName.get(name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  /**
   * A live monitor for a spec. Options are parsed again with the type's schema so defaults apply even when the
   * caller built the spec by hand. @throws InvalidOptionError naming the field.
   */
  create(spec: { type: string } & Record<string, unknown>): Monitor {
    const impl = this.#byName.get(spec.type);
    if (!impl)
      throw new InvalidOptionError(
        'type',
        `unknown monitor '${spec.type}'; known: ${this.names().join(', ')}`,
      );
    const { type: _t, every: _e, timeout: _to, within: _w, ...rest } = spec;
    const parsed = impl.definition.options.safeParse(rest);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidOptionError(issue?.path.join('.') || 'options', issue?.message ?? 'invalid options');
    }
    const problems = impl.definition.check?.(parsed.data) ?? [];
    if (problems.length > 0) {
      const p = problems[0] as (typeof problems)[number];
      throw new InvalidOptionError(p.path.join('.'), p.message);
    }
    return impl.create(parsed.data);
  }

  /** A sampler entry for a validated spec: its monitor, interval (`every`) and timeout. */
  entry(
    spec: MonitorSpec | ({ type: string; every: Duration; timeout: Duration } & Record<string, unknown>),
  ): MonitorEntry {
    return {
      monitor: this.create(spec as { type: string } & Record<string, unknown>),
      intervalMs: ms(spec.every, 'every'),
      timeoutMs: ms(spec.timeout, 'timeout'),
    };
  }
}

/** The built-in monitor implementations. */
export const monitorImplementations = new MonitorImplementations([
  httpMonitorImpl,
  tcpMonitorImpl,
  commandMonitorImpl,
  prometheusMonitorImpl,
] as MonitorImplementation[]);
