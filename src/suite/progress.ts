/**
 * Live progress of a suite in words: a table of every run's state (redrawn on a terminal) and one line per
 * state change (for logs and CI). Pure formatting; the CLI decides which to print.
 */
import type { SuiteRunRecord } from './runner.js';

function seconds(msValue: number): string {
  return `${(msValue / 1000).toFixed(1)}s`;
}

function label(r: SuiteRunRecord, starts: number): string {
  return starts > 1 ? `${r.start}: ${r.run}` : r.run;
}

/** What a record says besides its state: its phase, duration, verdict or skip reason. */
function detail(r: SuiteRunRecord, nowMs: number): string {
  switch (r.state) {
    case 'waiting':
      return '';
    case 'running':
      return `${r.phase ?? 'starting'} ${seconds(nowMs - (r.startedMs ?? nowMs))}${r.pid ? ` · pid ${r.pid}` : ''}`;
    case 'skipped':
      return r.skipReason ?? '';
    default: {
      const took =
        r.startedMs !== undefined && r.endedMs !== undefined ? seconds(r.endedMs - r.startedMs) : '';
      const verdict = r.verdict !== undefined && r.verdict !== r.state ? ` (${r.verdict})` : '';
      return `${took}${verdict}${r.reason && r.state !== 'passed' ? ` · ${r.reason}` : ''}`;
    }
  }
}

/** The table: one line per run, with a header. */
export function formatSuiteTable(records: readonly SuiteRunRecord[], nowMs: number, starts = 1): string[] {
  const w = Math.max(3, ...records.map((r) => label(r, starts).length));
  const lines = [`${'run'.padEnd(w)}  ${'state'.padEnd(8)}  ${'seed'.padEnd(15)}  detail`];
  for (const r of records)
    lines.push(
      `${label(r, starts).padEnd(w)}  ${r.state.padEnd(8)}  ${String(r.seed).padEnd(15)}  ${detail(r, nowMs)}`.trimEnd(),
    );
  return lines;
}

/** `+12.3s kill running (seed 42)`, `+40.1s kill passed 28.9s`, `+40.1s c skipped: a failed; if: passed`. */
export function formatSuiteChange(r: SuiteRunRecord, startedMs: number, nowMs: number, starts = 1): string {
  const at = `+${seconds(nowMs - startedMs).padStart(6)}`;
  const name = label(r, starts);
  if (r.state === 'running') return `${at} ${name} running (seed ${r.seed})`;
  if (r.state === 'skipped') return `${at} ${name} skipped: ${r.skipReason ?? ''}`;
  if (r.state === 'waiting') return `${at} ${name} waiting`;
  return `${at} ${name} ${r.state} ${detail(r, nowMs)}`.trimEnd();
}
