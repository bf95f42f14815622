import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors.js';
import { renderJunit } from '../../src/experiment/junit.js';
import { formatRunProgress } from '../../src/experiment/progress.js';
import { decideVerdict } from '../../src/experiment/verdict.js';
import { formatKpis } from '../../src/load/format.js';
import { formatMeasured } from '../../src/report/format.js';
import { chartModel, escapeHtml, renderReport } from '../../src/report/html.js';
import { parseReportData } from '../../src/report/schema.js';
import { renderTextSummary } from '../../src/report/text.js';
import { makeReportData } from '../fixtures/report/generate.js';
import { cli } from '../helpers/cli.js';

/** The page without uPlot's own inlined code, which is not ours to inspect line by line. */
function ownMarkup(html: string): string {
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 2, 'uPlot and the chart script, inline');
  return html.replace(scripts[0]?.[1] ?? '', '');
}

describe('renderReport', () => {
  const data = makeReportData();
  const html = renderReport(data);

  it('loads nothing from anywhere: no src or href, no URL outside uPlot’s licence comment', () => {
    assert.doesNotMatch(html, /\ssrc\s*=/i);
    assert.doesNotMatch(html, /\shref\s*=/i);
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /@import|url\(/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<)]+/g)].map((m) => m[0]);
    // uPlot's banner names its repository; the fixture's monitor and load targets are data shown as text.
    const allowed = new Set([
      'https://github.com/leeoniya/uPlot',
      'http://127.0.0.1:41234/health',
      'http://127.0.0.1:41234/kv/{key}',
    ]);
    assert.deepEqual(
      urls.filter((u) => !allowed.has(u)),
      [],
    );
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  });

  it('has every section: verdict, hypothesis, timeline, KPIs, faults, monitors, reproduce, journal', () => {
    for (const id of [
      'hypothesis',
      'timeline',
      'charts',
      'kpis',
      'faults',
      'monitors',
      'journal',
      'reproduce',
    ]) {
      assert.match(html, new RegExp(`id="${id}"`), id);
    }
    assert.match(html, /<span class="verdict fail">FAIL<\/span>/);
    assert.match(html, />faultline run lose-a-replica\.yaml --seed 42</);
    assert.match(html, /seed <b>42<\/b>/);
    // Each assertion with its measured value and outcome.
    assert.match(
      html,
      /<span class="badge fail">broke<\/span><\/td><td>error rate during faults &lt; 1%<\/td>/,
    );
    assert.match(html, /<b>2\.92%<\/b>/);
    assert.equal((html.match(/<span class="badge pass">held<\/span>/g) ?? []).length, 2);
    // KPI table per phase, and every journal event.
    assert.match(html, /<th><\/th><th>before<\/th><th>during<\/th><th>after<\/th>/);
    assert.match(html, /<th>p99<\/th><td>34\.9 ms<\/td><td>292 ms<\/td><td>35\.2 ms<\/td>/);
    for (const ev of data.events) assert.ok(html.includes(escapeHtml(ev.message)), ev.message);
    // Monitor availability from the samples: router-health down 4 s of 40.
    assert.match(
      html,
      /<td>router-health<\/td>.*?<td class="num">90\.0%<\/td><td class="num">1<\/td><td class="num">4\.0 s<\/td>/,
    );
  });

  it('shows the availability result.json carries, and round-trips it through the reader', () => {
    const d = makeReportData();
    const m = d.monitors[0] as (typeof d.monitors)[0];
    // the engine's figure wins over a recount of the samples (it may have used a different end time)
    m.availability = {
      samples: 80,
      ok: 60,
      availability: 0.75,
      outages: 2,
      longestOutageMs: 6500,
      downtimeMs: 9000,
      endedDown: false,
    };
    assert.match(
      renderReport(d),
      new RegExp(
        `<td>${m.name}</td>.*?<td class="num">75\\.0%</td><td class="num">2</td><td class="num">6\\.5 s</td><td class="num">9\\.0 s</td>`,
      ),
    );
    assert.deepEqual(
      parseReportData(JSON.parse(JSON.stringify(d))).monitors[0]?.availability,
      m.availability,
    );
  });

  it('embeds the chart model as JSON the page can read back', () => {
    const m = /<script type="application\/json" id="faultline-data">([\s\S]*?)<\/script>/.exec(html);
    assert.ok(m?.[1]);
    const model = JSON.parse(m[1]);
    assert.deepEqual(model, JSON.parse(JSON.stringify(chartModel(data))));
    assert.equal(model.loads[0].x.length, 40);
    assert.deepEqual(model.faults[1], { name: 'store-latency', start: 15, end: 25, open: false });
    // 12 % of the requests in second 12 failed; an unanswered bucket would be null, not 0.
    assert.equal(model.loads[0].err[12] > 5, true);
    assert.equal(model.monitors[0].s.length, 80);
  });

  it('escapes every string from the data, in the markup and in the embedded JSON', () => {
    const evil = '</script><script>window.pwned=1</script><img src=x onerror=alert(1)>';
    const d = makeReportData({ title: evil });
    d.events.push({ tMs: d.startedMs + 1000, kind: '<b>kind</b>', message: `"quoted" & ${evil}` });
    d.faults[0] = {
      ...(d.faults[0] as (typeof d.faults)[0]),
      name: evil,
      target: '<i>t</i>',
      detail: "it's",
    };
    d.monitors[0] = { ...(d.monitors[0] as (typeof d.monitors)[0]), name: evil };
    d.assertions[0] = { ...(d.assertions[0] as (typeof d.assertions)[0]), name: evil, faultsActive: [evil] };
    d.command = `faultline run "a b.yaml" --set x='<y>'`;
    const out = ownMarkup(renderReport(d));
    assert.ok(!out.includes('<script>window.pwned'), 'a script tag from the data');
    assert.ok(!out.includes('<img'), 'an img tag from the data');
    assert.ok(!out.includes('<b>kind'), 'markup from an event kind');
    assert.ok(!out.includes('<i>t'), 'markup from a fault target');
    assert.ok(out.includes('&lt;/script&gt;&lt;script&gt;window.pwned=1'));
    assert.ok(out.includes('&quot;quoted&quot; &amp; '));
    assert.ok(out.includes('faultline run &quot;a b.yaml&quot; --set x=&#39;&lt;y&gt;&#39;'));
    // Exactly the three script elements the page itself has (uPlot, JSON, chart script).
    assert.equal((out.match(/<script\b/g) ?? []).length, 3);
    const json =
      /<script type="application\/json" id="faultline-data">([\s\S]*?)<\/script>/.exec(out)?.[1] ?? '';
    assert.ok(!json.includes('<'));
    assert.equal(JSON.parse(json).faults[0].name, evil);
  });

  it('shows an unreverted fault and a not-ready run honestly', () => {
    const d = makeReportData({ verdict: 'not-ready' });
    d.faults[1] = { ...(d.faults[1] as (typeof d.faults)[0]), endMs: null };
    const out = renderReport(d);
    assert.match(out, /<span class="verdict not-ready">NOT READY<\/span>/);
    assert.match(out, /never reverted/);
    assert.equal(chartModel(d).faults[1]?.end, 40);
    assert.match(
      renderTextSummary(d),
      /fault store-latency on proxy\/store \(applied \+15\.0 s\) was never reverted/,
    );
  });
});

