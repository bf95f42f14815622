/**
 * The schema of result.json as `faultline run` writes it: the report's data (src/report/schema.ts) plus the
 * run's details (exit code, the validated file, the plan, steady-state checks, fault runs, reverts). The
 * published JSON Schema (schema/result.schema.json) is generated from it, so tools reading result.json have a
 * contract instead of prose.
 *
 * It is the writer's schema, and exact: every object lists all its fields (`additionalProperties: false`), so a
 * field the engine starts writing fails the schema test until it is described here. `faultline report` keeps
 * reading with the lenient reader's schema, which ignores fields it does not use. Compile-time checks below keep
 * this schema and {@link ExperimentResult} from drifting apart.
 */
import { z } from 'zod';
import { availabilitySchema, reportDataSchema } from '../report/schema.js';
import type { ExperimentResult } from './engine.js';
import { experimentSchema } from './schema.js';

const num = z.number();
const count = z.int().nonnegative();

const monitorSampleSchema = z.object({
  tMs: num.describe('Epoch ms when the sample started.'),
  ok: z.boolean().describe('Whether the monitor was up.'),
  latencyMs: num.describe('How long the sample took.'),
  value: num.optional().describe('The number the monitor read, when it read one.'),
  detail: z.string().optional().describe('What was seen (e.g. "status 200").'),
  error: z.string().optional().describe('Why the sample is down, when it is.'),
});

const monitorSchema = z.object({
  name: z.string(),
  target: z.string().optional().describe('What the monitor probes (a URL, a command).'),
  samples: z.array(monitorSampleSchema),
  availability: availabilitySchema.describe(
    'Over every sample of the run (warm-up to the steady-state-after check); an outage still going at the end counts up to endedMs.',
  ),
});

const planStepSchema = z.object({
  fault: z.string(),
  disruptor: z.string(),
  target: z.string(),
  occurrence: count,
  status: z.enum(['apply', 'dropped', 'on-condition']),
  instance: count.nullable().describe('Index in the target group; null when not picked.'),
  host: z.string().optional().describe('The host of the picked instance (targets on hosts).'),
  group: z
    .object({
      hosts: z.array(z.string()).describe('Every host the fault acts on.'),
      sides: z.array(z.array(z.string())).describe('Hosts that reach exactly each other.'),
      unavailable: z
        .array(z.string())
        .describe('Hosts left unable to reach a majority: counted unavailable.'),
      describe: z.string(),
    })
    .optional()
    .describe('A fault on the whole group (host.partition): how it splits the hosts.'),
  requestedMs: num.nullable().describe('When the file asked for it (ms from the start of the method).'),
  startMs: num.nullable(),
  endMs: num.nullable(),
  note: z.string().optional().describe('Why the step was delayed or dropped, or what a condition waits for.'),
});

const planSchema = z.object({
  seed: count,
  warmupMs: num,
  durationMs: num,
  targets: z.record(
    z.string(),
    z.object({
      instances: count,
      maxUnavailable: count,
      hosts: z
        .array(z.string())
        .optional()
        .describe('Targets on hosts: the host of each instance, in order.'),
    }),
  ),
  steps: z.array(planStepSchema),
});

const probeOutcomeSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  value: num.optional(),
  latencyMs: num.optional(),
  reason: z.string(),
});

const steadyStateResultSchema = z.object({
  ok: z.boolean(),
  rounds: count,
  tookMs: num,
  probes: z.array(probeOutcomeSchema),
  reason: z.string().optional(),
});

const faultRunSchema = z.object({
  id: z.string().describe('The journal id.'),
  fault: z.string(),
  disruptor: z.string(),
  target: z.string(),
  occurrence: count,
  instance: z.string(),
  status: z.enum(['applied', 'failed', 'dropped']),
  startMs: num.describe('When it took effect (for a failed one, when its injection started).'),
  endMs: num
    .nullable()
    .describe('When its revert took effect (or its injection failed); null when its revert failed.'),
  injectStartMs: num.optional().describe('When its injection was started.'),
  revertStartMs: num.optional().describe('When its revert was started.'),
  detail: z.string(),
  error: z.string().optional(),
  info: z.record(z.string(), z.json()).optional().describe('What the injection reported (a pid, a new pid).'),
  trigger: z.string().optional().describe('The condition that fired a when: fault.'),
});

