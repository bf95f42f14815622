/**
 * The run's monitors: sampled from warm-up to the end of the steady-state-after check, every sample kept for
 * the result and the conditions, and each change between up and down journaled and told as it happens.
 */

import { type MonitorEntry, startMonitors } from '../../monitors/sampler.js';
import type { MonitorSample } from '../../monitors/types.js';
import { monitorImplementations } from '../../plugins/monitors/index.js';
import type { ExperimentSpec } from '../schema.js';
import type { RunContext } from './context.js';

/** Monitors being sampled. */
export interface RunMonitors {
  /** Every sample so far, by monitor name (an entry per monitor from the start). */
  readonly samples: Record<string, MonitorSample[]>;
  /** Stops sampling; resolves once every loop has ended. */
  stop(): Promise<void>;
}

/** Starts sampling `specs` (placeholders expanded). */
export function startRunMonitors(ctx: RunContext, specs: ExperimentSpec['monitors']): RunMonitors {
  const samples: Record<string, MonitorSample[]> = {};
  const entries: Record<string, MonitorEntry> = {};
  for (const [name, m] of Object.entries(specs)) {
    entries[name] = monitorImplementations.entry(m, ctx.fleet === undefined ? {} : { fleet: ctx.fleet });
    samples[name] = [];
  }
  const down = new Set<string>();
  const halt = new AbortController();
  const done = startMonitors(entries, {
    clock: ctx.clock,
    signal: halt.signal,
    onSample: (name, s) => {
      samples[name]?.push(s);
      if (!s.ok && !down.has(name)) {
        down.add(name);
        ctx.journal.append({
          event: 'monitor.breach',
          monitor: name,
          message: s.error ?? s.detail ?? 'down',
        });
        ctx.emit('monitor.down', `${name} down: ${s.error ?? s.detail ?? ''}`.trim());
      } else if (s.ok && down.has(name)) {
        down.delete(name);
        ctx.journal.append({ event: 'monitor.recovered', monitor: name });
        ctx.emit('monitor.up', `${name} up again`);
      }
    },
  }).done;
  return {
    samples,
    stop() {
      halt.abort();
      return done;
    },
  };
}
