/**
 * Live progress of a run in words: one status line (phase, elapsed, faults active, throughput, error rate) and
 * one line per event. Pure formatting; the CLI decides whether to redraw the status line (a terminal) or print
 * plain lines (a log).
 */
import { formatPercent } from '../core/percent.js';
import type { RunEvent, RunProgress } from './engine.js';

function seconds(msValue: number): string {
  return `${(msValue / 1000).toFixed(1)}s`;
}

/** `[method 12.3s/30.0s] 198 req/s, 0.5% errors · faults: kill-a-replica on api-1`. */
export function formatRunProgress(p: RunProgress): string {
  const clock =
    p.phase === 'method' ? `${seconds(p.methodMs)}/${seconds(p.durationMs)}` : seconds(p.elapsedMs);
  const load = `${Math.round(p.throughput)} req/s, ${formatPercent(p.errorRate)} errors`;
  const faults = p.activeFaults.length > 0 ? ` · faults: ${p.activeFaults.join(', ')}` : '';
  return `[${p.phase} ${clock}] ${load}${faults}`;
}

/** `  +12.3s fault.applied  kill-a-replica → api-1: process.kill signal=SIGKILL`. */
export function formatRunEvent(e: RunEvent, startedMs: number): string {
  return `+${seconds(e.tMs - startedMs).padStart(6)} ${e.kind.padEnd(15)} ${e.message}`;
}
