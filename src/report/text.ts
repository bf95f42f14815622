/**
 * The terminal form of a report: what someone reads right after a run, before (or instead of) opening
 * report.html — the verdict, the KPIs per phase, what broke and how to run it again. Plain text, no colour, so
 * it reads the same in a CI log.
 */
import {
  formatDuration,
  formatMeasured,
  formatOffset,
  KPI_ROWS,
  phasesWithData,
  verdictLabel,
} from './format.js';
import type { ReportData } from './types.js';

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/** The short terminal summary: verdict, KPI table per phase, failed assertions, the reproduce line. */
export function renderTextSummary(data: ReportData): string {
  const out: string[] = [];
  const duration = formatDuration(data.endedMs - data.startedMs);
  out.push(`${verdictLabel(data.verdict)}  ${data.title}  (seed ${data.seed}, ${duration})`);
  if (data.reason) out.push(`  ${data.reason}`);
  const phases = phasesWithData(data);
  for (const load of data.load) {
    out.push('');
    if (data.load.length > 1) out.push(`load ${load.name}`);
    const rows: string[][] = [['', ...phases]];
    for (const row of KPI_ROWS) rows.push([row.label, ...phases.map((p) => row.value(load.kpis[p]))]);
    out.push(table(rows));
  }
  const failed = data.assertions.filter((a) => !a.passed);
  if (data.assertions.length > 0) {
    out.push('');
    out.push(
      `assertions: ${data.assertions.length - failed.length} of ${data.assertions.length} held` +
        (failed.length > 0 ? `, ${failed.length} broke:` : ''),
    );
    for (const a of failed) {
      const faults = a.faultsActive.length > 0 ? ` — faults active: ${a.faultsActive.join(', ')}` : '';
      out.push(
        `  ✗ ${a.name}: expected ${a.expected}, ${a.measured === null ? '' : 'measured '}${formatMeasured(a)}${faults}`,
      );
    }
  }
  const unreverted = data.faults.filter((f) => f.endMs === null);
  for (const f of unreverted) {
    out.push(
      `  ! fault ${f.name} on ${f.target} (applied ${formatOffset(f.startMs, data.startedMs)}) was never reverted`,
    );
  }
  out.push('');
  out.push(`reproduce: ${data.command}`);
  return out.join('\n');
}
