/**
 * report.html: one self-contained file a person opens after a run — offline, from a CI artifact, attached to a
 * ticket — so uPlot and its stylesheet are inlined and the page loads nothing from anywhere. Tables and text are
 * rendered here as static, escaped HTML (readable without the script); only the charts are drawn in the browser,
 * from a compact chart model embedded as JSON (bucket latencies as numbers, not the HDR histograms).
 *
 * Every string from the data goes through {@link escapeHtml}, and the embedded JSON has `<` escaped, so a
 * title or an event message cannot close a tag or open a script.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availability } from '../kpi/availability.js';
import { assessLag, formatLag } from '../load/lag.js';
import { totalOutcomes } from '../load/samples.js';
import { CLIENT_SCRIPT } from './client.js';
import {
  faultWindows,
  formatDuration,
  formatMeasured,
  formatOffset,
  formatPercent,
  formatValue,
  KPI_ROWS,
  methodWindow,
  outagesOutside,
  phasesWithData,
  verdictLabel,
} from './format.js';
import type { ReportAssertion, ReportData, ReportPhase } from './types.js';

/** Escapes text for HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** JSON safe inside a `<script>` element: no `</script`, no `<!--`, no line separators. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

let uplotAssets: { js: string; css: string } | undefined;

/** uPlot's browser build and stylesheet, read once from the installed package. */
function uplot(): { js: string; css: string } {
  if (uplotAssets) return uplotAssets;
  const require = createRequire(import.meta.url);
  const dir = require.resolve('uplot/package.json').replace(/package\.json$/, 'dist/');
  uplotAssets = {
    js: readFileSync(`${dir}uPlot.iife.min.js`, 'utf8'),
    css: readFileSync(`${dir}uPlot.min.css`, 'utf8'),
  };
  return uplotAssets;
}

const round = (n: number, d: number) => {
  const f = 10 ** d;
  return Math.round(n * f) / f;
};

/**
 * Where the charts begin: the first thing there is to draw (a load bucket, a monitor sample, a fault, a phase),
 * not the run's start — targets that take seconds to get ready would otherwise leave every chart empty at first.
 */
function firstDataMs(data: ReportData): number {
  const times = [
    ...data.load.flatMap((l) => {
      const b = l.series.buckets[0];
      return b === undefined ? [] : [l.series.startMs + b.t * l.series.bucketMs];
    }),
    ...data.monitors.flatMap((m) => m.samples.map((s) => s.tMs)),
    ...data.faults.map((f) => f.startMs),
    ...(['before', 'during', 'after'] as const).flatMap((p) => data.phases[p]?.startMs ?? []),
  ].filter((t) => t >= data.startedMs && t < data.endedMs);
  return times.length > 0 ? Math.min(...times) : data.startedMs;
}

/**
 * The chart model the inline script reads: times in seconds since the run started (as in the journal), the x
 * axis running from `start` (the first data) to `end`.
 */
export function chartModel(data: ReportData) {
  const t0 = data.startedMs;
  const sec = (ms: number) => round((ms - t0) / 1000, 3);
  const phases = (['before', 'during', 'after'] as const)
    .filter((p) => data.phases[p] !== undefined)
    .map((p) => ({ name: p, start: sec((data.phases[p] as { startMs: number }).startMs) }));
  return {
    start: sec(firstDataMs(data)),
    end: sec(data.endedMs),
    phases,
    faults: data.faults.map((f) => ({
      name: f.name,
      start: sec(f.startMs),
      end: sec(f.endMs ?? data.endedMs),
      open: f.endMs === null,
    })),
    loads: data.load.map((l) => {
      const s = l.series;
      const perSec = 1000 / s.bucketMs;
      const x: number[] = [];
      const ok: number[] = [];
      const failed: number[] = [];
      const err: (number | null)[] = [];
      const p50: (number | null)[] = [];
      const p99: (number | null)[] = [];
      for (const b of s.buckets) {
        const completed = totalOutcomes(b.outcomes);
        x.push(sec(s.startMs + (b.t + 0.5) * s.bucketMs));
        ok.push(round(b.outcomes.ok * perSec, 2));
        failed.push(round((completed - b.outcomes.ok) * perSec, 2));
        err.push(completed > 0 ? round(((completed - b.outcomes.ok) / completed) * 100, 3) : null);
        // A log scale cannot show 0; an empty bucket is a gap, not a fast second.
        p50.push(b.latency.count > 0 ? Math.max(b.latency.p50Ms, 0.001) : null);
        p99.push(b.latency.count > 0 ? Math.max(b.latency.p99Ms, 0.001) : null);
      }
      return { name: l.name, x, ok, failed, err, p50, p99 };
    }),
    monitors: data.monitors.map((m) => ({
      name: m.name,
      s: [...m.samples].sort((a, b) => a.tMs - b.tMs).map((x) => [sec(x.tMs), x.ok ? 1 : 0]),
    })),
  };
}

