/**
 * Stage 9, outputs: result.json (everything), junit.xml (assertions, plus the run's own checks, for CI) and
 * report.html, all in the run's directory.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeReport } from '../../report/write.js';
import { type JunitInputs, renderJunit } from '../junit.js';
import type { ExperimentResult } from '../run-types.js';

type Check = { name: string; passed: boolean; message?: string };

/** The checks junit.xml shows besides the assertions: the steady state came back, every fault was reverted. */
function junitChecks(r: ExperimentResult): Check[] {
  const checks: Check[] = [];
  if (r.steadyState.after) {
    checks.push({
      name: 'steady state after',
      passed: r.steadyState.after.ok,
      ...(r.steadyState.after.reason ? { message: r.steadyState.after.reason } : {}),
    });
  }
  const applied = r.faultRuns.filter((f) => f.status === 'applied');
  if (applied.length > 0) {
    const stuck = applied.filter((f) => f.endMs === null);
    checks.push({
      name: 'every fault reverted',
      passed: stuck.length === 0,
      ...(stuck.length > 0
        ? {
            message: stuck.map((f) => `${f.fault} on ${f.instance}: ${f.error ?? 'not reverted'}`).join('; '),
          }
        : {}),
    });
  }
  return checks;
}

/** What junit.xml shows of a run: its assertions and its own checks. */
export function junitInputsOf(r: ExperimentResult): JunitInputs {
  return {
    title: r.title,
    verdict: r.verdict,
    reason: r.reason ?? '',
    durationSec: (r.endedMs - r.startedMs) / 1000,
    assertions: r.assertions,
    checks: junitChecks(r),
  };
}

/** Writes result.json, junit.xml and (unless `report` is false) report.html into `outDir`. */
export function writeOutputs(outDir: string, r: ExperimentResult, report: boolean): void {
  writeFileSync(join(outDir, 'result.json'), `${JSON.stringify(r, null, 1)}\n`);
  writeFileSync(join(outDir, 'junit.xml'), renderJunit(junitInputsOf(r)));
  if (report) writeReport(outDir, r);
}
