/**
 * Pass/fail criteria for a load run, as k6 has them: `error_rate<1%`, `p99<=200ms`, `throughput>=500/s`. A
 * load test that prints 100 % errors and exits 0 passes every CI pipeline it runs in; a broken threshold makes
 * `faultline load` exit 1 naming it and what was measured.
 *
 * A metric nothing measured (a latency when no request got an answer, an error rate when none completed) breaks
 * its threshold: "p99 below 200 ms" is not shown by a run with no responses. Metrics and comparison operators
 * are registries; a metric's kind says how its limit is written and how its value is shown.
 */
import { InvalidOptionError } from '../core/errors.js';
import { formatPercent } from '../core/percent.js';
import { kpiValue, LATENCY_PERCENTILES } from '../kpi/measure.js';
import { parseDuration, parseRate } from './parse.js';
import { type LoadSeries, OUTCOME_CLASSES } from './samples.js';

/** How a metric's limit is written and its value shown. */
interface MetricKind {
  /** What the limit text should look like, for errors. */
  readonly example: string;
  /** The limit in the metric's unit; throws on bad text. */
  parse(text: string): number;
  show(value: number): string;
  /** Why the metric can have no value. */
  readonly unmeasured: string;
}

const PERCENT_RE = /^(\d+(?:\.\d+)?)%$/;

const KINDS = {
  /** error rates: `1%` or a fraction such as `0.01`; measured as a fraction, shown in %. */
  fraction: {
    example: '1% or 0.01',
    parse(text) {
      const m = PERCENT_RE.exec(text);
      const f = m ? Number(m[1]) / 100 : /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
      if (!(f >= 0 && f <= 1)) throw new Error('not a percentage');
      return f;
    },
    show: (v) => formatPercent(v),
    unmeasured: 'no request completed',
  },
  /** latencies: `200ms`, `1.5s`; a bare number is milliseconds. */
  duration: {
    example: '200ms or 1s',
    parse: (text) => parseDuration(text),
    show: (v) => `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3)} ms`,
    unmeasured: 'no request was answered',
  },
  /** throughput: `500/s`, `3000/m`, `500`; completed requests per second. */
  rate: {
    example: '500/s',
    parse: (text) => (/^0+(?:\.0*)?(?:\/(?:ms|s|m|h))?$/.test(text) ? 0 : parseRate(text)),
    show: (v) => `${v.toFixed(1)} req/s`,
    unmeasured: 'nothing was recorded',
  },
} satisfies Record<string, MetricKind>;

/** Every metric a threshold can name, with its kind. */
const METRICS: Readonly<Record<string, MetricKind>> = {
  ...Object.fromEntries(Object.keys(LATENCY_PERCENTILES).map((p) => [p, KINDS.duration])),
  max: KINDS.duration,
  throughput: KINDS.rate,
  error_rate: KINDS.fraction,
  // one failure class's share of completed requests, e.g. error_rate.timeout
  ...Object.fromEntries(
    OUTCOME_CLASSES.filter((c) => c !== 'ok').map((c) => [`error_rate.${c}`, KINDS.fraction]),
  ),
};

/** The comparison operators, longest first so `<=` is not read as `<` followed by `=…`. */
const OPS = {
  '<=': (v: number, limit: number) => v <= limit,
  '>=': (v: number, limit: number) => v >= limit,
  '<': (v: number, limit: number) => v < limit,
  '>': (v: number, limit: number) => v > limit,
} as const;

export type ThresholdOp = keyof typeof OPS;

/** A parsed `--threshold`: `metric op limit`, the limit in the metric's unit (ms, req/s, fraction). */
export interface Threshold {
  /** As written (spaces removed). */
  expression: string;
  metric: string;
  op: ThresholdOp;
  limit: number;
}

/** A threshold judged: `value` is null when nothing measured the metric, and then `ok` is false. */
export interface ThresholdResult extends Threshold {
  value: number | null;
  ok: boolean;
}

const EXPRESSION_RE = new RegExp(
  `^([a-z_][a-z0-9_.]*)(${Object.keys(OPS)
    .map((op) => op.replace(/[<>=]/g, (c) => `\\${c}`))
    .join('|')})(.+)$`,
);

/**
 * Parses `error_rate<1%`, `p99 <= 200ms`, `throughput>=500/s`.
 * @throws InvalidOptionError naming `field` and quoting the text.
 */
export function parseThreshold(text: string, field = '--threshold'): Threshold {
  const expression = text.replace(/\s+/g, '');
  const m = EXPRESSION_RE.exec(expression);
  const bad = (why: string) => new InvalidOptionError(field, `'${text}': ${why}`);
  if (!m)
    throw bad(`expected METRIC OP LIMIT (OP one of <, <=, >, >=), e.g. 'error_rate<1%' or 'p99<=200ms'`);
  const [, metric, op, limitText] = m as unknown as [string, string, ThresholdOp, string];
  const kind = METRICS[metric];
  if (kind === undefined) {
    const known = Object.keys(METRICS).filter((k) => !k.startsWith('error_rate.'));
    throw bad(`unknown metric '${metric}' (known: ${known.join(', ')}, error_rate.<class>)`);
  }
  let limit: number;
  try {
    limit = kind.parse(limitText);
  } catch {
    throw bad(`a limit of ${metric} is written like ${kind.example}, not '${limitText}'`);
  }
  return { expression, metric, op, limit };
}

/** Judges each threshold over the whole of `series`. */
export function checkThresholds(thresholds: readonly Threshold[], series: LoadSeries): ThresholdResult[] {
  return thresholds.map((t) => {
    const value = kpiValue(t.metric, series, series.buckets);
    return { ...t, value, ok: value !== null && OPS[t.op](value, t.limit) };
  });
}

/** `error_rate<1%: measured 100.00 %` / `p99<200ms: not measured (no request was answered)`. */
export function formatThresholdResult(r: ThresholdResult): string {
  const kind = METRICS[r.metric] as MetricKind;
  if (r.value === null) return `${r.expression}: not measured (${kind.unmeasured})`;
  return `${r.expression}: measured ${kind.show(r.value)}`;
}