describe('report layout', () => {
  it('starts the charts at the first data, not at the run start, on a slow start', () => {
    const d = makeReportData();
    // targets that took 6 s to get ready: nothing to draw before
    const slow = { ...d, startedMs: d.startedMs - 6000 };
    assert.equal(chartModel(slow).start, 6);
    assert.equal(chartModel(d).start, 0);
  });

  it('lists every fault window of "during", merging the ones that overlap', () => {
    const d = makeReportData();
    const at = (s: number) => d.startedMs + s * 1000;
    const fault = d.faults[1] as (typeof d.faults)[0];
    d.faults = [
      { ...fault, name: 'a', startMs: at(12), endMs: at(15) },
      { ...fault, name: 'b', startMs: at(13), endMs: at(16) },
      { ...fault, name: 'c', startMs: at(20), endMs: at(25) },
    ];
    assert.match(renderReport(d), /during 2 windows: \+12\.0 s → \+16\.0 s, \+20\.0 s → \+25\.0 s · after/);
    d.faults = d.faults.slice(0, 2);
    assert.match(renderReport(d), /during \+12\.0 s → \+25\.0 s · after/);
  });

  it('says max_downtime counts the method only, and the outages it left out', () => {
    const d = makeReportData();
    const m = d.monitors[0] as (typeof d.monitors)[0];
    // two outages in the warm-up, before the method (which starts at +0 s here)
    const warm = [-3, -2.5, -2, -1.5].map((s, i) => ({ tMs: d.startedMs + s * 1000, ok: i % 2 === 1 }));
    d.monitors[0] = { ...m, samples: [...warm, ...m.samples] };
    d.startedMs -= 4000;
    const html = renderReport(d);
    assert.match(
      html,
      /max_downtime is the longest outage within the method \(\+4\.0 s → \+44\.0 s\); outages before it \(start-up, warm-up, the steady-state check\) or after it are not counted \(router-health: 2 outages outside it\)\./,
    );
    assert.match(html, /<td><span class="muted">method<\/span><\/td>/);
  });

  it('lets a "not measured" note wrap instead of stretching the table', () => {
    const d = makeReportData();
    const a = d.assertions[0] as (typeof d.assertions)[0];
    d.assertions[0] = { ...a, measured: null, passed: false, note: 'no steady-state samples '.repeat(5) };
    assert.match(renderReport(d), /<td class="note"><b>no steady-state samples/);
  });
});

