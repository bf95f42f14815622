/**
 * The hypothesis, judged: each assertion of the experiment file measured over the recorded load series and
 * monitor samples, with the faults that were active when it broke. Pure: the engine passes what it recorded.
 *
 * Load KPIs are measured per phase (see src/kpi/phases.ts: `during` is every second that overlaps a fault). With
 * several load runners and no `load:` named, their series are combined second by second — counts add up and
 * percentiles come from the merged histograms — before any KPI is computed. Latency KPIs (p50 … p99.9, max)
 * cover answered requests; `error_rate.<class>` is that class's share of every completed request, so the
 * per-class rates add up to `error_rate`.
 */
import { formatPercent } from '../core/percent.js';
import { availability, type MonitorSample } from '../kpi/availability.js';
import { kpiValue } from '../kpi/measure.js';
import { bucketMeets, type FaultWindow, type PhasesKpis, phaseKpis, phasesOf } from '../kpi/phases.js';
import { timesToRecover } from '../kpi/recovery.js';
import { parseDuration, parseRate } from '../load/parse.js';
import {
  emptyOutcomes,
  type LoadBucket,
  type LoadSeries,
  mergeLatency,
  OUTCOME_CLASSES,
  summarizeLatency,
} from '../load/samples.js';
import type { ReportAssertion, ReportPhase } from '../report/types.js';
import { fraction, ms } from './duration.js';
import type { ExperimentSpec } from './schema.js';

/** A hypothesis assertion as written. */
export type AssertionSpec = ExperimentSpec['hypothesis'][number];

/** A fault window with the fault's name (epoch ms). */
export interface NamedFaultWindow extends FaultWindow {
  name: string;
}

/** What the hypothesis is judged over. */
export interface HypothesisInputs {
  /** Load series per runner name, trimmed to the method. */
  load: Readonly<Record<string, LoadSeries>>;
  /** Windows of the faults that took effect. */
  faults: readonly NamedFaultWindow[];
  /** Monitor samples per name. */
  monitors: Readonly<Record<string, readonly MonitorSample[]>>;
  /** The method's window (epoch ms), for monitor KPIs. */
  method: { startMs: number; endMs: number };
}

/** A judged assertion: the report's fields plus a note when something could not be measured. */
export type AssertionResult = ReportAssertion;

/** Combines series bucket by bucket (aligned on their start times) into one. One series is returned as is. */
export function combineSeries(series: readonly LoadSeries[]): LoadSeries | undefined {
  if (series.length <= 1) return series[0];
  const first = series[0] as LoadSeries;
  const startMs = Math.min(...series.map((s) => s.startMs));
  const width = first.bucketMs;
  const parts: LoadBucket[][] = [];
  for (const s of series) {
    const offset = Math.round((s.startMs - startMs) / width);
    for (const b of s.buckets) {
      const slot = parts[b.t + offset];
      if (slot === undefined) parts[b.t + offset] = [b];
      else slot.push(b);
    }
  }
  const buckets: LoadBucket[] = [];
  for (let t = 0; t < parts.length; t++) {
    const group = parts[t] ?? [];
    const outcomes = emptyOutcomes();
    for (const b of group) for (const c of OUTCOME_CLASSES) outcomes[c] += b.outcomes[c];
    buckets.push({
      t,
      sent: group.reduce((n, b) => n + b.sent, 0),
      dropped: group.reduce((n, b) => n + b.dropped, 0),
      outcomes,
      latency: summarizeLatency(mergeLatency(group.map((b) => b.latency))),
    });
  }
  return { ...first, startMs, target: series.map((s) => s.target).join(' + '), buckets };
}

/** Keeps the buckets that lie mostly inside `[fromMs, toMs)`; bucket indexes restart at 0. */
export function trimSeries(series: LoadSeries, fromMs: number, toMs: number): LoadSeries {
  const half = series.bucketMs / 2;
  const kept = series.buckets.filter((b) => {
    const start = series.startMs + b.t * series.bucketMs;
    return start + half >= fromMs && start + half < toMs;
  });
  const t0 = kept[0]?.t ?? 0;
  return {
    ...series,
    startMs: series.startMs + t0 * series.bucketMs,
    buckets: kept.map((b) => ({ ...b, t: b.t - t0 })),
  };
}

/** `error_rate` and every `error_rate.<class>`: measured in %, bounds written as percentages or fractions. */
function isErrorRate(kpi: string): boolean {
  return kpi === 'error_rate' || kpi.startsWith('error_rate.');
}

