/**
 * The report's input: everything report.html and the terminal summary show, as plain JSON. The experiment
 * engine writes it as `result.json`; `faultline report DIR` reads it back. It reuses the load series and the
 * per-phase KPI types as they are, so the numbers in the report are the numbers the verdict was computed from.
 *
 * Times are epoch milliseconds. A field the engine could not measure is `null`, never a made-up zero.
 */
import type { Availability, MonitorSample } from '../kpi/availability.js';
import type { PhasesKpis } from '../kpi/phases.js';
import type { LoadSeries } from '../load/samples.js';

/** Identifies the format; bump when a field changes meaning. */
export const REPORT_FORMAT = 'faultline.report/1';

/** How a run ended. `not-ready`: the steady state never held before the method, so nothing was judged. */
export type ReportVerdict = 'pass' | 'fail' | 'aborted' | 'not-ready';

/** The phases of a run, in order. */
export type ReportPhase = 'before' | 'during' | 'after';

/** A time window `[startMs, endMs)`. */
export interface ReportWindow {
  startMs: number;
  endMs: number;
}

/** One load runner's recorded series and its KPIs per phase. */
export interface ReportLoad {
  /** The runner's name in the experiment file. */
  name: string;
  series: LoadSeries;
  kpis: PhasesKpis;
}

/** A fault as it actually ran: applied at `startMs`, reverted at `endMs` (equal for instantaneous faults). */
export interface ReportFault {
  /** The fault's name (e.g. `store-latency`). */
  name: string;
  /** What it acted on (e.g. `replicas[1]`, `proxy/store`). */
  target: string;
  startMs: number;
  /** When it was reverted; `null` when it was never reverted (the revert failed: see the journal). */
  endMs: number | null;
  /** A short description of what was done (e.g. `latency 300 ms`, `SIGKILL`). */
  detail?: string;
}

/** One monitor's samples, for its up/down band. */
export interface ReportMonitor {
  name: string;
  /** What it probes (a URL, a command), for the reader. */
  target?: string;
  samples: MonitorSample[];
  /**
   * Availability over every sample, an outage still going counting up to `endedMs`. The engine writes it; a
   * result.json from before it did has none, and the report computes it from the samples.
   */
  availability?: Availability;
}

/** One hypothesis assertion and how it came out. */
export interface ReportAssertion {
  /** A readable name (the file's `name`, or one derived from kpi, phase and threshold). */
  name: string;
  /** The KPI asserted on (e.g. `error_rate`, `p99`, `time_to_recover`). */
  kpi: string;
  /** The phase the KPI was measured over; absent for KPIs over the whole method (`max_downtime`, `time_to_recover`). */
  phase?: ReportPhase;
  /** The promise, for people (e.g. `< 1%`, `< 200 ms`). */
  expected: string;
  /** The measured value in `unit`; `null` when it could not be measured (then `passed` is false). */
  measured: number | null;
  /** The unit of `measured` (e.g. `ms`, `%`, `req/s`, `s`); '' for a bare number. */
  unit: string;
  passed: boolean;
  /** Why the value could not be measured (e.g. `never recovered …`), when it could not. */
  note?: string;
  /** Names of the faults active when the assertion broke (or during its phase); empty when none were. */
  faultsActive: string[];
}

/** One journal event. */
export interface ReportEvent {
  tMs: number;
  /** A dotted kind such as `phase`, `fault.applied`, `fault.reverted`, `monitor.down`, `abort`. */
  kind: string;
  /** What happened, for people. */
  message: string;
}

/** The report's input (`result.json`). */
export interface ReportData {
  format: typeof REPORT_FORMAT;
  title: string;
  description?: string;
  /** The seed every random choice came from. */
  seed: number;
  /** The exact command that reproduces the run (file, seed and every --set included). */
  command: string;
  verdict: ReportVerdict;
  /** Why the verdict is what it is, in one sentence (e.g. the abort condition that held). */
  reason?: string;
  /**
   * Reasons to distrust the measurements, also appended to `reason` (e.g. "the load generator could not keep
   * up: latencies are not the system's (…)"); absent when there are none.
   */
  warnings?: string[];
  startedMs: number;
  endedMs: number;
  /** The phase windows; a phase that did not happen (aborted before it) is absent. */
  phases: Partial<Record<ReportPhase, ReportWindow>>;
  load: ReportLoad[];
  faults: ReportFault[];
  monitors: ReportMonitor[];
  assertions: ReportAssertion[];
  events: ReportEvent[];
}