describe('percentages', () => {
  it('are written one way in the report, the summary, the verdict, junit.xml and the CLI lines', () => {
    const a = {
      name: 'error_rate during < 1%',
      kpi: 'error_rate',
      phase: 'during' as const,
      expected: '< 1%',
      measured: 22.1429,
      unit: '%',
      passed: false,
      faultsActive: [],
    };
    const v = decideVerdict({ assertions: [a], failedReverts: [] });
    assert.equal(v.reason, 'error_rate during < 1%: measured 22.1%');
    const junit = renderJunit({
      title: 't',
      verdict: 'fail',
      reason: v.reason,
      durationSec: 1,
      assertions: [a],
      checks: [],
    });
    assert.match(junit, /failure message="expected &lt; 1%, 22\.1%"/);
    const progress = formatRunProgress({
      phase: 'method',
      elapsedMs: 1000,
      methodMs: 1000,
      durationMs: 2000,
      activeFaults: [],
      throughput: 100,
      errorRate: 0.221429,
    });
    assert.match(progress, /100 req\/s, 22\.1% errors/);
    const kpis = makeReportData().load[0]?.kpis.during;
    assert.ok(kpis);
    assert.match(formatKpis(kpis), /^error rate +2\.92%$/m);
  });

  it('keep the note that qualifies them, as every other unit does', () => {
    const note = 'baseline already outside the promise: error_rate before 30%';
    const a = { name: 'e', kpi: 'error_rate', expected: '< 1%', passed: false, faultsActive: [], note };
    assert.equal(formatMeasured({ ...a, measured: 22.1429, unit: '%' }), `22.1% (${note})`);
    assert.equal(formatMeasured({ ...a, measured: 1234.5, unit: 'ms' }), `1235 ms (${note})`);
  });
});

describe('renderTextSummary', () => {
  it('says the verdict, the KPIs per phase, what broke and how to reproduce', () => {
    const text = renderTextSummary(makeReportData());
    const lines = text.split('\n');
    assert.equal(lines[0], 'FAIL  Lose a replica, then slow the store, under load  (seed 42, 40.0 s)');
    assert.match(text, /^ +before +during +after$/m);
    assert.match(text, /^error rate +0% +2\.92% +0%$/m);
    assert.match(text, /^p99 +34\.9 ms +292 ms +35\.2 ms$/m);
    assert.match(text, /^assertions: 2 of 3 held, 1 broke:$/m);
    assert.match(
      text,
      /^ {2}✗ error rate during faults < 1%: expected < 1%, measured 2\.92% — faults active: kill-replica, store-latency$/m,
    );
    assert.equal(lines[lines.length - 1], 'reproduce: faultline run lose-a-replica.yaml --seed 42');
  });

  it('lists no broken assertion when all held', () => {
    const d = makeReportData({ verdict: 'pass' });
    d.assertions = d.assertions.filter((a) => a.passed);
    const text = renderTextSummary(d);
    assert.match(text, /^PASS /);
    assert.match(text, /^assertions: 2 of 2 held$/m);
    assert.doesNotMatch(text, /✗/);
  });
});

