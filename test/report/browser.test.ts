/**
 * report.html in a real headless Chromium (Debian's, never a downloaded one): the charts draw, nothing is logged
 * as an error, and the page requests nothing but itself. Saves test-artifacts/report.png for people to look at.
 * The layout is checked on the report of a real short run (test/fixtures/experiment/report-run.yaml), not only
 * on generated data: what a run really writes is what a new user opens.
 * CI installs chromium; a missing browser is a failure with a clear message, not a silent skip.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { RunExperimentResult } from '../../src/experiment/engine.js';
import { renderReport } from '../../src/report/html.js';
import { runFile, tempDir } from '../experiment/engine-helpers.js';
import { makeReportData } from '../fixtures/report/generate.js';
import {
  assertPainted,
  type CanvasInfo,
  launchChromium,
  openReport,
  resizeReport,
} from '../helpers/browser.js';

const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

let browser: Browser | undefined;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-report-'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Every table wider than its card, each with its widest cell's text: what a CI log needs to tell a long note
 * from a number that would not wrap.
 */
function tablesOutsideTheirCard(page: Page): Promise<string[]> {
  return page.$$eval('section', (sections) =>
    sections.flatMap((sec) => {
      // the heading is a block: it spans the card's content box
      const inner = sec.querySelector('h2')?.getBoundingClientRect().width ?? 0;
      return [...sec.querySelectorAll('table')]
        .filter((t) => t.getBoundingClientRect().width > inner + 0.5)
        .map((t) => {
          const widest = [...t.querySelectorAll('td')].sort(
            (a, b) => b.getBoundingClientRect().width - a.getBoundingClientRect().width,
          )[0];
          return (
            `${sec.id}: table ${t.getBoundingClientRect().width} px in a card of ${inner} px; ` +
            `widest cell ${widest?.getBoundingClientRect().width} px: ${JSON.stringify(widest?.textContent)}`
          );
        });
    }),
  );
}

