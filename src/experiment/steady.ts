/**
 * The steady-state check: every probe sampled once per round, each against its tolerance; rounds repeat until
 * all pass in the same round or `within` has passed. Before the method a failure means the system was not ready
 * (nothing is judged); after it, that the system did not come back within the same time.
 */
import type { FleetContext } from '../fleet/context.js';
import type { Clock } from '../load/clock.js';
import { sampleOnce } from '../monitors/sampler.js';
import type { MonitorSample } from '../monitors/types.js';
import { monitorImplementations } from '../plugins/monitors/index.js';
import { ms } from './duration.js';
import type { ExperimentSpec } from './schema.js';

/** One probe's outcome in the last round. */
export interface ProbeOutcome {
  name: string;
  ok: boolean;
  value?: number;
  latencyMs?: number;
  /** Why it failed, or what was seen. */
  reason: string;
}

/** The check's outcome. */
export interface SteadyStateResult {
  ok: boolean;
  /** Rounds sampled. */
  rounds: number;
  /** How long the check took, in ms. */
  tookMs: number;
  probes: ProbeOutcome[];
  /** The failing probes, in one line, when not ok. */
  reason?: string;
}

type SteadySpec = NonNullable<ExperimentSpec['steady_state']>;
type Probe = SteadySpec['probes'][number];

const ROUND_GAP_MS = 250;

function judge(p: Probe, name: string, s: MonitorSample | undefined): ProbeOutcome {
  const t = p.tolerance;
  if (s === undefined) return { name, ok: false, reason: 'no sample (stopped)' };
  const base = {
    name,
    latencyMs: s.latencyMs,
    ...(s.value === undefined ? {} : { value: s.value }),
  };
  if (s.ok !== t.up)
    return {
      ...base,
      ok: false,
      reason: s.ok ? 'up, expected down' : `down: ${s.error ?? s.detail ?? ''}`.trim(),
    };
  if (t.min !== undefined || t.max !== undefined) {
    if (s.value === undefined) return { ...base, ok: false, reason: 'no value to compare' };
    if (t.min !== undefined && s.value < t.min)
      return { ...base, ok: false, reason: `${s.value} < min ${t.min}` };
    if (t.max !== undefined && s.value > t.max)
      return { ...base, ok: false, reason: `${s.value} > max ${t.max}` };
  }
  if (t.max_latency !== undefined && s.latencyMs > ms(t.max_latency, 'max_latency'))
    return { ...base, ok: false, reason: `took ${Math.round(s.latencyMs)} ms > ${t.max_latency}` };
  return { ...base, ok: true, reason: s.detail ?? 'ok' };
}

/** Runs the check. `monitors` are the experiment's monitor specs (placeholders expanded). */
export async function checkSteadyState(
  steady: SteadySpec,
  monitors: ExperimentSpec['monitors'],
  options: { clock: Clock; signal: AbortSignal; withinMs?: number; fleet?: FleetContext | undefined },
): Promise<SteadyStateResult> {
  const { clock, signal } = options;
  const withinMs = options.withinMs ?? ms(steady.within, 'within');
  const probes = steady.probes.map((p, i) => {
    const spec = p.probe ?? monitors[p.monitor as string];
    const name = p.name ?? p.monitor ?? `probe#${i}`;
    const monitor = monitorImplementations.create(
      spec as unknown as { type: string },
      options.fleet === undefined ? {} : { fleet: options.fleet },
    );
    return { p, name, monitor, timeoutMs: ms(spec?.timeout ?? '2s', 'timeout') };
  });
  const start = clock.nowMs();
  let rounds = 0;
  let outcomes: ProbeOutcome[] = [];
  try {
    for (;;) {
      rounds += 1;
      outcomes = await Promise.all(
        probes.map(async ({ p, name, monitor, timeoutMs }) => {
          const { sample, settled } = await sampleOnce(monitor, timeoutMs, clock, signal);
          await settled;
          return judge(p, name, sample);
        }),
      );
      const ok = outcomes.every((o) => o.ok);
      const tookMs = clock.nowMs() - start;
      if (ok || tookMs >= withinMs || signal.aborted) {
        const failed = outcomes.filter((o) => !o.ok);
        return {
          ok,
          rounds,
          tookMs,
          probes: outcomes,
          ...(ok ? {} : { reason: failed.map((o) => `${o.name} ${o.reason}`).join('; ') }),
        };
      }
      await new Promise<void>((r) => {
        const t = clock.setTimeout(r, ROUND_GAP_MS);
        signal.addEventListener(
          'abort',
          () => {
            clock.clearTimeout(t);
            r();
          },
          { once: true },
        );
      });
    }
  } finally {
    await Promise.all(probes.map((x) => x.monitor.close?.()));
  }
}