describe('parseReportData', () => {
  it('accepts the fixture (after a JSON round trip) and drops fields it does not know', () => {
    const d = makeReportData();
    const parsed = parseReportData({ ...JSON.parse(JSON.stringify(d)), spec: { title: 'x' } });
    assert.deepEqual(parsed, JSON.parse(JSON.stringify(d)));
    assert.equal('spec' in parsed, false);
  });

  // biome-ignore lint/suspicious/noExplicitAny: the point is to break an untyped JSON tree in any way
  const broken: [string, (d: Record<string, any>) => void, RegExp][] = [
    ['wrong format', (d) => (d.format = 'faultline.report/0'), /^format: /],
    ['missing seed', (d) => delete d.seed, /^seed: /],
    ['bad verdict', (d) => (d.verdict = 'ok'), /^verdict: /],
    [
      'bucket latency not a number',
      (d) => (d.load[0].series.buckets[3].latency.p99Ms = '5'),
      /^load\[0\]\.series\.buckets\[3\]\.latency\.p99Ms: /,
    ],
    [
      'unknown outcome class',
      (d) => (d.load[0].series.buckets[0].outcomes.teapot = 1),
      /^load\[0\]\.series\.buckets\[0\]\.outcomes: /,
    ],
    [
      'monitor sample ok not boolean',
      (d) => (d.monitors[1].samples[2].ok = 'yes'),
      /^monitors\[1\]\.samples\[2\]\.ok: /,
    ],
    [
      'assertion without faultsActive',
      (d) => delete d.assertions[0].faultsActive,
      /^assertions\[0\]\.faultsActive: /,
    ],
    ['NaN-like time', (d) => (d.events[0].tMs = null), /^events\[0\]\.tMs: /],
    [
      'availability without its outages',
      (d) => (d.monitors[0].availability = { samples: 1, ok: 1, availability: 1 }),
      /^monitors\[0\]\.availability\.outages: /,
    ],
    [
      'not an object',
      (d) => {
        for (const k of Object.keys(d)) delete d[k];
      },
      /^format: .*\(and \d+ more problems\)$/,
    ],
  ];
  for (const [what, mutate, message] of broken) {
    it(`names the field: ${what}`, () => {
      const d = JSON.parse(JSON.stringify(makeReportData()));
      mutate(d);
      assert.throws(
        () => parseReportData(d),
        (err: unknown) => err instanceof InvalidOptionError && message.test(err.message),
      );
    });
  }
});

describe('faultline report RESULT_DIR', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-report-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes report.html next to result.json and prints the summary and the path', async () => {
    const d = makeReportData();
    writeFileSync(join(dir, 'result.json'), JSON.stringify(d));
    const r = await cli(['report', dir]);
    assert.equal(r.code, 0, r.stderr);
    const path = join(dir, 'report.html');
    assert.equal(readFileSync(path, 'utf8'), renderReport(d));
    assert.equal(r.stdout, `${renderTextSummary(d)}\nreport: ${path}\n`);
  });

  it('a directory without result.json: exit 2, one line naming the file', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    const r = await cli(['report', empty]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `faultline: ${join(empty, 'result.json')}: no such file (expected the output directory of a run)\n`,
    );
    assert.equal(existsSync(join(empty, 'report.html')), false);
  });

  it('a result.json with a bad field: exit 2, one line naming the file and the field', async () => {
    const bad = mkdtempSync(join(dir, 'bad-'));
    const d = JSON.parse(JSON.stringify(makeReportData()));
    d.assertions[1].passed = 'maybe';
    writeFileSync(join(bad, 'result.json'), JSON.stringify(d));
    const r = await cli(['report', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^faultline: .*result\.json: assertions\[1\]\.passed: .*\n$/);
    assert.equal(r.stderr.split('\n').length, 2);
  });

  it('a result.json that is not JSON: exit 2', async () => {
    const bad = mkdtempSync(join(dir, 'json-'));
    writeFileSync(join(bad, 'result.json'), '{"format":');
    const r = await cli(['report', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /result\.json: not JSON: /);
  });
});
