/**
 * The engine's view of the monitor registry: it builds a live monitor from a validated spec by looking its type up
 * by name, parsing the options with that type's own schema. It holds no list of its own — the built-in view reads
 * the one registry in src/plugins/monitors/index.ts, so a monitor is registered once.
 */
import type { z } from 'zod';
import { InvalidOptionError } from '../../../core/errors.js';
import { type Duration, ms } from '../../../experiment/duration.js';
import type { MonitorEntry } from '../../../monitors/sampler.js';
import type {
  Monitor,
  MonitorContext,
  MonitorImplementation,
  MonitorPlugin,
} from '../../../monitors/types.js';
import { Registry } from '../../registry.js';

/**
 * A validated monitor of an experiment file: `type`, `every`, `timeout` and the type's options. Written out
 * rather than taken from the experiment schema, which is built from this registry (no import circle).
 */
export type MonitorSpec = { type: string; every: Duration; timeout: Duration } & Record<string, unknown>;

// One view object per plug-in, so `get(name)` hands out the same implementation each time.
const views = new WeakMap<MonitorPlugin, MonitorImplementation>();

/** A plug-in seen as an implementation: the plug-in itself is its definition. */
export function implementationOf<O extends z.ZodObject>(plugin: MonitorPlugin<O>): MonitorImplementation {
  // Typed loosely, as the registry holds them: each plug-in's `check` only takes its own options.
  const p = plugin as unknown as MonitorPlugin;
  let view = views.get(p);
  if (!view) {
    view = { definition: p, create: (options, ctx) => p.create(options, ctx) };
    views.set(p, view);
  }
  return view;
}

/** An implementation paired by hand with a definition becomes a plug-in; a plug-in's own view is the plug-in. */
function pluginOf(impl: MonitorImplementation): MonitorPlugin {
  const d = impl.definition as MonitorPlugin;
  if (typeof d.create === 'function' && views.get(d) === impl) return d;
  return { ...impl.definition, create: (options, ctx) => impl.create(options, ctx) };
}

/** Monitor types keyed by name; a name registered twice is an error (the registry refuses it). */
export class MonitorImplementations {
  readonly #registry: Registry<MonitorPlugin>;

  /** Over an existing registry (shared, not copied), or a fresh one holding `impls`. */
  constructor(source: Registry<MonitorPlugin> | readonly MonitorImplementation[] = []) {
    this.#registry =
      source instanceof Registry ? source : new Registry<MonitorPlugin>('monitor', source.map(pluginOf));
  }

  register(impl: MonitorImplementation): void {
    this.#registry.register(pluginOf(impl));
  }

  get(name: string): MonitorImplementation | undefined {
    const plugin = this.#registry.get(name);
    return plugin && implementationOf(plugin);
  }

  names(): string[] {
    return this.#registry.names();
  }

  /**
   * A live monitor for a spec. Options are parsed again with the type's schema so defaults apply even when the
   * caller built the spec by hand. @throws InvalidOptionError naming the field.
   */
  create(spec: { type: string } & Record<string, unknown>, ctx?: MonitorContext): Monitor {
    const plugin = this.#registry.get(spec.type);
    if (!plugin)
      throw new InvalidOptionError(
        'type',
        `unknown monitor '${spec.type}'; known: ${this.names().join(', ')}`,
      );
    const { type: _t, every: _e, timeout: _to, within: _w, ...rest } = spec;
    const parsed = plugin.options.safeParse(rest);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      // strict options: an unknown key has no path of its own, so the key itself is the field named
      const path = [
        ...(issue?.path ?? []),
        ...(issue?.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : []),
      ];
      throw new InvalidOptionError(path.join('.') || 'options', issue?.message ?? 'invalid options');
    }
    const problems = plugin.check?.(parsed.data) ?? [];
    if (problems.length > 0) {
      const p = problems[0] as (typeof problems)[number];
      throw new InvalidOptionError(p.path.join('.'), p.message);
    }
    return plugin.create(parsed.data, ctx);
  }

  /** A sampler entry for a validated spec: its monitor, interval (`every`) and timeout. */
  entry(spec: MonitorSpec, ctx?: MonitorContext): MonitorEntry {
    return {
      monitor: this.create(spec as { type: string } & Record<string, unknown>, ctx),
      intervalMs: ms(spec.every, 'every'),
      timeoutMs: ms(spec.timeout, 'timeout'),
    };
  }
}
