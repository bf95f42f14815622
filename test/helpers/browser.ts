/**
 * report.html in a real headless Chromium (Debian's, never a downloaded one): launch it, open a report, wait
 * for its charts, and say what happened — console errors, requests, what each canvas painted.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

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

/** Launches Debian's chromium; a missing browser is a failure with a clear message, not a skip. */
export async function launchChromium(): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`,
  );
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** What one canvas painted. */
export interface CanvasInfo {
  width: number;
  height: number;
  painted: number;
  colors: number;
  /** Pixels in the exact up / down colours of the monitor bands. */
  up: number;
  down: number;
}

/** A report as the browser saw it. */
export interface OpenedReport {
  page: Page;
  url: string;
  /** `data-charts`: how many charts the page says it drew. */
  charts: number;
  canvases: CanvasInfo[];
  errors: string[];
  requests: string[];
}

/** Opens `file` in a new page `width` px wide and waits for its charts; close `page` when done. */
export async function openReport(browser: Browser, file: string, width = 1280): Promise<OpenedReport> {
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load' });
  // The inline script marks the page when it has drawn; a script error would leave it unmarked.
  await page
    .waitForSelector('html[data-charts]', { state: 'attached', timeout: 10_000 })
    .catch((err: Error) => assert.fail(`charts never drew (${errors.join('; ') || err.message})`));
  const charts = Number(await page.getAttribute('html', 'data-charts'));
  const canvases = await page.$$eval('#charts canvas', (list) =>
    list.map((c) => {
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
  return { page, url, charts, canvases, errors, requests };
}

/** Every canvas has a real size and thousands of pixels in several colours: lines, bands and grid. */
export function assertPainted(canvases: readonly CanvasInfo[]): void {
  for (const [i, c] of canvases.entries()) {
    assert.ok(c.width > 300 && c.height > 50, `canvas ${i} has size ${c.width}x${c.height}`);
    assert.ok(c.painted > 2000, `canvas ${i} painted only ${c.painted} pixels`);
    assert.ok(c.colors > 5, `canvas ${i} has only ${c.colors} colours`);
  }
}

/**
 * Narrows (or widens) the window and waits until the charts are drawn again at their new width: the report
 * redraws them on the frame after a resize, so a layout read straight after setViewportSize sees the old one.
 */
export async function resizeReport(page: Page, width: number): Promise<void> {
  await page.setViewportSize({ width, height: 900 });
  const drawn = await page.$eval('#charts', (el) => Math.max(320, el.clientWidth));
  await page.waitForSelector(`html[data-chart-width="${drawn}"]`, { state: 'attached', timeout: 10_000 });
}