function unitOf(kpi: string): string {
  if (isErrorRate(kpi)) return '%';
  return kpi === 'throughput' ? 'req/s' : 'ms';
}

function bound(kpi: string, v: number | string): number {
  if (isErrorRate(kpi)) return fraction(v);
  if (kpi === 'throughput') return parseRate(v);
  return parseDuration(v);
}

const RELATIVE_RE = /^\s*(\d+(?:\.\d+)?)\s*[x×]\s*before\s*$/;

/**
 * The factor of a bound written relative to the `before` phase — `2x before`: twice the same KPI measured over
 * the same load before the first fault — or undefined for an absolute bound.
 */
export function relativeFactor(v: number | string | undefined): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = RELATIVE_RE.exec(v);
  return m === null ? undefined : Number(m[1]);
}

/** Whether an assertion has a bound relative to the `before` phase. */
export function isRelative(a: AssertionSpec): boolean {
  return relativeFactor(a.above) !== undefined || relativeFactor(a.below) !== undefined;
}

function show(kpi: string, v: number | string): string {
  const factor = relativeFactor(v);
  if (factor !== undefined) return `${factor}x before`;
  if (typeof v === 'string') return v.replace(/\s+/g, '');
  // the bound as written (0.07 is 7%, not 7.000000000000001%)
  if (isErrorRate(kpi)) return `${Number((v * 100).toPrecision(12))}%`;
  if (kpi === 'throughput') return `${v} req/s`;
  return `${v} ms`;
}

/** `< 1%`, `> 100 req/s`, `> 10 req/s and < 50 req/s`. */
export function expectedText(a: AssertionSpec): string {
  const parts: string[] = [];
  if (a.above !== undefined) parts.push(`> ${show(a.kpi, a.above)}`);
  if (a.below !== undefined) parts.push(`< ${show(a.kpi, a.below)}`);
  return parts.join(' and ');
}

/** Bounds in the KPI's unit (error rates as fractions), relative ones resolved against the baseline. */
interface Limits {
  above?: number;
  below?: number;
}

/** `baseline`: the KPI over the `before` phase, for relative bounds (null: it could not be measured). */
function limitsOf(a: AssertionSpec, baseline?: number | null): Limits {
  const one = (v: number | string): number => {
    const factor = relativeFactor(v);
    return factor === undefined ? bound(a.kpi, v) : factor * (baseline as number);
  };
  return {
    ...(a.above === undefined ? {} : { above: one(a.above) }),
    ...(a.below === undefined ? {} : { below: one(a.below) }),
  };
}

function within(l: Limits, value: number): boolean {
  if (l.above !== undefined && !(value > l.above)) return false;
  if (l.below !== undefined && !(value < l.below)) return false;
  return true;
}

function withinBounds(a: AssertionSpec, value: number): boolean {
  return within(limitsOf(a), value);
}

/** A value in the assertion's unit for messages: `546 ms`, `2.5%`, `120 req/s`. */
function valueText(kpi: string, raw: number): string {
  const v = isErrorRate(kpi) ? raw * 100 : raw;
  const r = Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
  return `${r}${isErrorRate(kpi) ? '%' : ` ${unitOf(kpi)}`}`;
}

/** `< 2x before (1092 ms)`: the written bound with what it came to. */
function resolvedExpected(a: AssertionSpec, l: Limits): string {
  const parts: string[] = [];
  const one = (op: string, v: number | string | undefined, resolved: number | undefined) => {
    if (v === undefined) return;
    const rel = relativeFactor(v) !== undefined && resolved !== undefined;
    parts.push(`${op} ${show(a.kpi, v)}${rel ? ` (${valueText(a.kpi, resolved)})` : ''}`);
  };
  one('>', a.above, l.above);
  one('<', a.below, l.below);
  return parts.join(' and ');
}

/** `error_rate during < 1%`. */
export function assertionName(a: AssertionSpec): string {
  if (a.name !== undefined) return a.name;
  const subject = [a.kpi, a.monitor, a.load === undefined ? undefined : `of ${a.load}`, a.phase]
    .filter((x) => x !== undefined)
    .join(' ');
  return `${subject} ${expectedText(a)}`;
}

function bucketWindow(series: LoadSeries, b: LoadBucket): { startMs: number; endMs: number } {
  const startMs = series.startMs + b.t * series.bucketMs;
  return { startMs, endMs: startMs + series.bucketMs };
}