describe('report.html in headless Chromium', () => {
  it('draws every chart, logs no error and requests nothing but the file', async () => {
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(makeReportData()));
    assert.ok(browser);
    const { page, url, charts, canvases, errors, requests } = await openReport(browser, file);
    try {
      // 3 charts for the one load runner, 1 for the monitors.
      assert.equal(charts, 4);
      assert.equal(canvases.length, 4);
      assertPainted(canvases);
      // The monitor strip shows both states: green (up) and red (down) bands.
      const strip = canvases[3] as CanvasInfo;
      assert.ok(
        strip.up > 1000 && strip.down > 100,
        `monitor bands: up ${strip.up} px, down ${strip.down} px`,
      );
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [url]);
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('wraps a note beside a measured value in a narrow window, the value itself on one line', async () => {
    const d = makeReportData();
    const qualified = d.assertions[1] as (typeof d.assertions)[number];
    qualified.passed = false;
    qualified.measured = 1234.5;
    qualified.note =
      'baseline already outside the promise: p99 before 987.6 ms, so the faults are not to blame';
    const file = join(dir, 'qualified.html');
    writeFileSync(file, renderReport(d));
    assert.ok(browser);
    const { page } = await openReport(browser, file, 800);
    try {
      assert.deepEqual(await tablesOutsideTheirCard(page), []);
      const cell = page.locator('table.assertions tbody tr:nth-child(2) td:nth-child(5)');
      assert.match(
        (await cell.textContent()) ?? '',
        /^1235 ms \(baseline already outside the promise: .*\)$/,
      );
      const value = await cell.locator('b').boundingBox();
      const line = await cell
        .locator('b')
        .evaluate((b) =>
          Number.parseFloat(b.ownerDocument.defaultView?.getComputedStyle(b).lineHeight ?? ''),
        );
      assert.ok(value && value.height < line * 1.5, `the value wrapped: ${value?.height} px high`);
    } finally {
      await page.close();
    }
  });

  it('runs no script smuggled in through the data', async () => {
    const evil = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
    const d = makeReportData({ title: evil });
    d.events.push({ tMs: d.startedMs, kind: 'note', message: evil });
    d.monitors[0] = { ...(d.monitors[0] as (typeof d.monitors)[0]), name: evil };
    const file = join(dir, 'evil.html');
    writeFileSync(file, renderReport(d));
    assert.ok(browser);
    const page = await browser.newPage();
    const dialogs: string[] = [];
    const requests: string[] = [];
    page.on('dialog', (dlg) => {
      dialogs.push(dlg.message());
      void dlg.dismiss();
    });
    page.on('request', (r) => requests.push(r.url()));
    try {
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      await page.waitForSelector('html[data-charts]', { state: 'attached', timeout: 10_000 });
      assert.equal(await page.evaluate('typeof window.pwned'), 'undefined');
      assert.deepEqual(dialogs, []);
      assert.equal(requests.length, 1, requests.join(', '));
      assert.equal(await page.textContent('h1 span:last-child'), evil);
    } finally {
      await page.close();
    }
  });
});

describe('the report of a real run in headless Chromium', () => {
  let run: RunExperimentResult;

  before(async () => {
    const dir = tempDir('report-run');
    run = await runFile('test/fixtures/experiment/report-run.yaml', {
      report: true,
      outDir: join(dir, 'out'),
      set: { counter: join(dir, 'counter') },
    });
  });

  /** Opens the run's report.html; `width` narrows the window (a laptop beside an editor). */
  async function open(width = 1280) {
    assert.ok(browser && run.reportPath);
    return openReport(browser, run.reportPath, width);
  }

  it('draws its charts, logs no error and requests nothing but the file', async () => {
    const { page, url, charts, canvases, errors, requests } = await open();
    try {
      assert.equal(charts, 4);
      assertPainted(canvases);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [url]);
    } finally {
      await page.close();
    }
  });

  it('keeps every table inside its card, long "not measured" notes wrapped', async () => {
    const { page } = await open(800);
    try {
      // time_to_recover has no baseline before the first fault: a sentence, not a number
      const note = (await page.textContent('table.assertions tr:nth-child(3) td:nth-child(5)')) ?? '';
      assert.ok(note.length > 60, note);
      assert.deepEqual(await tablesOutsideTheirCard(page), []);
    } finally {
      await page.close();
    }
  });

  it('redraws its charts inside their card when the window is narrowed after opening', async () => {
    const { page } = await open();
    try {
      const wide = Number(await page.getAttribute('html', 'data-chart-width'));
      assert.ok(wide > 702, `drawn ${wide} px wide in a 1280 px window`);
      await resizeReport(page, 800);
      assert.deepEqual(await tablesOutsideTheirCard(page), []);
      const canvases = await page.$$eval('#charts canvas', (list) => list.map((c) => c.clientWidth));
      assert.ok(canvases.length > 0 && canvases.every((w) => w <= 702), `canvas widths ${canvases}`);
    } finally {
      await page.close();
    }
  });

  it('shows every fault window of "during" in the header', async () => {
    const { page } = await open();
    try {
      const line = (await page.$$eval('header p.meta', (ps) => ps.map((p) => p.textContent ?? '')))[1];
      const w = String.raw`\+\d+\.\d s → \+\d+\.\d s`;
      assert.match(line ?? '', new RegExp(`during 2 windows: ${w}, ${w}`));
    } finally {
      await page.close();
    }
  });

  it('says which window max_downtime is measured over and which outages it left out', async () => {
    const downtime = run.result.assertions.find((a) => a.kpi === 'max_downtime');
    assert.equal(downtime?.measured, 0, 'the warming monitor was down in the warm-up only');
    const { page } = await open();
    try {
      const note = (await page.$eval('#downtime-note', (p) => p.textContent)) ?? '';
      assert.match(note, /longest outage within the method \(\+\d+\.\d s → \+\d+\.\d s\)/);
      assert.match(note, /not counted \(warming: 2 outages outside it\)/);
      const cells = await page.$$eval('table.assertions tbody tr', (rows) =>
        rows.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      assert.deepEqual(
        cells.map((row) => row[2]),
        ['during', 'method', 'method'],
      );
      assert.equal(cells[1]?.[4], '0 ms');
    } finally {
      await page.close();
    }
  });

  it('starts the charts at the first data and shows their span, not "time: –", when not hovering', async () => {
    const r = run.result;
    const first = Math.min(
      ...r.load.map((l) => l.series.startMs + (l.series.buckets[0]?.t ?? 0) * l.series.bucketMs),
      ...r.monitors.flatMap((m) => m.samples.map((s) => s.tMs)),
    );
    const offset = (ms: number) => `+${((ms - r.startedMs) / 1000).toFixed(1)} s`;
    assert.notEqual(offset(first), '+0.0 s', 'the targets took a while to start');
    const { page } = await open();
    try {
      const idle = await page.$$eval('#charts .u-legend', (ls) =>
        ls.map((l) => l.querySelector('.u-series .u-value')?.textContent),
      );
      // the monitor strip has no legend; the three load charts do
      assert.deepEqual(idle, Array(3).fill(`${offset(first)} → ${offset(r.endedMs)}`));
      const box = await page.locator('#charts .u-over').first().boundingBox();
      assert.ok(box);
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
      const hovered = await page.$$eval('#charts .u-legend', (ls) =>
        ls.map((l) => [...l.querySelectorAll('.u-series .u-value')].map((v) => v.textContent)),
      );
      assert.match(hovered[0]?.[0] ?? '', /^\+\d+\.\d s$/);
      // the error rate chart's legend writes its percentage as everything else does
      assert.match(hovered[1]?.[1] ?? '', /^(\d+(\.\d+)?|<0\.01)%$/);
    } finally {
      await page.close();
    }
  });

  it('writes every percentage one way: no space before the sign', async () => {
    const { page } = await open();
    try {
      const text = (await page.textContent('main')) ?? '';
      assert.doesNotMatch(text, /\d %/);
      const kpi = await page.$$eval('table.kpi tbody tr', (rows) =>
        rows.map((tr) => [...tr.querySelectorAll('th,td')].map((c) => c.textContent)),
      );
      const errorRow = kpi.find((row) => row[0] === 'error rate');
      for (const cell of errorRow?.slice(1) ?? []) assert.match(cell ?? '', /^(\d+(\.\d+)?|<0\.01)%$/);
    } finally {
      await page.close();
    }
  });
});