const e = escapeHtml;

function kpiTables(data: ReportData): string {
  const phases = phasesWithData(data);
  if (data.load.length === 0) return '<p class="muted">No load ran in this experiment.</p>';
  return data.load
    .map((l) => {
      const head = `<tr><th></th>${phases.map((p) => `<th>${e(p)}</th>`).join('')}</tr>`;
      const rows = KPI_ROWS.map(
        (r) =>
          `<tr><th>${e(r.label)}</th>${phases.map((p) => `<td>${e(r.value(l.kpis[p]))}</td>`).join('')}</tr>`,
      ).join('');
      const caption =
        data.load.length > 1 || l.series.target !== ''
          ? `<caption>${e(l.name)} <span class="muted">${e(l.series.model)} · ${e(l.series.target)}</span></caption>`
          : '';
      return `<table class="kpi">${caption}<thead>${head}</thead><tbody>${rows}</tbody></table>`;
    })
    .join('\n');
}

/**
 * One line per load runner with the generator's own lag (its worst second), so a reader can tell how much of a
 * latency could be the generator's; the warning itself is in the verdict's reason.
 */
function lagLines(data: ReportData): string {
  return data.load
    .map((l) => {
      const line = formatLag(l.series.buckets);
      const lagging = assessLag(l.series.buckets).lagging;
      if (line === undefined) return '';
      const who = data.load.length > 1 ? `${e(l.name)}: ` : '';
      const note =
        lagging > 0 ? ` · ${lagging} second${lagging === 1 ? '' : 's'} where it was a real share of p99` : '';
      return `<p class="muted lag">${who}${e(line)}${e(note)}</p>`;
    })
    .join('\n');
}

function assertionsTable(data: ReportData): string {
  if (data.assertions.length === 0) return '<p class="muted">The experiment has no hypothesis.</p>';
  const rows = data.assertions
    .map((a) => {
      const faults =
        a.faultsActive.length > 0
          ? a.faultsActive.map((f) => `<span class="chip">${e(f)}</span>`).join(' ')
          : '<span class="muted">none</span>';
      return (
        `<tr class="${a.passed ? 'held' : 'broke'}">` +
        `<td><span class="badge ${a.passed ? 'pass' : 'fail'}">${a.passed ? 'held' : 'broke'}</span></td>` +
        // no phase: measured over the whole method (max_downtime, time_to_recover)
        `<td>${e(a.name)}</td><td>${a.phase ? e(a.phase) : '<span class="muted">method</span>'}</td>` +
        `<td class="num">${e(a.expected)}</td>` +
        `${measuredCell(a)}<td>${faults}</td></tr>`
      );
    })
    .join('');
  return (
    '<table class="assertions"><thead><tr><th></th><th>assertion</th><th>phase</th><th>expected</th>' +
    `<th>measured</th><th>faults active</th></tr></thead><tbody>${rows}</tbody></table>${downtimeNote(data)}`
  );
}

/**
 * A note (why nothing was measured, or what qualifies a value) can be a sentence: it wraps inside the card,
 * while a bare number does not.
 */
function measuredCell(a: ReportAssertion): string {
  if (a.measured !== null && a.note) {
    const value = formatValue(a.measured, a.unit);
    return `<td class="note"><b class="nowrap">${e(value)}</b> <span class="muted">(${e(a.note)})</span></td>`;
  }
  return `<td class="${a.measured === null ? 'note' : 'num'}"><b>${e(formatMeasured(a))}</b></td>`;
}

/**
 * max_downtime counts outages inside the method only, while the monitors table counts the whole run: say so
 * beside the figure, with the window and the outages left out, so `0 ms` next to `2 outages` is not a riddle.
 */
function downtimeNote(data: ReportData): string {
  const method = methodWindow(data);
  if (method === undefined || !data.assertions.some((a) => a.kpi === 'max_downtime')) return '';
  const left = data.monitors
    .map((m) => ({ name: m.name, n: outagesOutside(m.samples, method) }))
    .filter((m) => m.n > 0)
    .map((m) => `${m.name}: ${m.n} outage${m.n === 1 ? '' : 's'}`);
  const range = `${formatOffset(method.startMs, data.startedMs)} → ${formatOffset(method.endMs, data.startedMs)}`;
  return (
    `<p class="muted note" id="downtime-note">max_downtime is the longest outage within the method (${e(range)}); ` +
    'outages before it (start-up, warm-up, the steady-state check) or after it are not counted' +
    `${left.length > 0 ? ` (${e(left.join(', '))} outside it)` : ''}.</p>`
  );
}