const revertOutcomeSchema = z.object({
  id: z.string(),
  type: z.string(),
  ok: z.boolean(),
  attempts: count,
  error: z.string().optional(),
});

const warmupSchema = z.object({
  minMs: num.describe('The shortest warm-up the file allowed.'),
  maxMs: num.describe('The longest.'),
  tookMs: num.describe('How long it lasted.'),
  settled: z
    .boolean()
    .describe('Whether the latency had settled when it ended (false: it hit maxMs, or stopped).'),
  reason: z.string().describe('What the last look at the load saw.'),
});

const r = reportDataSchema.shape;

/** result.json, as the engine writes it. */
export const experimentResultSchema = z
  .object({
    format: r.format.describe('Bumped when a field changes meaning.'),
    title: r.title,
    description: r.description,
    seed: r.seed.describe('The seed every random choice came from.'),
    command: r.command.describe('The exact command that reproduces the run.'),
    verdict: r.verdict,
    reason: r.reason.describe('The verdict in one sentence (with any warnings appended).'),
    warnings: r.warnings.describe(
      'Reasons to distrust the measurements, e.g. the load generator could not keep up (its own lag was a real share of the latencies it measured); absent when none.',
    ),
    exitCode: z.int().describe('0 pass, 1 fail, 3 aborted, 4 not ready.'),
    startedMs: r.startedMs.describe('Epoch ms.'),
    endedMs: r.endedMs.describe('Epoch ms.'),
    phases: r.phases.describe('The phase windows; a phase that did not happen is absent.'),
    load: r.load.describe(
      'Per load runner: its per-second series and its KPIs per phase (throughput, error rate overall and per outcome class, latency p50/p90/p99/p99.9/max).',
    ),
    faults: r.faults.describe('Each applied fault instance; endMs null when it was never reverted.'),
    monitors: z.array(monitorSchema),
    assertions: r.assertions.describe(
      'The hypothesis, judged; measured is null (with a note) when it could not be. A broken assertion whose phase was already outside the promise before the first fault says so in its note ("baseline already outside the promise …").',
    ),
    events: r.events.describe('The journal in words.'),
    spec: experimentSchema.describe('The validated experiment file, defaults applied.'),
    plan: planSchema.describe('The seeded schedule.'),
    steadyState: z
      .object({ before: steadyStateResultSchema.optional(), after: steadyStateResultSchema.optional() })
      .describe('Each steady-state check and its probes.'),
    faultRuns: z.array(faultRunSchema).describe('Every fault instance: applied, failed or dropped.'),
    reverts: z.array(revertOutcomeSchema).describe('Each rollback revert and its outcome.'),
    warmup: warmupSchema
      .optional()
      .describe('How the warm-up went; absent when the run stopped before it (a target not ready).'),
  })
  .describe('The result of a faultline experiment run (result.json).');

// Both directions: a field added to one side and not the other fails to compile.
type Parsed = z.output<typeof experimentResultSchema>;
const _toTypes = (p: Parsed): ExperimentResult => p;
const _toSchema = (d: ExperimentResult): Parsed => d;
void _toTypes;
void _toSchema;

/** The JSON Schema of result.json (draft-7, output side: what the engine writes). */
export function resultJsonSchema(): Record<string, unknown> {
  return {
    // the only transform (env values to strings) has a string output; `any` keeps it representable
    ...(z.toJSONSchema(experimentResultSchema, {
      target: 'draft-7',
      io: 'output',
      unrepresentable: 'any',
    }) as Record<string, unknown>),
    title: 'faultline result',
  };
}
