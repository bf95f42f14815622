/**
 * Text forms of a run for people: the live progress line and the end-of-run summary table. Pure string
 * functions, so the CLI decides where they go (a rewritten line on a TTY, plain lines otherwise).
 */
import type { PhaseKpis } from '../kpi/phases.js';
import type { LoadResult } from './http-runner.js';
import { formatLag } from './lag.js';
import type { LoadProgress } from './recorder.js';
import { OUTCOME_CLASSES } from './samples.js';

const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(3));

/** One line: elapsed time, totals, current throughput and p99. */
export function formatProgress(p: LoadProgress): string {
  const parts = [
    `${(p.elapsedMs / 1000).toFixed(0)}s`,
    `sent ${p.sent}`,
    `ok ${p.ok}`,
    `errors ${p.errors}`,
    `in flight ${p.inFlight}`,
    `${p.completedPerSec.toFixed(0)} req/s`,
    `p99 ${fmtMs(p.windowP99Ms)} ms`,
  ];
  if (p.dropped > 0) parts.push(`dropped ${p.dropped}`);
  return parts.join(' · ');
}

function pad(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The KPI table of one phase (or a whole run). */
export function formatKpis(k: PhaseKpis): string {
  const rows: string[][] = [
    ['requests', `${k.completed} completed, ${k.ok} ok, ${k.sent} sent, ${k.dropped} dropped`],
    ['throughput', `${k.throughput.toFixed(1)} req/s (ok ${k.goodput.toFixed(1)} req/s)`],
    ['error rate', `${(k.errorRate * 100).toFixed(2)} %`],
  ];
  const errs = OUTCOME_CLASSES.filter((c) => c !== 'ok' && k.outcomes[c] > 0).map(
    (c) => `${c} ${k.outcomes[c]}`,
  );
  if (errs.length > 0) rows.push(['errors', errs.join(', ')]);
  const l = k.latency;
  rows.push([
    'latency ms',
    `p50 ${fmtMs(l.p50Ms)}  p90 ${fmtMs(l.p90Ms)}  p99 ${fmtMs(l.p99Ms)}  p99.9 ${fmtMs(l.p999Ms)}  max ${fmtMs(l.maxMs)}`,
  ]);
  return pad(rows);
}

/**
 * The end-of-run summary: the model, the KPI table, for the open model the scheduling error, the generator's own
 * lag and, when it is a real share of the latencies, a warning that they are not the system's.
 */
export function formatSummary(r: LoadResult): string {
  const lines = [
    `${r.model} model, ${r.engine ? `${r.engine} engine, ` : ''}${r.series.target}, ` +
      `${(r.elapsedMs / 1000).toFixed(1)} s${r.stopped ? ' (stopped)' : ''}`,
    formatKpis(r.summary),
  ];
  if (r.scheduling && r.scheduling.count > 0) {
    lines.push(
      `send time error (actual − intended): p50 ${r.scheduling.p50Us} µs, p99 ${r.scheduling.p99Us} µs, max ${r.scheduling.maxUs} µs`,
    );
  }
  const lag = formatLag(r.series.buckets);
  if (lag !== undefined) lines.push(lag);
  if (r.lag?.warning !== undefined) lines.push(`WARNING: ${r.lag.warning}`);
  return lines.join('\n');
}
