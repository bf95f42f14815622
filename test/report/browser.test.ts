/**
 * report.html in a real headless Chromium (Debian's, never a downloaded one): the charts draw, nothing is logged
 * as an error, and the page requests nothing but itself. Saves test-artifacts/report.png for people to look at.
 * CI installs chromium; a missing browser is a failure with a clear message, not a silent skip.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { renderReport } from '../../src/report/html.js';
import { makeReportData } from '../fixtures/report/generate.js';
import { assertPainted, type CanvasInfo, launchChromium, openReport } from '../helpers/browser.js';

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
