/**
 * The suite's junit.xml: one `<testsuite>` per run, one `<testcase>` per assertion — the run's own junit
 * builder (experiment/junit.ts) on the result.json it wrote. A skipped run is a `<skipped>` testcase with the
 * reason; a run that died before writing a result is one failing testcase.
 */
import { esc, type JunitTestsuite, junitDocument, renderTestsuite } from '../experiment/junit.js';
import type { ExperimentResult } from '../experiment/run-types.js';
import { junitInputsOf } from '../experiment/stages/outputs.js';
import type { SuiteJsonEntry } from './suite-json.js';

/** The testsuite name of a run: `kill`, or `start 2: kill` when the calendar has several starts. */
export function junitName(e: SuiteJsonEntry, starts: number): string {
  return starts > 1 ? `start ${e.start}: ${e.run}` : e.run;
}

function oneCase(name: string, body: string, failures: number): JunitTestsuite {
  const n = esc(name);
  return {
    xml: [
      `  <testsuite name="${n}" tests="1" failures="${failures}" skipped="${failures ? 0 : 1}" time="0.000">`,
      `    <testcase classname="${n}" name="experiment">${body}</testcase>`,
      '  </testsuite>',
    ].join('\n'),
    tests: 1,
    failures,
  };
}

export function renderSuiteJunit(
  title: string,
  entries: readonly SuiteJsonEntry[],
  resultOf: (e: SuiteJsonEntry) => ExperimentResult | undefined,
  starts: number,
  durationSec: number,
): string {
  const suites = entries.map((e) => {
    const name = junitName(e, starts);
    if (e.state === 'skipped') return oneCase(name, `<skipped message="${esc(e.skipReason ?? '')}"/>`, 0);
    const r = resultOf(e);
    if (r === undefined)
      return oneCase(name, `<failure message="${esc(e.reason ?? `run ${e.state}, no result.json`)}"/>`, 1);
    return renderTestsuite(junitInputsOf(r), name);
  });
  return junitDocument(suites, title, durationSec);
}
