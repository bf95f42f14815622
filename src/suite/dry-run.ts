/**
 * `faultline suite --dry-run`: the calendar and the run order of every start, as text. Every random choice is
 * drawn from the suite's seed, each start from its own fork, so the output is the same for the same seed and
 * "now" — and a start's order and seeds do not change when the calendar around it does.
 */
import { normalizeSeed, randomStream } from '../core/random.js';
import { ms } from '../experiment/duration.js';
import type { ExperimentSpec } from '../experiment/schema.js';
import { warmupBounds } from '../experiment/warmup.js';
import { suiteCalendar } from './calendar.js';
import { type PlanEntry, type PlannedRun, planSuiteRuns } from './plan.js';
import type { ScheduleSpec, SuiteSpec } from './schema.js';

export interface SuiteDryRun {
  seed: number;
  nowMs: number;
  startsMs: number[];
  open: boolean;
  starts: PlannedRun[][];
}

/** The planner's view of one entry: its experiment's targets and estimated length, and its own seed. */
export function planEntry(run: SuiteSpec['runs'][number], spec: ExperimentSpec): PlanEntry {
  return {
    name: run.name,
    dependsOn: run.depends_on,
    if: run.if,
    repeat: run.repeat,
    targets: Object.keys(spec.targets),
    durationMs: warmupBounds(spec.warmup).minMs + ms(spec.duration),
    ...(spec.seed === undefined ? {} : { seed: normalizeSeed(spec.seed) }),
  };
}

export function planSuite(
  suite: SuiteSpec,
  experiments: Map<string, ExperimentSpec>,
  o: { seed: number; nowMs: number; only?: string; limit?: number },
): SuiteDryRun {
  const rng = randomStream(o.seed);
  const cal = suiteCalendar(suite.schedule, {
    nowMs: o.nowMs,
    rng: rng.fork('calendar'),
    ...(o.limit === undefined ? {} : { limit: o.limit }),
  });
  const runs = suite.runs.filter((r) => o.only === undefined || r.name === o.only);
  const entries = runs.map((r) => {
    const e = planEntry(r, experiments.get(r.name) as ExperimentSpec);
    // --only runs the one entry: what it depends on is not part of this suite run
    return o.only === undefined ? e : { ...e, dependsOn: [] };
  });
  const starts = cal.startsMs.map((_, i) =>
    planSuiteRuns({ entries, parallel: suite.parallel, exclusive: suite.exclusive }, rng.fork(`start ${i}`)),
  );
  return { seed: o.seed, nowMs: o.nowMs, startsMs: cal.startsMs, open: cal.open, starts };
}

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

function offset(msValue: number): string {
  const s = Math.round(msValue / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `+${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${String(m).padStart(h > 0 ? 2 : 1, '0')}m` : ''}${String(r).padStart(h > 0 || m > 0 ? 2 : 1, '0')}s`;
}

function describeSchedule(s: ScheduleSpec | undefined): string {
  if (s === undefined) return 'once, now';
  const parts = [s.every !== undefined ? `every ${s.every}` : `cron "${s.cron}"`];
  if (ms(s.jitter) > 0) parts.push(`jitter up to ${s.jitter}`);
  if (ms(s.min_interval) > 0) parts.push(`at least ${s.min_interval} apart`);
  if (s.window?.hours) parts.push(`between ${s.window.hours}`);
  if (s.window?.days) parts.push(`on ${s.window.days.join(',')}`);
  if (s.until) parts.push(`until ${s.until}`);
  if (s.times) parts.push(`at most ${s.times} times`);
  return parts.join(', ');
}

/** The dry run as the CLI prints it. */
export function formatSuiteDryRun(suite: SuiteSpec, plan: SuiteDryRun, only?: string): string {
  const lines = [
    suite.title,
    `seed ${plan.seed} · parallel ${suite.parallel} · stop_on ${suite.stop_on} · cleanup ${suite.cleanup} · exclusive ${suite.exclusive.length ? suite.exclusive.join(', ') : 'none'}`,
    `schedule (UTC, from ${iso(plan.nowMs)}): ${describeSchedule(suite.schedule)}`,
  ];
  if (only !== undefined) lines.push(`only ${only} (its dependencies are not run)`);
  if (plan.startsMs.length === 0) lines.push('no start falls inside the schedule');
  for (const [i, t] of plan.startsMs.entries()) {
    lines.push('', `start ${i + 1}: ${iso(t)}`);
    const runs = plan.starts[i] ?? [];
    for (const r of runs) {
      const waits = r.after.length
        ? ` after ${r.after.join(', ')}${r.if === 'passed' ? '' : ` (if ${r.if})`}`
        : '';
      const parallel = runs.some((o) => o !== r && o.startMs < r.endMs && r.startMs < o.endMs);
      lines.push(
        `  ${offset(r.startMs).padEnd(9)} ${r.run} [slot ${r.slot}${parallel ? ', in parallel' : ''}] seed ${r.seed}${r.seedDrawn ? ' (drawn)' : ''}${waits} — until ~${offset(r.endMs)}`,
      );
    }
    const end = Math.max(0, ...runs.map((r) => r.endMs));
    lines.push(`  ends ~${offset(end)} (${iso(t + end)}), if every run passes`);
  }
  if (plan.open) lines.push('', `(the schedule goes on: the first ${plan.startsMs.length} starts are shown)`);
  return lines.join('\n');
}
