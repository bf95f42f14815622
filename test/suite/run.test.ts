/**
 * `faultline suite FILE` running real suites (the CLI, each run a `faultline run` child): dependencies with
 * if: passed / always, two independent entries overlapping in time and two sharing an exclusive target never
 * doing so, overrides changing what runs, a bad override path refused with file:line, a real short calendar
 * following the one --dry-run prints, and the index.html opened offline in headless Chromium.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readJournal } from '../../src/experiment/journal.js';
import type { SuiteJson } from '../../src/suite/suite-json.js';
import { startedPids, tempDir } from '../experiment/engine-helpers.js';
import { launchChromium } from '../helpers/browser.js';
import { cli } from '../helpers/cli.js';

const fixture = (p: string) => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));
const PAUSE_OWNED = fixture('suite/pause-owned.yaml');
const PAUSE_TWO = fixture('experiment/pause-two.yaml'); // 2 of 3 replicas paused: fails on error rate
const ENV_TITLE = fixture('suite/env-title.yaml'); // PAUSE_OWNED titled from $SUITE_MARK

const dir = tempDir('suite-run');
const env = { ...process.env, FAULTLINE_STATE_DIR: join(dir, 'state') };

function writeSuite(name: string, lines: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const readSuiteJson = (out: string) => JSON.parse(readFileSync(join(out, 'suite.json'), 'utf8')) as SuiteJson;
const byRun = (s: SuiteJson) => new Map(s.entries.map((e) => [e.run, e]));
const span = (e: SuiteJson['entries'][number]) => [
  Date.parse(e.startedAt ?? ''),
  Date.parse(e.endedAt ?? ''),
];
const overlap = (a: SuiteJson['entries'][number], b: SuiteJson['entries'][number]) => {
  const [a0, a1] = span(a) as [number, number];
  const [b0, b1] = span(b) as [number, number];
  return a0 < b1 && b0 < a1;
};

describe('faultline suite: dependencies, parallel runs and the outputs', () => {
  const out = join(dir, 'deps-out');
  let code: number | null;
  let stdout: string;
  let suite: SuiteJson;

  before(async () => {
    const file = writeSuite('deps', [
      'title: dependencies',
      'parallel: 2',
      'runs:',
      `  - { name: a, experiment: ${PAUSE_OWNED} }`,
      `  - { name: b, experiment: ${PAUSE_TWO}, set: { duration: 3s } }`,
      `  - { name: after-a, experiment: ${PAUSE_OWNED}, depends_on: [a], set: { duration: 1s } }`,
      `  - { name: after-b, experiment: ${PAUSE_OWNED}, depends_on: [b] }`,
      `  - { name: always, experiment: ${ENV_TITLE}, depends_on: [b], if: always, set: { duration: 1s }, env: { SUITE_MARK: from the suite } }`,
    ]);
    ({ code, stdout } = await cli(['suite', file, '--out', out], env));
    suite = readSuiteJson(out);
  });

  test('B after A passed runs; C after B failed is skipped with the reason; if: always runs; exit 1', () => {
    assert.equal(code, 1, stdout);
    const runs = byRun(suite);
    assert.equal(runs.get('a')?.state, 'passed');
    assert.equal(runs.get('b')?.state, 'failed');
    assert.equal(runs.get('b')?.verdict, 'fail');
    assert.equal(runs.get('after-a')?.state, 'passed');
    assert.equal(runs.get('after-b')?.state, 'skipped');
    assert.equal(runs.get('after-b')?.skipReason, 'b failed; if: passed');
    // the entry's env: reached its run (its title is substituted from it)
    const always = runs.get('always');
    assert.deepEqual(always?.env, { SUITE_MARK: 'from the suite' });
    const title = JSON.parse(readFileSync(join(out, always?.result ?? 'missing'), 'utf8')).title;
    assert.equal(title, 'Pausing an owned sleeper, from the suite');
    assert.equal(runs.get('after-b')?.startedAt, null);
    assert.equal(runs.get('always')?.state, 'passed');
    assert.ok(Date.parse(runs.get('after-a')?.startedAt ?? '') >= Date.parse(runs.get('a')?.endedAt ?? ''));
    assert.ok(Date.parse(runs.get('always')?.startedAt ?? '') >= Date.parse(runs.get('b')?.endedAt ?? ''));
    // non-TTY progress: one line per state change
    assert.match(stdout, /\+ *[\d.]+s after-b skipped: b failed; if: passed/);
    assert.match(stdout, /\+ *[\d.]+s b failed [\d.]+s \(fail\)/);
    assert.equal(suite.verdict, 'fail');
    assert.equal(suite.exitCode, 1);
  });

  test('two independent entries run in parallel: their times overlap', () => {
    const runs = byRun(suite);
    assert.ok(
      overlap(runs.get('a') as never, runs.get('b') as never),
      JSON.stringify([...runs.values()].map(span)),
    );
  });

  test('suite.json records overrides, seeds, durations and result paths; each run has its own journal', () => {
    assert.equal(statSync(join(out, 'suite-journal.ndjson')).mode & 0o777, 0o600);
    const b = byRun(suite).get('b');
    assert.deepEqual(b?.overrides, { duration: '3s' });
    assert.equal(b?.seed, 7);
    assert.ok((b?.durationMs ?? 0) > 3000);
    assert.equal(b?.result, 'b/result.json');
    for (const e of suite.entries.filter((x) => x.state !== 'skipped')) {
      assert.ok(existsSync(join(out, e.result ?? 'none')), `${e.run}: ${e.result}`);
      const journal = join(out, e.outDir ?? '', 'journal.ndjson');
      assert.equal(readJournal(journal)[0]?.event, 'run.started');
      for (const pid of startedPids(journal))
        assert.throws(() => process.kill(pid, 0), `${e.run}: ${pid} runs`);
    }
  });

  test('junit.xml: one testsuite per entry, one testcase per assertion of its result.json', () => {
    const xml = readFileSync(join(out, 'junit.xml'), 'utf8');
    const suites = [...xml.matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(suites.sort(), suite.entries.map((e) => e.run).sort());
    const bResult = JSON.parse(readFileSync(join(out, 'b/result.json'), 'utf8')) as {
      assertions: { name: string; passed: boolean }[];
    };
    const bBlock = xml.slice(
      xml.indexOf('<testsuite name="b"'),
      xml.indexOf('</testsuite>', xml.indexOf('<testsuite name="b"')),
    );
    for (const a of bResult.assertions) {
      const esc = a.name.replace(/</g, '&lt;').replace(/>/g, '&gt;');
      assert.ok(bBlock.includes(`name="${esc}">${a.passed ? '</testcase>' : '<failure'}`), a.name);
    }
    assert.match(
      xml,
      /<testsuite name="after-b"[^>]*skipped="1"[\s\S]*?<skipped message="b failed; if: passed"\/>/,
    );
  });

  test('index.html opens offline in headless Chromium: the verdict table matches suite.json, links resolve', async () => {
    const index = join(out, 'index.html');
    const url = pathToFileURL(index).href;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(url, { waitUntil: 'load' });
      const rows = await page.$$eval('#runs tbody tr', (trs) =>
        trs.map((tr) => ({
          run: tr.getAttribute('data-run'),
          state: tr.getAttribute('data-state'),
          badge: tr.querySelector('.badge')?.textContent,
          duration: tr.querySelector('.duration')?.textContent,
          href: tr.querySelector('a.report')?.getAttribute('href') ?? null,
        })),
      );
      assert.deepEqual(
        rows.map((r) => [r.run, r.state, r.badge]),
        suite.entries.map((e) => [e.run, e.state, e.state]),
      );
      for (const r of rows) {
        const e = byRun(suite).get(r.run ?? '');
        assert.equal(r.href, e?.report ?? null);
        assert.equal(r.duration === '—', e?.durationMs === null, `${r.run} duration ${r.duration}`);
        if (r.href !== null) assert.ok(existsSync(fileURLToPath(new URL(r.href, url))), r.href);
      }
      assert.equal(await page.textContent('#suite-verdict'), 'fail');
      // the timeline: a bar per run that ran
      assert.equal(
        await page.locator('#timeline rect.bar').count(),
        suite.entries.filter((e) => e.startedAt).length,
      );
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [url], 'nothing loaded but the page');
      await page.screenshot({ path: join(dir, 'index.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

describe('faultline suite: exclusive targets and overrides', () => {
  test('two entries sharing an exclusive target never overlap; a shorter every gives more injections', async () => {
    const out = join(dir, 'exclusive-out');
    const file = writeSuite('exclusive', [
      'title: exclusive',
      'parallel: 2',
      'exclusive: [owned]',
      'runs:',
      `  - { name: often, experiment: ${PAUSE_OWNED}, set: { faults.pause-owned.every: 500ms, duration: 3s } }`,
      `  - { name: once, experiment: ${PAUSE_OWNED}, set: { duration: 3s } }`,
    ]);
    const r = await cli(['suite', file, '--out', out], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const runs = byRun(readSuiteJson(out));
    assert.equal(overlap(runs.get('often') as never, runs.get('once') as never), false);
    const applied = (run: string) =>
      readJournal(join(out, run, 'journal.ndjson')).filter((e) => e.event === 'fault.applied').length;
    assert.equal(applied('once'), 1);
    assert.ok(applied('often') >= 4, `often applied ${applied('often')}`);
    assert.match(
      runs.get('often')?.command ?? '',
      /--set faults\.pause-owned\.every=500ms --set duration=3s/,
    );
  });

  test('an override path naming no field is exit 2 with the suite file:line', async () => {
    const file = writeSuite('bad', [
      'title: bad',
      'runs:',
      '  - name: a',
      `    experiment: ${PAUSE_OWNED}`,
      '    set:',
      '      faults.nope.every: 1s',
    ]);
    const r = await cli(['suite', file, '--out', join(dir, 'bad-out')], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:6:7: runs\.a\.set: 'faults\.nope\.every' names no field/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    assert.equal(existsSync(join(dir, 'bad-out')), false);
  });
});

describe('faultline suite: a real short calendar', () => {
  test('starts at the times --dry-run prints for the same seed and now', async () => {
    const out = join(dir, 'calendar-out');
    const file = writeSuite('calendar', [
      'title: calendar',
      'cleanup: delete-passed',
      'schedule: { every: 5s, jitter: 2s, times: 2 }',
      'runs:',
      `  - { name: p, experiment: ${PAUSE_OWNED}, set: { duration: 1s } }`,
    ]);
    const r = await cli(['suite', file, '--seed', '11', '--out', out], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = readSuiteJson(out);
    assert.equal(s.calendar.length, 2);
    const dry = await cli(['suite', file, '--dry-run', '--seed', '11', '--now', s.startedAt], env);
    assert.equal(dry.code, 0, dry.stderr);
    const printed = [...dry.stdout.matchAll(/^start \d+: (\S+)$/gm)].map((m) => Date.parse(m[1] as string));
    assert.deepEqual(printed, s.calendar.map(Date.parse));
    for (const [i, e] of s.entries.entries()) {
      assert.equal(e.start, i + 1);
      assert.equal(e.outDir, `start-${i + 1}/p`);
      // started at its calendar time (not before; a busy machine may start it a little late)
      const late = Date.parse(e.startedAt ?? '') - (printed[i] as number);
      assert.ok(late >= 0 && late < 3000, `start ${i + 1} began ${late} ms after its time`);
      // cleanup: delete-passed — the passed run's directory is gone, and suite.json says so
      assert.equal(e.state, 'passed');
      assert.equal(e.deleted, true);
      assert.equal(e.result, null);
      assert.equal(existsSync(join(out, e.outDir)), false);
    }
    assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /deleted \(cleanup: delete-passed\)/);
  });
});

after(() => {
  // every suite here ended: nothing is left registered in the state directory
  for (const kind of ['runs', 'suites']) {
    const d = join(dir, 'state', kind);
    if (existsSync(d)) assert.deepEqual(readdirSync(d), [], `${kind} left registered`);
  }
});
