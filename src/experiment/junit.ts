/**
 * junit.xml for CI: one testcase per hypothesis assertion (failed ones carry the measured value and the faults
 * active), plus testcases for the steady state and the rollback, so a CI system shows why a run failed without
 * opening the report. A run that did not get to judge (aborted, not ready) is a failing `experiment` testcase.
 */
import type { ReportVerdict } from '../report/types.js';
import type { AssertionResult } from './hypothesis.js';
import { measuredText } from './verdict.js';

/** What goes into junit.xml. */
export interface JunitInputs {
  title: string;
  verdict: ReportVerdict;
  reason: string;
  durationSec: number;
  assertions: readonly AssertionResult[];
  /** Extra checks (steady state, rollback): name, passed, message. */
  checks: readonly { name: string; passed: boolean; message?: string }[];
}

/** XML-escapes text for an attribute or element. */
export function esc(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
}

/** One `<testsuite>` element (indented for inside `<testsuites>`) and its counts. */
export interface JunitTestsuite {
  xml: string;
  tests: number;
  failures: number;
}

/**
 * The `<testsuite>` of one run: a run's junit.xml holds one, a suite's junit.xml one per entry. `name` defaults to
 * the run's title (a suite names each entry's testsuite after the entry).
 */
export function renderTestsuite(i: JunitInputs, name = i.title): JunitTestsuite {
  const cases: string[] = [];
  const suite = esc(name);
  for (const a of i.assertions) {
    const measured = a.measured === null ? 'not measured' : measuredText(a.measured, a.unit);
    const body = a.passed
      ? ''
      : `<failure message="${esc(`expected ${a.expected}, ${measured}${a.note ? ` (${a.note})` : ''}`)}">${esc(
          `faults active: ${a.faultsActive.join(', ') || 'none'}`,
        )}</failure>`;
    cases.push(`    <testcase classname="${suite}" name="${esc(a.name)}">${body}</testcase>`);
  }
  for (const c of i.checks) {
    const body = c.passed ? '' : `<failure message="${esc(c.message ?? 'failed')}"/>`;
    cases.push(`    <testcase classname="${suite}" name="${esc(c.name)}">${body}</testcase>`);
  }
  if (i.verdict === 'aborted' || i.verdict === 'not-ready') {
    cases.push(
      `    <testcase classname="${suite}" name="experiment"><failure message="${esc(i.reason)}"/></testcase>`,
    );
  }
  const failures = cases.filter((c) => c.includes('<failure')).length;
  const xml = [
    `  <testsuite name="${suite}" tests="${cases.length}" failures="${failures}" time="${i.durationSec.toFixed(3)}">`,
    `    <properties><property name="verdict" value="${esc(i.verdict)}"/><property name="reason" value="${esc(i.reason)}"/></properties>`,
    ...cases,
    '  </testsuite>',
  ].join('\n');
  return { xml, tests: cases.length, failures };
}

/** A junit.xml document around `<testsuite>` elements. */
export function junitDocument(suites: readonly JunitTestsuite[], name: string, durationSec: number): string {
  const tests = suites.reduce((n, s) => n + s.tests, 0);
  const failures = suites.reduce((n, s) => n + s.failures, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(name)}" tests="${tests}" failures="${failures}" time="${durationSec.toFixed(3)}">`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

/** The junit.xml text of one run. */
export function renderJunit(i: JunitInputs): string {
  return junitDocument([renderTestsuite(i)], 'faultline', i.durationSec);
}
