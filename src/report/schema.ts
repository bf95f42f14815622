/**
 * The zod schema of {@link ReportData}: `faultline report` reads result.json written by another process (maybe
 * another faultline version, maybe edited by hand), so its shape is checked before anything is drawn, and an
 * error names the field (`load[0].series.buckets[3].latency.p99Ms: expected number`).
 *
 * Unknown fields are kept out, not refused: the engine's result.json carries more than the report needs.
 * Compile-time checks below keep this schema and the hand-written types in ./types.ts from drifting apart.
 */
import { z } from 'zod';
import { InvalidOptionError } from '../core/errors.js';
import { LOAD_SERIES_FORMAT, OUTCOME_CLASSES, type OutcomeClass } from '../load/samples.js';
import { REPORT_FORMAT, type ReportData } from './types.js';

const num = z.number().refine(Number.isFinite, 'expected a finite number');
const count = z.int().nonnegative();
const time = num;

const outcomesSchema = z.strictObject(
  Object.fromEntries(OUTCOME_CLASSES.map((c) => [c, count])) as Record<OutcomeClass, typeof count>,
);

const latencySummarySchema = z.object({
  count,
  minMs: num,
  meanMs: num,
  p50Ms: num,
  p90Ms: num,
  p99Ms: num,
  p999Ms: num,
  maxMs: num,
  hdr: z.string(),
});

const bucketSchema = z.object({
  t: count,
  sent: count,
  dropped: count,
  outcomes: outcomesSchema,
  latency: latencySummarySchema,
  exits: z.record(z.string(), count).optional(),
  lag: z
    .object({
      loopP99Ms: num,
      loopMaxMs: num,
      sendP99Ms: num,
      sendMaxMs: num,
      receiveP99Ms: num,
      receiveMaxMs: num,
    })
    .optional()
    .describe(
      "HTTP runs: the load generator's own lag in this second, ms (src/load/lag.ts): event-loop delay, send lag (actual − intended send time), receive lag (time a completion waited behind its event-loop turn); p99 and max of each.",
    ),
});

const seriesSchema = z.object({
  format: z.literal(LOAD_SERIES_FORMAT),
  startMs: time,
  bucketMs: num.refine((n) => n > 0, 'expected a positive number'),
  model: z.enum(['open', 'closed', 'command']),
  target: z.string(),
  buckets: z.array(bucketSchema),
});

const failureClasses = OUTCOME_CLASSES.filter((c) => c !== 'ok');

const phaseKpisSchema = z.object({
  buckets: count,
  durationSec: num,
  sent: count,
  completed: count,
  ok: count,
  dropped: count,
  throughput: num,
  goodput: num,
  errorRate: num,
  errorRates: z.strictObject(
    Object.fromEntries(failureClasses.map((c) => [c, num])) as Record<
      Exclude<OutcomeClass, 'ok'>,
      typeof num
    >,
  ),
  outcomes: outcomesSchema,
  latency: latencySummarySchema.omit({ hdr: true }),
});

/** Availability of one monitor (src/kpi/availability.ts). */
export const availabilitySchema = z.object({
  samples: count,
  ok: count,
  availability: num,
  outages: count,
  longestOutageMs: num,
  downtimeMs: num,
  endedDown: z.boolean(),
});

const phaseName = z.enum(['before', 'during', 'after']);
const windowSchema = z.object({ startMs: time, endMs: time });

/** The schema `faultline report` checks result.json against. */
export const reportDataSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  title: z.string(),
  description: z.string().optional(),
  seed: z.int().nonnegative(),
  command: z.string(),
  verdict: z.enum(['pass', 'fail', 'aborted', 'not-ready']),
  reason: z.string().optional(),
  warnings: z.array(z.string()).optional(),
  startedMs: time,
  endedMs: time,
  phases: z.object({
    before: windowSchema.optional(),
    during: windowSchema.optional(),
    after: windowSchema.optional(),
  }),
  load: z.array(
    z.object({
      name: z.string(),
      series: seriesSchema,
      kpis: z.object({ before: phaseKpisSchema, during: phaseKpisSchema, after: phaseKpisSchema }),
    }),
  ),
  faults: z.array(
    z.object({
      name: z.string(),
      target: z.string(),
      startMs: time,
      endMs: time.nullable(),
      detail: z.string().optional(),
    }),
  ),
  monitors: z.array(
    z.object({
      name: z.string(),
      target: z.string().optional(),
      samples: z.array(z.object({ tMs: time, ok: z.boolean() })),
      availability: availabilitySchema.optional(),
    }),
  ),
  assertions: z.array(
    z.object({
      name: z.string(),
      kpi: z.string(),
      phase: phaseName.optional(),
      expected: z.string(),
      measured: num.nullable(),
      unit: z.string(),
      passed: z.boolean(),
      note: z.string().optional(),
      faultsActive: z.array(z.string()),
    }),
  ),
  events: z.array(z.object({ tMs: time, kind: z.string(), message: z.string() })),
});

// Both directions: a field added to one side and not the other fails to compile.
type Parsed = z.output<typeof reportDataSchema>;
const _toTypes = (p: Parsed): ReportData => p;
const _toSchema = (d: ReportData): Parsed => d;
void _toTypes;
void _toSchema;

/** `a.b[2].c` from a zod issue path. */
function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(document)' : out;
}

/**
 * Checks `value` (parsed JSON) against the report format and returns it typed (unknown fields dropped).
 * @throws InvalidOptionError naming the first bad field, with a count of any further ones.
 */
export function parseReportData(value: unknown): ReportData {
  const result = reportDataSchema.safeParse(value);
  if (result.success) return result.data;
  const [first] = result.error.issues;
  if (first === undefined) throw new InvalidOptionError('(document)', 'not a faultline report');
  const more = result.error.issues.length - 1;
  throw new InvalidOptionError(
    formatIssuePath(first.path),
    `${first.message}${more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : ''}`,
  );
}
