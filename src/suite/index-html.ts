/**
 * index.html of a suite: one self-contained page (no script, no external asset: it opens offline, from a CI
 * artifact) listing every run with its verdict and duration, a timeline of when each ran as inline SVG with the
 * calendar's starts marked, and relative links to each run's report.html. Every string from the data is escaped.
 */
import { escapeHtml as h } from '../report/html.js';
import type { SuiteJson, SuiteJsonEntry } from './suite-json.js';

const COLORS: Record<string, string> = {
  passed: '#2e9e5b',
  failed: '#d64545',
  aborted: '#d08a1e',
  skipped: '#9ca3af',
  running: '#5b8def',
  waiting: '#cbd5e1',
};

function duration(msValue: number | null): string {
  if (msValue === null) return '—';
  const s = msValue / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

const clock = (iso: string | null) => (iso === null ? '—' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));

/** The link to a run's report, encoded segment by segment (names may hold characters a URL reserves). */
function href(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function row(e: SuiteJsonEntry, starts: number): string {
  const why = e.skipReason ?? e.reason ?? '';
  const link =
    e.report !== null
      ? `<a class="report" href="${h(href(e.report))}">report</a>`
      : e.deleted
        ? '<span class="muted">deleted (cleanup: delete-passed)</span>'
        : '<span class="muted">—</span>';
  return [
    `<tr data-run="${h(e.run)}" data-start="${e.start}" data-state="${h(e.state)}">`,
    starts > 1 ? `<td>${e.start}</td>` : '',
    `<td><b>${h(e.run)}</b><div class="muted">${h(e.experiment)}</div></td>`,
    `<td><span class="badge" style="background:${COLORS[e.state] ?? '#6b7280'}">${h(e.state)}</span>${
      e.verdict !== e.state ? ` <span class="muted verdict">${h(e.verdict)}</span>` : ''
    }</td>`,
    `<td class="num">${h(String(e.seed))}</td>`,
    `<td>${h(clock(e.startedAt))}</td>`,
    `<td class="num duration">${h(duration(e.durationMs))}</td>`,
    `<td>${h(why)}</td>`,
    `<td>${link}</td>`,
    '</tr>',
  ].join('');
}

/** The timeline: one bar per run that ran, from its start to its end, and a tick at each calendar start. */
function timeline(s: SuiteJson): string {
  const ran = s.entries.filter((e) => e.startedAt !== null);
  const t0 = Math.min(Date.parse(s.startedAt), ...s.calendar.slice(0, s.startsBegun).map(Date.parse));
  const endOf = (e: SuiteJsonEntry) => (e.endedAt === null ? Date.now() : Date.parse(e.endedAt));
  const t1 = Math.max(t0 + 1000, s.endedAt === null ? 0 : Date.parse(s.endedAt), ...ran.map(endOf));
  const labelW = 160;
  const width = 960;
  const rowH = 22;
  const top = 24;
  const x = (t: number) => labelW + ((t - t0) / (t1 - t0)) * (width - labelW - 10);
  const height = top + Math.max(1, ran.length) * rowH + 24;
  const parts: string[] = [];
  for (const [i, iso] of s.calendar.slice(0, s.startsBegun).entries()) {
    const cx = x(Date.parse(iso)).toFixed(1);
    parts.push(
      `<line class="start" x1="${cx}" x2="${cx}" y1="14" y2="${height - 20}" stroke="#6b7280" stroke-dasharray="3 3"/>`,
      `<text x="${cx}" y="11" font-size="11" fill="#6b7280" text-anchor="middle">start ${i + 1}</text>`,
    );
  }
  for (const [i, e] of ran.entries()) {
    const y = top + i * rowH;
    const a = x(Date.parse(e.startedAt as string));
    const b = Math.max(a + 2, x(endOf(e)));
    const label = s.startsBegun > 1 ? `${e.start}: ${e.run}` : e.run;
    parts.push(
      `<text x="4" y="${y + 14}" font-size="12" fill="#1f2430">${h(label)}</text>`,
      `<rect class="bar" data-run="${h(e.run)}" x="${a.toFixed(1)}" y="${y + 3}" width="${(b - a).toFixed(1)}" height="${rowH - 7}" rx="3" fill="${COLORS[e.state] ?? '#6b7280'}"><title>${h(`${e.run}: ${e.state}, ${clock(e.startedAt)} – ${clock(e.endedAt)}`)}</title></rect>`,
    );
  }
  const span = duration(t1 - t0);
  parts.push(
    `<text x="${labelW}" y="${height - 4}" font-size="11" fill="#6b7280">${h(clock(new Date(t0).toISOString()))}</text>`,
    `<text x="${width - 10}" y="${height - 4}" font-size="11" fill="#6b7280" text-anchor="end">+${h(span)}</text>`,
  );
  return `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="when each run ran">${parts.join('')}</svg>`;
}

export function renderSuiteIndex(s: SuiteJson): string {
  const starts = s.startsBegun;
  const verdictColor =
    s.verdict === 'pass'
      ? '#2e9e5b'
      : s.verdict === 'fail'
        ? '#d64545'
        : s.verdict === 'halted'
          ? '#d08a1e'
          : '#5b8def';
  const counts = ['passed', 'failed', 'aborted', 'skipped']
    .map((st) => [st, s.entries.filter((e) => e.state === st).length] as const)
    .filter(([, n]) => n > 0)
    .map(([st, n]) => `${n} ${st}`)
    .join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${h(s.title)} — faultline suite</title>
<style>
:root{--fg:#1f2430;--muted:#6b7280;--line:#e3e6ec;--bg:#f6f7f9}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}
h1{font-size:22px;margin:0 0 6px}h2{font-size:16px;margin:0 0 10px}
.verdict{font-size:13px;font-weight:700;letter-spacing:.06em;color:#fff;border-radius:6px;padding:3px 10px;text-transform:uppercase}
.meta{color:var(--muted);display:flex;flex-wrap:wrap;gap:4px 18px;margin-top:8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}
.num{font-variant-numeric:tabular-nums}.muted{color:var(--muted)}
.badge{display:inline-block;font-size:12px;font-weight:700;border-radius:4px;padding:1px 7px;color:#fff}
code{background:#f1f3f6;border-radius:4px;padding:1px 5px}
</style></head>
<body><main>
<section><h1>${h(s.title)} <span id="suite-verdict" class="verdict" style="background:${verdictColor}">${h(s.verdict)}</span></h1>
<div class="meta"><span>${h(counts || 'no runs')}</span><span>seed ${h(String(s.seed))}</span><span>parallel ${s.parallel}</span><span>stop_on ${h(s.stop_on)}</span><span>cleanup ${h(s.cleanup)}</span><span>started ${h(clock(s.startedAt))}</span><span>took ${h(duration(s.durationMs))}</span>${s.stopped ? `<span>stopped: ${h(s.stopped)}</span>` : ''}</div>
<div class="meta"><span>suite file <code>${h(s.file)}</code></span><span>exit code ${s.exitCode ?? '—'}</span></div></section>
<section><h2>Runs</h2>
<table id="runs"><thead><tr>${starts > 1 ? '<th>start</th>' : ''}<th>run</th><th>verdict</th><th>seed</th><th>started (UTC)</th><th>duration</th><th>reason</th><th>report</th></tr></thead>
<tbody>${s.entries.map((e) => row(e, starts)).join('\n')}</tbody></table></section>
<section><h2>Timeline</h2>${timeline(s)}
<p class="muted">Calendar: ${
    s.calendar.length
      ? s.calendar
          .slice(0, 20)
          .map((c, i) => `${i < s.startsBegun ? '' : '(not begun) '}${h(clock(c))}`)
          .join(' · ')
      : 'once, now'
  }${s.calendar.length > 20 ? ' …' : ''}</p></section>
<footer class="muted" style="text-align:center;font-size:12px">faultline suite · suite.json and junit.xml are beside this page</footer>
</main></body></html>
`;
}