/** Faults active in a window, or — when none was — the last one that ended before it. */
function blame(faults: readonly NamedFaultWindow[], w: { startMs: number; endMs: number }): string[] {
  const active = faults.filter((f) =>
    f.endMs <= f.startMs
      ? f.startMs >= w.startMs && f.startMs < w.endMs
      : f.startMs < w.endMs && f.endMs > w.startMs,
  );
  if (active.length > 0) return active.map((f) => f.name);
  const before = faults.filter((f) => f.endMs <= w.startMs).sort((a, b) => b.endMs - a.endMs)[0];
  return before === undefined ? [] : [before.name];
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

function loadAssertion(a: AssertionSpec, inputs: HypothesisInputs, base: AssertionResult): AssertionResult {
  const phase = a.phase as ReportPhase;
  const chosen =
    a.load === undefined ? Object.values(inputs.load) : [inputs.load[a.load]].filter((s) => s !== undefined);
  const series = combineSeries(chosen as LoadSeries[]);
  if (series === undefined) return { ...base, note: 'no load was recorded' };
  const faults = inputs.faults;
  const phases = phasesOf(series, faults);
  const inPhase = series.buckets.filter((_, i) => phases[i] === phase);
  const measuredRaw = kpiValue(a.kpi, series, inPhase);
  const phaseFaults = unique(
    inPhase.flatMap((b) => faults.filter((f) => bucketMeets(series, b, f)).map((f) => f.name)),
  );
  if (measuredRaw === null) {
    const why =
      inPhase.length === 0 ? `no load samples in phase ${phase}` : `nothing completed in phase ${phase}`;
    return { ...base, faultsActive: phaseFaults, note: why };
  }
  // the baseline: the same KPI over the same load before the first fault
  const baseline =
    phase === 'before'
      ? measuredRaw
      : kpiValue(
          a.kpi,
          series,
          series.buckets.filter((_, i) => phases[i] === 'before'),
        );
  const relative = isRelative(a);
  if (relative && baseline === null)
    return {
      ...base,
      faultsActive: phaseFaults,
      note: `no baseline: nothing measured in phase before, which ${base.expected} is relative to`,
    };
  const limits = limitsOf(a, baseline);
  const expected = resolvedExpected(a, limits);
  const measured = isErrorRate(a.kpi) ? measuredRaw * 100 : measuredRaw;
  const passed = within(limits, measuredRaw);
  if (passed) return { ...base, expected, measured, passed, faultsActive: phaseFaults };
  // which seconds broke the promise on their own, and what was going on then
  const broken = inPhase.filter((b) => {
    const v = kpiValue(a.kpi, series, [b]);
    return v !== null && !within(limits, v);
  });
  const culprits = unique(
    (broken.length > 0 ? broken : inPhase).flatMap((b) => blame(faults, bucketWindow(series, b))),
  );
  // a promise the system did not keep before any fault is not the faults' doing alone: say so, not just blame
  const baselineBroken = phase !== 'before' && !relative && baseline !== null && !within(limits, baseline);
  return {
    ...base,
    expected,
    measured,
    passed,
    faultsActive: culprits,
    ...(baselineBroken
      ? { note: `baseline already outside the promise: ${a.kpi} before ${valueText(a.kpi, baseline)}` }
      : {}),
  };
}

function recoveryAssertion(
  a: AssertionSpec,
  inputs: HypothesisInputs,
  base: AssertionResult,
): AssertionResult {
  const chosen =
    a.load === undefined ? Object.values(inputs.load) : [inputs.load[a.load]].filter((s) => s !== undefined);
  const series = combineSeries(chosen as LoadSeries[]);
  if (series === undefined) return { ...base, note: 'time to recover needs load; none was recorded' };
  if (inputs.faults.length === 0)
    return { ...base, note: 'no fault took effect, so there was nothing to recover from' };
  // an absorbed fault is judged from its start: the system should stay (or get) healthy while it is active
  const absorbed = (f: NamedFaultWindow): boolean =>
    f.absorb === true || a.absorb === true || (Array.isArray(a.absorb) && a.absorb.includes(f.name));
  const faults = inputs.faults.map((f) => (absorbed(f) ? { ...f, absorb: true } : f));
  let recoveries: ReturnType<typeof timesToRecover>;
  try {
    const r = a.recovered_when;
    recoveries = timesToRecover(series, faults, {
      faults,
      // per-second p99s are noisy (GC, a busy machine): the default band is wider than the kpi module's
      p99Factor: 2,
      p99SlackMs: 50,
      windowSec: Math.max(1, Math.round(ms(r?.for ?? '5s', 'for') / series.bucketMs)),
      ...(r?.error_rate === undefined ? {} : { errorRate: fraction(r.error_rate) }),
      ...(r?.p99 === undefined ? {} : { p99Ms: ms(r.p99, 'p99') }),
    });
  } catch (err) {
    return { ...base, note: (err as Error).message.replace(/^baseline: /, '') };
  }
  const never = recoveries.filter((r) => r.timeToRecoverMs === 'never');
  // a fault that ended too close to the end of the method cannot show a recovery: say so, not "never"
  const endMs = series.startMs + series.buckets.length * series.bucketMs;
  const unseen = never.filter((r) => endMs - r.fromMs < r.tolerance.windowSec * series.bucketMs);
  if (unseen.length > 0) {
    const r = unseen[0] as (typeof unseen)[number];
    const left = Math.max(0, (endMs - r.fromMs) / 1000);
    return {
      ...base,
      faultsActive: unique(unseen.map((u) => (u.fault as NamedFaultWindow).name)),
      note: `not measured: ${(r.fault as NamedFaultWindow).name} ended ${left.toFixed(1)} s before the end of the method; recovery needs ${r.tolerance.windowSec} s to be seen`,
    };
  }
  if (never.length > 0) {
    return {
      ...base,
      faultsActive: unique(never.map((r) => (r.fault as NamedFaultWindow).name)),
      note: `never recovered (error rate ≤ ${formatPercent(never[0]!.tolerance.errorRate)} and p99 ≤ ${never[0]!.tolerance.p99Ms.toFixed(1)} ms for ${never[0]!.tolerance.windowSec} s before the end)`,
    };
  }
  const worst = Math.max(...recoveries.map((r) => r.timeToRecoverMs as number));
  const passed = withinBounds(a, worst);
  const culprits = recoveries
    .filter((r) => r.timeToRecoverMs === worst)
    .map((r) => (r.fault as NamedFaultWindow).name);
  return { ...base, measured: worst, passed, faultsActive: unique(culprits) };
}

function downtimeAssertion(
  a: AssertionSpec,
  inputs: HypothesisInputs,
  base: AssertionResult,
): AssertionResult {
  const name = a.monitor as string;
  const samples = (inputs.monitors[name] ?? []).filter(
    (s) => s.tMs >= inputs.method.startMs && s.tMs <= inputs.method.endMs,
  );
  if (samples.length === 0) return { ...base, note: `monitor ${name} has no samples in the method` };
  const av = availability(samples, { endMs: inputs.method.endMs });
  const passed = withinBounds(a, av.longestOutageMs);
  // the longest outage, and the faults active during it
  const sorted = [...samples].sort((x, y) => x.tMs - y.tMs);
  let best: { startMs: number; endMs: number } | undefined;
  let since: number | null = null;
  for (const s of sorted) {
    if (!s.ok && since === null) since = s.tMs;
    if (s.ok && since !== null) {
      if (best === undefined || s.tMs - since > best.endMs - best.startMs)
        best = { startMs: since, endMs: s.tMs };
      since = null;
    }
  }
  if (since !== null && (best === undefined || inputs.method.endMs - since > best.endMs - best.startMs))
    best = { startMs: since, endMs: inputs.method.endMs };
  return {
    ...base,
    measured: av.longestOutageMs,
    passed,
    faultsActive: best ? blame(inputs.faults, best) : [],
  };
}

/** Judges every assertion. */
export function evaluateHypothesis(
  assertions: readonly AssertionSpec[],
  inputs: HypothesisInputs,
): AssertionResult[] {
  return assertions.map((a) => {
    const base: AssertionResult = {
      name: assertionName(a),
      kpi: a.kpi,
      ...(a.phase === undefined ? {} : { phase: a.phase }),
      expected: expectedText(a),
      measured: null,
      unit: unitOf(a.kpi),
      passed: false,
      faultsActive: [],
    };
    if (a.kpi === 'time_to_recover') return recoveryAssertion(a, inputs, base);
    if (a.kpi === 'max_downtime') return downtimeAssertion(a, inputs, base);
    return loadAssertion(a, inputs, base);
  });
}

/** KPIs per phase of every runner (for result.json and the report). */
export function loadKpis(
  load: Readonly<Record<string, LoadSeries>>,
  faults: readonly FaultWindow[],
): Record<string, PhasesKpis> {
  const out: Record<string, PhasesKpis> = {};
  for (const [name, s] of Object.entries(load)) out[name] = phaseKpis(s, faults);
  return out;
}
