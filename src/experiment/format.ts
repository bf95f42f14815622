/** Text form of a plan for `faultline run --dry-run`: one line per step, times from the start of the method. */
import type { ExperimentPlan, PlanStep } from './plan.js';

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

function line(s: PlanStep): string {
  const what = `${s.fault} (${s.disruptor})`;
  if (s.status === 'on-condition') return `on condition  ${what} → ${s.target}: ${s.note ?? ''}`;
  if (s.status === 'dropped')
    return `dropped       ${what} → ${s.target} at +${secs(s.requestedMs ?? 0)}: ${s.note ?? ''}`;
  const until = s.endMs === null ? '' : ` until +${secs(s.endMs)}`;
  const note = s.note ? ` (${s.note})` : '';
  if (s.group !== undefined)
    return `+${secs(s.startMs ?? 0).padEnd(12)} ${what} → ${s.target} on ${s.group.hosts.join(', ')}${until}: ${s.group.describe}${note}`;
  const on = s.host === undefined ? '' : ` on ${s.host}`;
  return `+${secs(s.startMs ?? 0).padEnd(12)} ${what} → ${s.target}[${s.instance}]${on}${until}${note}`;
}

/** The plan as lines of text (no trailing newline). */
export function formatPlan(plan: ExperimentPlan, title?: string): string {
  const out: string[] = [];
  if (title) out.push(title);
  out.push(`seed ${plan.seed} · warm-up ${secs(plan.warmupMs)} · method ${secs(plan.durationMs)}`);
  for (const [name, t] of Object.entries(plan.targets)) {
    const on = t.hosts === undefined ? '' : ` on ${t.hosts.join(', ')}`;
    out.push(
      `target ${name}: ${t.instances} instance(s)${on}, at most ${t.maxUnavailable} unavailable at once`,
    );
  }
  if (plan.steps.length === 0) out.push('no faults');
  for (const s of plan.steps) out.push(line(s));
  return out.join('\n');
}