function faultsTable(data: ReportData): string {
  if (data.faults.length === 0) return '<p class="muted">No faults were injected.</p>';
  const rows = data.faults
    .map((f, i) => {
      const end =
        f.endMs === null
          ? '<span class="badge fail">never reverted</span>'
          : e(formatOffset(f.endMs, data.startedMs));
      const length =
        f.endMs === null ? '–' : f.endMs === f.startMs ? 'instant' : formatDuration(f.endMs - f.startMs);
      return (
        `<tr><td><span class="swatch s${i % 6}"></span>${e(f.name)}</td><td>${e(f.target)}</td>` +
        `<td>${e(f.detail ?? '')}</td><td class="num">${e(formatOffset(f.startMs, data.startedMs))}</td>` +
        `<td class="num">${end}</td><td class="num">${e(length)}</td></tr>`
      );
    })
    .join('');
  return (
    '<table><thead><tr><th>fault</th><th>target</th><th>what</th><th>applied</th><th>reverted</th>' +
    `<th>length</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function monitorsTable(data: ReportData): string {
  if (data.monitors.length === 0) return '';
  const rows = data.monitors
    .map((m) => {
      // the engine's figure when result.json has one, so the page and the file agree; computed for older files
      const a = m.availability ?? availability(m.samples, { endMs: data.endedMs });
      return (
        `<tr><td>${e(m.name)}</td><td class="muted">${e(m.target ?? '')}</td>` +
        `<td class="num">${e(a.samples > 0 ? formatPercent(a.availability) : '–')}</td>` +
        `<td class="num">${a.outages}</td><td class="num">${e(a.outages > 0 ? formatDuration(a.longestOutageMs) : '–')}</td>` +
        `<td class="num">${e(a.outages > 0 ? formatDuration(a.downtimeMs) : '–')}</td></tr>`
      );
    })
    .join('');
  return (
    '<table><thead><tr><th>monitor</th><th>probes</th><th>available</th><th>outages</th><th>longest</th>' +
    `<th>down in total</th></tr></thead><tbody>${rows}</tbody></table>` +
    '<p class="muted note">Over the whole run, start-up and warm-up included.</p>'
  );
}

function journal(data: ReportData): string {
  if (data.events.length === 0) return '<p class="muted">The journal is empty.</p>';
  const rows = [...data.events]
    .sort((a, b) => a.tMs - b.tMs)
    .map(
      (ev) =>
        `<tr><td class="num">${e(formatOffset(ev.tMs, data.startedMs))}</td>` +
        `<td><code>${e(ev.kind)}</code></td><td>${e(ev.message)}</td></tr>`,
    )
    .join('');
  return `<table class="journal"><thead><tr><th>time</th><th>event</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

function phaseLine(data: ReportData): string {
  const range = (w: { startMs: number; endMs: number }) =>
    `${formatOffset(w.startMs, data.startedMs)} → ${formatOffset(w.endMs, data.startedMs)}`;
  const parts = (['before', 'during', 'after'] as ReportPhase[])
    .map((p) => {
      const w = data.phases[p];
      if (w === undefined) return '';
      // "during" runs from the first fault to the last revert; with gaps between faults, one range would hide
      // that the KPIs of "during" cover the fault windows only
      const windows = p === 'during' ? faultWindows(data) : [];
      return windows.length > 1
        ? `${p} ${windows.length} windows: ${windows.map(range).join(', ')}`
        : `${p} ${range(w)}`;
    })
    .filter((s) => s !== '');
  return parts.join(' · ');
}

const CSS = `
:root{--fg:#1f2430;--muted:#6b7280;--line:#e3e6ec;--bg:#f6f7f9;--pass:#2e9e5b;--fail:#d64545;--abort:#d08a1e;--nr:#6b7280}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 24px 48px}
header{background:#fff;border:1px solid var(--line);border-radius:10px;padding:20px 24px;margin-bottom:18px}
header.pass{border-top:6px solid var(--pass)}header.fail{border-top:6px solid var(--fail)}
header.aborted{border-top:6px solid var(--abort)}header.not-ready{border-top:6px solid var(--nr)}
h1{font-size:22px;margin:0 0 4px;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
h2{font-size:16px;margin:0 0 12px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 24px;margin-bottom:18px}
.verdict{font-size:13px;font-weight:700;letter-spacing:.06em;color:#fff;border-radius:6px;padding:3px 10px}
.verdict.pass{background:var(--pass)}.verdict.fail{background:var(--fail)}.verdict.aborted{background:var(--abort)}.verdict.not-ready{background:var(--nr)}
.reason{margin:6px 0 0;font-weight:500}
.meta{color:var(--muted);margin:8px 0 0;display:flex;flex-wrap:wrap;gap:4px 18px}
.repro{margin:12px 0 0;display:flex;gap:10px;align-items:baseline}
.repro code{flex:1;background:#111827;color:#e5e7eb;border-radius:6px;padding:8px 12px;user-select:all;overflow-x:auto;white-space:pre}
.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:0 0 8px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}
td.num,table.kpi td{font-variant-numeric:tabular-nums;white-space:nowrap;overflow-wrap:normal}
td.note{min-width:12em}.nowrap{white-space:nowrap}p.note{font-size:13px;margin:4px 0 0}
table.kpi{width:auto;min-width:520px}table.kpi td{text-align:right;padding-left:28px}table.kpi thead th{text-align:right}
table.kpi tbody th{font-weight:500}
caption{text-align:left;font-weight:600;padding:0 0 6px}
tr.broke td{background:#fdf1f1}
.badge{display:inline-block;font-size:12px;font-weight:700;border-radius:4px;padding:1px 7px;color:#fff}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}
.chip{display:inline-block;background:#f1ecfb;color:#5b3fa8;border-radius:10px;padding:0 8px;font-size:12px;margin:1px 0}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:8px}
.s0{background:#e8a33d}.s1{background:#8e6bd8}.s2{background:#2ba4a0}.s3{background:#d9607a}.s4{background:#5b8def}.s5{background:#9a8f3a}
#charts .chart{margin:0 0 6px}
.uplot .u-title{font-size:13px;font-weight:600;text-align:left;padding-left:100px}
.journal td:first-child{width:90px}.journal td:nth-child(2){width:170px}.journal code{font-size:12px;color:#374151}
footer{color:var(--muted);font-size:12px;text-align:center}
`;

/**
 * Renders one self-contained report.html (no external URL, no network) for a run.
 * @param data a validated report (see {@link parseReportData} for untrusted input)
 */
export function renderReport(data: ReportData): string {
  const { js, css } = uplot();
  const verdict = data.verdict;
  const duration = formatDuration(data.endedMs - data.startedMs);
  const started = new Date(data.startedMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const held = data.assertions.filter((a) => a.passed).length;
  const faultsNote =
    data.faults.length > 0
      ? `${data.faults.length} fault${data.faults.length === 1 ? '' : 's'}`
      : 'no faults';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${e(verdictLabel(verdict))} · ${e(data.title)} · faultline</title>
<style>${css}</style>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="${e(verdict)}">
<h1><span class="verdict ${e(verdict)}">${e(verdictLabel(verdict))}</span><span>${e(data.title)}</span></h1>
${data.description ? `<p class="muted">${e(data.description)}</p>` : ''}
${data.reason ? `<p class="reason">${e(data.reason)}</p>` : ''}
<p class="meta"><span>started ${e(started)}</span><span>${e(duration)}</span><span>seed <b>${data.seed}</b></span><span>${e(faultsNote)}</span><span>${data.assertions.length > 0 ? `${held} of ${data.assertions.length} assertions held` : 'no hypothesis'}</span></p>
<p class="meta">${e(phaseLine(data))}</p>
<div class="repro"><span class="muted">reproduce</span><code id="reproduce">${e(data.command)}</code></div>
</header>
<section id="hypothesis"><h2>Hypothesis</h2>${assertionsTable(data)}</section>
<section id="timeline"><h2>Timeline</h2><div id="charts"></div><noscript><p class="muted">The charts need JavaScript; the tables below do not.</p></noscript></section>
<section id="kpis"><h2>KPIs per phase</h2>${kpiTables(data)}${lagLines(data)}</section>
<section id="faults"><h2>Faults</h2>${faultsTable(data)}</section>
<section id="monitors"><h2>Monitors</h2>${monitorsTable(data) || '<p class="muted">No monitors.</p>'}</section>
<section id="journal"><h2>Event journal</h2>${journal(data)}</section>
<footer>faultline · ${e(data.format)}</footer>
</main>
<script type="application/json" id="faultline-data">${jsonForScript(chartModel(data))}</script>
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
