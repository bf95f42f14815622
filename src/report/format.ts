/**
 * Number and time formatting shared by the HTML report and the terminal summary, so both say the same thing
 * with the same precision. Pure string functions.
 */
import { formatPercent } from '../core/percent.js';
import type { MonitorSample } from '../kpi/availability.js';
import type { PhaseKpis } from '../kpi/phases.js';
import type { ReportAssertion, ReportData, ReportVerdict, ReportWindow } from './types.js';

/** Milliseconds with precision that fits their size: `0`, `0.412`, `12.3`, `312`. */
export function formatMs(ms: number): string {
  if (ms === 0) return '0';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(3);
}

export { formatPercent };

/** Seconds relative to the run start: `+12.0 s`. */
export function formatOffset(ms: number, startedMs: number): string {
  return `+${((ms - startedMs) / 1000).toFixed(1)} s`;
}

/** A duration: `850 ms`, `12.5 s`, `3 min 20 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The verdict in capitals for people. */
export function verdictLabel(v: ReportVerdict): string {
  return v === 'not-ready' ? 'NOT READY' : v.toUpperCase();
}

/** A measured value with its unit, for people: `12.3 ms`, `0.5%`, `42 req/s`. */
export function formatValue(v: number, unit: string): string {
  if (unit === '%') return formatPercent(v / 100);
  const n = unit === 'ms' ? formatMs(v) : Number.isInteger(v) ? String(v) : v.toPrecision(3);
  return unit === '' ? n : `${n} ${unit}`;
}

/** An assertion's measured value with its unit and any note that qualifies it, or why it was not measured. */
export function formatMeasured(a: ReportAssertion): string {
  if (a.measured === null) return a.note ?? 'not measured';
  // a note beside a value qualifies it (e.g. "baseline already outside the promise")
  return `${formatValue(a.measured, a.unit)}${a.note ? ` (${a.note})` : ''}`;
}

/** The rows of the KPI table: label and a formatter over one phase's KPIs. */
export const KPI_ROWS: readonly { label: string; value: (k: PhaseKpis) => string }[] = [
  { label: 'duration', value: (k) => `${k.durationSec} s` },
  { label: 'requests', value: (k) => String(k.completed) },
  { label: 'throughput', value: (k) => `${k.throughput.toFixed(1)} req/s` },
  { label: 'error rate', value: (k) => formatPercent(k.errorRate) },
  { label: 'p50', value: (k) => (k.latency.count > 0 ? `${formatMs(k.latency.p50Ms)} ms` : '–') },
  { label: 'p90', value: (k) => (k.latency.count > 0 ? `${formatMs(k.latency.p90Ms)} ms` : '–') },
  { label: 'p99', value: (k) => (k.latency.count > 0 ? `${formatMs(k.latency.p99Ms)} ms` : '–') },
  { label: 'max', value: (k) => (k.latency.count > 0 ? `${formatMs(k.latency.maxMs)} ms` : '–') },
];

/** Phases that have buckets in at least one load runner, in order. */
export function phasesWithData(data: ReportData): ('before' | 'during' | 'after')[] {
  return (['before', 'during', 'after'] as const).filter(
    (p) => data.phases[p] !== undefined || data.load.some((l) => l.kpis[p].buckets > 0),
  );
}

/**
 * The times faults were active, overlapping windows merged (three replicas killed at once are one window), in
 * order. A fault never reverted counts up to `endedMs`.
 */
export function faultWindows(data: ReportData): ReportWindow[] {
  const sorted = data.faults
    .map((f) => ({ startMs: f.startMs, endMs: f.endMs ?? data.endedMs }))
    .sort((a, b) => a.startMs - b.startMs);
  const out: ReportWindow[] = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && w.startMs <= last.endMs) last.endMs = Math.max(last.endMs, w.endMs);
    else out.push({ ...w });
  }
  return out;
}

/** The method — from the first phase's start to the last one's end — or undefined when it never ran. */
export function methodWindow(data: ReportData): ReportWindow | undefined {
  const windows = (['before', 'during', 'after'] as const).flatMap((p) => data.phases[p] ?? []);
  const first = windows[0];
  const last = windows[windows.length - 1];
  return first && last ? { startMs: first.startMs, endMs: last.endMs } : undefined;
}

/** How many outages (runs of down samples) began outside `w`: before it (start-up, warm-up) or after it. */
export function outagesOutside(samples: readonly MonitorSample[], w: ReportWindow): number {
  let n = 0;
  let down = false;
  for (const s of [...samples].sort((a, b) => a.tMs - b.tMs)) {
    if (!s.ok && !down && (s.tMs < w.startMs || s.tMs > w.endMs)) n += 1;
    down = !s.ok;
  }
  return n;
}
