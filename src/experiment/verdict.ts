/**
 * The verdict and the exit code, from what happened. Pure. Order matters: a system that was never ready was not
 * judged (`not-ready`); a run stopped early is `aborted` whatever it measured so far; otherwise any broken
 * assertion, a steady state that did not come back, or a fault that could not be reverted fails it — the last
 * named loudly, since something may still be broken out there.
 */
import { formatPercent } from '../core/percent.js';
import type { RevertOutcome } from '../disruptors/apply.js';
import type { ReportVerdict } from '../report/types.js';
import type { AssertionResult } from './hypothesis.js';

/** The CLI's exit code per verdict: 0 pass, 1 hypothesis failed, 3 aborted, 4 not ready (2 is invalid input). */
export const EXIT_CODES: Record<ReportVerdict, number> = { pass: 0, fail: 1, aborted: 3, 'not-ready': 4 };

/** What the verdict is decided from. */
export interface VerdictInputs {
  /** Why the system was not ready (steady state before, a target that did not start). */
  notReady?: string;
  /** Why the run stopped early (an abort condition, a signal, a halt). */
  aborted?: string;
  assertions: readonly AssertionResult[];
  /** The steady-state check after the method; undefined when it did not run. */
  steadyAfter?: { ok: boolean; reason?: string };
  /** Reverts that failed after their retries. */
  failedReverts: readonly (RevertOutcome & { fault?: string; instance?: string })[];
}

/** A verdict with its one-sentence reason and exit code. */
export interface Verdict {
  verdict: ReportVerdict;
  reason: string;
  exitCode: number;
}

function reverts(failed: VerdictInputs['failedReverts']): string {
  const names = failed.map((r) => `${r.fault ?? r.id}${r.instance ? ` on ${r.instance}` : ''}`);
  return `REVERT FAILED for ${names.join(', ')}: still applied, run \`faultline recover\``;
}

/** Decides the verdict. */
export function decideVerdict(i: VerdictInputs): Verdict {
  const revertNote = i.failedReverts.length > 0 ? `; ${reverts(i.failedReverts)}` : '';
  if (i.notReady !== undefined) {
    return {
      verdict: 'not-ready',
      reason: `not ready: ${i.notReady}${revertNote}`,
      exitCode: EXIT_CODES['not-ready'],
    };
  }
  if (i.aborted !== undefined) {
    return { verdict: 'aborted', reason: `aborted: ${i.aborted}${revertNote}`, exitCode: EXIT_CODES.aborted };
  }
  const problems: string[] = [];
  const broken = i.assertions.filter((a) => !a.passed);
  for (const a of broken) {
    const measured =
      a.measured === null
        ? (a.note ?? 'not measured')
        : `measured ${measuredText(a.measured, a.unit)}${a.note ? ` (${a.note})` : ''}`;
    // with a note (a baseline already outside the promise) the faults were there, not necessarily the cause
    const faults = a.faultsActive.join(', ');
    const during =
      a.faultsActive.length === 0
        ? ''
        : a.measured !== null && a.note
          ? `, faults active: ${faults}`
          : ` (faults: ${faults})`;
    problems.push(`${a.name}: ${measured}${during}`);
  }
  if (i.steadyAfter !== undefined && !i.steadyAfter.ok)
    problems.push(`steady state did not come back: ${i.steadyAfter.reason ?? 'a probe failed'}`);
  if (i.failedReverts.length > 0) problems.push(reverts(i.failedReverts));
  if (problems.length === 0) {
    const n = i.assertions.length;
    return {
      verdict: 'pass',
      reason: `all ${n} assertion${n === 1 ? '' : 's'} held${i.steadyAfter ? ' and the steady state came back' : ''}`,
      exitCode: EXIT_CODES.pass,
    };
  }
  return { verdict: 'fail', reason: problems.join('; '), exitCode: EXIT_CODES.fail };
}

/** A measured value with its unit for messages: percentages as the report writes them. */
export function measuredText(v: number, unit: string): string {
  if (unit === '%') return formatPercent(v / 100);
  return unit === '' ? String(round(v)) : `${round(v)} ${unit}`;
}

/** Rounds for messages: 3 significant decimals at most. */
export function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}
