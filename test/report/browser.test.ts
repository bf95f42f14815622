/**
 * report.html in a real headless Chromium (Debian's, never a downloaded one): the charts draw, nothing is logged
 * as an error, and the page requests nothing but itself. Saves test-artifacts/report.png for people to look at.
 * CI installs chromium; a missing browser is a failure with a clear message, not a silent skip.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { renderReport } from '../../src/report/html.js';
import { makeReportData } from '../fixtures/report/generate.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

let browser: Browser | undefined;
let dir: string;

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`,
  );
  dir = mkdtempSync(join(tmpdir(), 'faultline-report-'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface CanvasInfo {
  width: number;
  height: number;
  painted: number;
  colors: number;
  /** Pixels in the exact up / down colours of the monitor bands. */
  up: number;
  down: number;
}

describe('report.html in headless Chromium', () => {
  it('draws every chart, logs no error and requests nothing but the file', async () => {
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(makeReportData()));
    const url = pathToFileURL(file).href;
    assert.ok(browser);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('request', (r) => requests.push(r.url()));
    try {
      await page.goto(url, { waitUntil: 'load' });
      // The inline script marks the page when it has drawn; a script error would leave it unmarked.
      await page
        .waitForSelector('html[data-charts]', { state: 'attached', timeout: 10_000 })
        .catch((err: Error) => assert.fail(`charts never drew (${errors.join('; ') || err.message})`));
      // 3 charts for the one load runner, 1 for the monitors.
      assert.equal(await page.getAttribute('html', 'data-charts'), '4');
      const canvases = await page.$$eval('#charts canvas', (list) =>
        list.map((c): CanvasInfo => {
          const ctx = c.getContext('2d');
          const info = { width: c.width, height: c.height, painted: 0, colors: 0, up: 0, down: 0 };
          if (!ctx) return info;
          const { data } = ctx.getImageData(0, 0, c.width, c.height);
          const colors = new Set<number>();
          for (let i = 0; i < data.length; i += 4) {
            if ((data[i + 3] ?? 0) === 0) continue;
            info.painted += 1;
            const rgb = ((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0);
            colors.add(rgb);
            if (rgb === 0x59b37a) info.up += 1;
            if (rgb === 0xd64545) info.down += 1;
          }
          info.colors = colors.size;
          return info;
        }),
      );
      assert.equal(canvases.length, 4);
      for (const [i, c] of canvases.entries()) {
        assert.ok(c.width > 300 && c.height > 50, `canvas ${i} has size ${c.width}x${c.height}`);
        // Lines, bands and grid: thousands of painted pixels in several colours, not a blank canvas.
        assert.ok(c.painted > 2000, `canvas ${i} painted only ${c.painted} pixels`);
        assert.ok(c.colors > 5, `canvas ${i} has only ${c.colors} colours`);
      }
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
