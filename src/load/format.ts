/**
 * Text forms of a run for people: the live progress line and the end-of-run summary table. Pure string
 * functions, so the CLI decides where they go (a rewritten line on a TTY, plain lines otherwise).
 */
import { formatPercent } from '../core/percent.js';
import type { PhaseKpis } from '../kpi/phases.js';
import type { ErrorCause } from './causes.js';
import type { LoadResult } from './http-runner.js';
import { formatLag } from './lag.js';
import type { LoadProgress } from './recorder.js';
import { OUTCOME_CLASSES } from './samples.js';
import { formatThresholdResult, type ThresholdResult } from './thresholds.js';

/** What a value nothing measured is shown as: never 0, which reads as a (very good) measurement. */
export const UNMEASURED = '–';

/** Causes listed in the summary; `--json` has them all. */
const CAUSES_SHOWN = 5;

const fmtMs = (ms: number | null) =>
  ms === null ? UNMEASURED : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(3);

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

/** `other: ENOTFOUND ×20 (getaddrinfo ENOTFOUND shop.invalid)`. */
function formatCause(c: ErrorCause): string {
  const example = c.message === c.cause ? '' : ` (${c.message})`;
  return `${c.outcome}: ${c.cause} ×${c.count}${example}`;
}

/** The KPI table of one phase (or a whole run); `causes` (most frequent first) follow the error counts. */
export function formatKpis(k: PhaseKpis, causes: readonly ErrorCause[] = []): string {
  const rows: string[][] = [
    ['requests', `${k.completed} completed, ${k.ok} ok, ${k.sent} sent, ${k.dropped} dropped`],
    ['throughput', `${k.throughput.toFixed(1)} req/s (ok ${k.goodput.toFixed(1)} req/s)`],
    ['error rate', k.completed === 0 ? UNMEASURED : formatPercent(k.errorRate)],
  ];
  const errs = OUTCOME_CLASSES.filter((c) => c !== 'ok' && k.outcomes[c] > 0).map(
    (c) => `${c} ${k.outcomes[c]}`,
  );
  if (errs.length > 0) rows.push(['errors', errs.join(', ')]);
  causes.slice(0, CAUSES_SHOWN).forEach((c, i) => {
    rows.push([i === 0 ? 'causes' : '', formatCause(c)]);
  });
  if (causes.length > CAUSES_SHOWN) {
    rows.push(['', `… ${causes.length - CAUSES_SHOWN} more (--json lists every cause)`]);
  }
  const l = k.latency;
  const v = (ms: number) => fmtMs(l.count === 0 ? null : ms);
  rows.push([
    'latency ms',
    `p50 ${v(l.p50Ms)}  p90 ${v(l.p90Ms)}  p99 ${v(l.p99Ms)}  p99.9 ${v(l.p999Ms)}  max ${v(l.maxMs)}`,
  ]);
  return pad(rows);
}

/** One line per threshold: `✓ error_rate<1%: measured 0.00%`, `✗ p99<200ms: not measured (…)`. */
export function formatThresholds(results: readonly ThresholdResult[]): string {
  return pad(
    results.map((r, i) => [i === 0 ? 'thresholds' : '', `${r.ok ? '✓' : '✗'} ${formatThresholdResult(r)}`]),
  );
}

/**
 * The end-of-run summary: the model, the KPI table, for the open model the scheduling error, the generator's own
 * lag and, when it is a real share of the latencies, a warning that they are not the system's; then each
 * threshold judged.
 */
export function formatSummary(r: LoadResult, thresholds: readonly ThresholdResult[] = []): string {
  const lines = [
    `${r.model} model, ${r.engine ? `${r.engine} engine, ` : ''}${r.series.target}, ` +
      `${(r.elapsedMs / 1000).toFixed(1)} s${r.stopped ? ' (stopped)' : ''}`,
    formatKpis(r.summary, r.errorCauses),
  ];
  if (r.scheduling && r.scheduling.count > 0) {
    lines.push(
      `send time error (actual − intended): p50 ${r.scheduling.p50Us} µs, p99 ${r.scheduling.p99Us} µs, max ${r.scheduling.maxUs} µs`,
    );
  }
  const lag = formatLag(r.series.buckets);
  if (lag !== undefined) lines.push(lag);
  if (r.lag?.warning !== undefined) lines.push(`WARNING: ${r.lag.warning}`);
  if (thresholds.length > 0) lines.push(formatThresholds(thresholds));
  return lines.join('\n');
}
