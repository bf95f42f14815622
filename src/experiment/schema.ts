/**
 * The experiment file format as one zod schema. The validator parses with it, the published JSON Schema
 * (schema/experiment.schema.json) is generated from it, and the plug-in parts (disruptor `with:` options,
 * monitor and probe types, load runner types) are assembled from the registries — a new type is a new file.
 *
 * Field names are snake_case, as YAML files conventionally are. Durations stay as written (`10s`) and are
 * converted by the planner and engine, so error messages can quote what the user wrote.
 */
import { z } from 'zod';
import type { OutcomeClass } from '../load/samples.js';
import { disruptors } from '../plugins/disruptors/index.js';
import { monitors } from '../plugins/monitors/index.js';
import type { DisruptorDefinition, MonitorDefinition, RunnerDefinition } from '../plugins/registry.js';
import { runners } from '../plugins/runners/index.js';
import { commandSchema, envSchema, signalSchema } from './common.js';
import { durationSchema, fractionSchema, positiveDurationSchema } from './duration.js';
import { asWritten } from './json-schema.js';
import { hostListSchema, hostNameSchema, hostSpecSchema } from './schema-hosts.js';
import { warmupSchema } from './warmup.js';

/** Names of targets, monitors, load runners, faults and parameters. */
export { hostListSchema, hostNameSchema, hostSpecSchema };

export const nameSchema = z
  .string()
  .regex(/^[A-Za-z_][\w.-]*$/, 'names start with a letter or _ and use letters, digits, _ . -');

const NEGATIVE_SEED =
  'a seed is a whole number >= 0 or a word; a negative seed is refused, not taken as its absolute value';

const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/** A parameter: a default value, or `{ default, description }`. `--set name=value` overrides the default. */
export const parameterSchema = z.union([
  scalarSchema,
  z.strictObject({ default: scalarSchema, description: z.string().optional() }),
]);

function monitorMember(d: MonitorDefinition, extra: z.core.$ZodLooseShape = {}) {
  return z
    .strictObject({
      type: z.literal(d.name),
      every: positiveDurationSchema.default('1s').describe('Sample interval (default 1s).'),
      timeout: durationSchema.default('2s').describe('A sample slower than this is down (default 2s).'),
      ...d.options.shape,
      ...extra,
    })
    .describe(d.description);
}

function monitorUnion(extra: z.core.$ZodLooseShape = {}) {
  const members = monitors.all().map((d) => monitorMember(d, extra));
  return z.discriminatedUnion('type', members as [(typeof members)[0], ...typeof members], {
    error: (iss) => unknownType(iss, 'type', 'monitor', monitors.names()),
  });
}

function unknownType(
  iss: z.core.$ZodRawIssue,
  key: string,
  label: string,
  known: string[],
): string | undefined {
  if (iss.code !== 'invalid_union') return undefined;
  const input = iss.input as Record<string, unknown> | undefined;
  const got = input && typeof input === 'object' ? input[key] : undefined;
  if (got === undefined) return `${key} is required (one of: ${known.join(', ')})`;
  return `unknown ${label} ${JSON.stringify(got)}; known: ${known.join(', ')}`;
}

/** A monitor: sampled every interval during the whole run. */
export const monitorSchema = monitorUnion();

/** A readiness probe: sampled until it is up, for at most `within`. */
export const readyProbeSchema = monitorUnion({
  within: durationSchema
    .default('30s')
    .describe('How long to wait for the instance to be ready (default 30s).'),
});

const maxUnavailableSchema = z
  .union([
    z.int().min(0),
    z.string().regex(/^\s*\d+(\.\d+)?\s*%\s*$/, 'expected a count or a percentage such as 40%'),
  ])
  .describe(
    'Blast radius: at most this many instances (or this % of them, rounded down) unavailable at once.',
  );

const blastRadiusShape = {
  max_unavailable: maxUnavailableSchema.optional(),
  excess: z
    .enum(['delay', 'drop'])
    .default('delay')
    .describe(
      'What happens to fault instances beyond max_unavailable: delay them until room frees, or drop them.',
    ),
};

/** A group of processes faultline starts, owns and stops. */
export const processTargetSchema = z.strictObject({
  type: z.literal('process'),
  command: commandSchema.describe('The command; {{instance}} and {{ports.NAME}} are replaced per instance.'),
  count: z.int().min(1).default(1).describe('How many instances to start (default 1).'),
  cwd: z.string().optional(),
  env: envSchema
    .optional()
    .describe('Environment added per instance; {{instance}} and {{ports.NAME}} are replaced.'),
  ports: z
    .record(nameSchema, z.int().min(0).max(65535))
    .optional()
    .describe('Named ports: instance i gets base + i; 0 picks a free port per instance.'),
  ready: readyProbeSchema
    .optional()
    .describe('A probe each instance must pass before the experiment goes on.'),
  stop_signal: signalSchema.default('SIGTERM'),
  stop_timeout: durationSchema
    .default('5s')
    .describe('SIGKILL an instance that has not exited this long after stop.'),
  ...blastRadiusShape,
});

/** Processes faultline did not start, found through pid files (one instance per file). */
export const attachTargetSchema = z.strictObject({
  type: z.literal('attach'),
  pid_files: z.array(z.string().min(1)).min(1).describe('One pid file per instance.'),
  ready: readyProbeSchema.optional(),
  ...blastRadiusShape,
});

/** Picking a target's instances by a probe run on each of its hosts when the run starts. */
export const selectSchema = z
  .strictObject({
    command: z
      .string()
      .min(1)
      .describe(
        'A shell command run on each of the target’s hosts when the run starts (before anything else); the hosts where it exits 0 are the target’s instances for this run. {{host.name}}, {{host.address}}, {{host.port}} and {{host.user}} are replaced.',
      ),
    timeout: durationSchema
      .default('10s')
      .describe('How long the command may run on a host; past it, that host is not chosen (default 10s).'),
  })
  .describe(
    'Pick the instances by a probe (the current leader, say): only the hosts where `command` exits 0 are the target’s for this run; none chosen makes the run not ready.',
  );

/** Processes on hosts that faultline did not start: one instance per host. */
export const serviceTargetSchema = z.strictObject({
  type: z.literal('service'),
  hosts: hostListSchema.describe('The hosts (or groups) the service runs on: one instance per host.'),
  pidfile: z
    .string()
    .min(1)
    .optional()
    .describe('A pid file on the host; {{host.name}} and {{host.address}} are replaced.'),
  match: z
    .string()
    .min(1)
    .optional()
    .describe('A pattern as pgrep -f takes it; {{host.name}} and {{host.address}} are replaced.'),
  systemd: z.string().min(1).optional().describe('A systemd unit on the host.'),
  start: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A shell command that starts the service again on its host, run detached (host.process.kill restart, host.process.restart); for a systemd unit, systemctl is used without it.',
    ),
  ready: readyProbeSchema
    .optional()
    .describe('A probe each instance must pass before the experiment goes on.'),
  select: selectSchema.optional(),
  ...blastRadiusShape,
});

/** Hosts themselves: one instance per host (for host-level faults). */
export const hostTargetSchema = z.strictObject({
  type: z.literal('host'),
  hosts: hostListSchema.describe('The hosts (or groups): one instance per host.'),
  ready: readyProbeSchema.optional().describe('A probe each host must pass before the experiment goes on.'),
  select: selectSchema.optional(),
  ...blastRadiusShape,
});

/** The target types whose instances live on hosts. */
export const HOST_TARGET_TYPES: ReadonlySet<string> = new Set(['service', 'host']);

/** A named group of instances that faults act on. */
export const targetSchema = z.discriminatedUnion(
  'type',
  [processTargetSchema, attachTargetSchema, serviceTargetSchema, hostTargetSchema],
  {
    error: (iss) => unknownType(iss, 'type', 'target type', ['process', 'attach', 'service', 'host']),
  },
);

const thresholdSchema = z
  .union([z.number(), z.string()])
  .describe('A number, a percentage (1%), a duration (200ms) or a rate (500/s), as the KPI needs.');

/** Live KPIs a condition can watch. */
export const LIVE_KPIS = ['error_rate', 'p50', 'p95', 'p99', 'throughput'] as const;

/** A condition on a monitor or on a live load KPI, sustained for `for`. */
export const conditionSchema = z.strictObject({
  monitor: nameSchema.optional().describe('A monitor name: compare its value, or use down.'),
  kpi: z.enum(LIVE_KPIS).optional().describe('A live load KPI over the last `for` (at least 1s).'),
  load: nameSchema.optional().describe('With kpi: one load runner (default: all together).'),
  above: thresholdSchema.optional(),
  below: thresholdSchema.optional(),
  down: z.boolean().optional().describe('With monitor: true when the monitor is down.'),
  for: durationSchema.default('0s').describe('How long the condition must hold (default: at once).'),
});

function faultMember(d: DisruptorDefinition) {
  const optional = d.options.safeParse({}).success;
  const withSchema = (optional ? d.options.prefault({}) : d.options).describe(`Options of ${d.name}.`);
  return z
    .strictObject({
      name: nameSchema.optional().describe('Default: the disruptor name and the fault index.'),
      disruptor: z.literal(d.name),
      target: nameSchema.describe('The target group the fault acts on.'),
      count: z.int().min(1).optional().describe('How many instances, picked by the seed (default 1).'),
      percent: z
        .number()
        .gt(0)
        .max(100)
        .optional()
        .describe('Or: this % of the instances (rounded down, at least 1).'),
      at: durationSchema
        .optional()
        .describe('When (after warm-up); with every, the first time (default 0s).'),
      every: positiveDurationSchema.optional().describe('Repeat at this period until the end of the method.'),
      times: z.int().min(1).optional().describe('With every or when: at most this many times.'),
      when: conditionSchema.optional().describe('Inject when this condition holds (the feedback loop).'),
      duration: durationSchema.optional().describe('How long the fault stays applied (default: to the end).'),
      with: withSchema,
    })
    .describe(d.description);
}

const faultMembers = disruptors.all().map(faultMember);

/** A fault: a disruptor applied to some instances of a target, at some time, for some time. */
export const faultSchema = z.discriminatedUnion(
  'disruptor',
  faultMembers as [(typeof faultMembers)[0], ...typeof faultMembers],
  { error: (iss) => unknownType(iss, 'disruptor', 'disruptor', disruptors.names()) },
);

function runnerMember(d: RunnerDefinition) {
  return z
    .strictObject({
      name: nameSchema.optional().describe('Default: the runner type and its index.'),
      type: z.literal(d.name),
      ...d.options.shape,
    })
    .describe(d.description);
}

const runnerMembers = runners.all().map(runnerMember);

/** A load runner: starts at the beginning of warm-up and runs until the method ends. */
export const loadSchema = z.discriminatedUnion(
  'type',
  runnerMembers as [(typeof runnerMembers)[0], ...typeof runnerMembers],
  { error: (iss) => unknownType(iss, 'type', 'load runner', runners.names()) },
);

/** When a steady-state probe passes. */
export const toleranceSchema = z.strictObject({
  up: z.boolean().default(true).describe('The probe must be up (default true).'),
  min: z.number().optional().describe('The value must be at least this.'),
  max: z.number().optional().describe('The value must be at most this.'),
  max_latency: durationSchema.optional().describe('The probe must answer within this.'),
});

/** One steady-state check: a monitor by name or an inline probe, and its tolerance. */
export const steadyProbeSchema = z.strictObject({
  name: nameSchema.optional(),
  monitor: nameSchema.optional().describe('A monitor defined under monitors.'),
  probe: monitorSchema.optional().describe('Or an inline probe.'),
  tolerance: toleranceSchema.prefault({}),
});

/** Steady state: checked before the method (not ready → verdict `not-ready`) and after it. */
export const steadyStateSchema = z.strictObject({
  within: durationSchema
    .default('30s')
    .describe('How long the before-check may wait for the system to be ready.'),
  probes: z.array(steadyProbeSchema).min(1),
});

/**
 * Per-class error rates a hypothesis can assert on: `error_rate.<class>` for every outcome class but `ok` (the
 * same classes as `errorRates` in result.json). `1xx`–`3xx` count only when the runner's ok rule rejects them.
 */
export const ERROR_RATE_KPIS = [
  'error_rate.1xx',
  'error_rate.2xx',
  'error_rate.3xx',
  'error_rate.4xx',
  'error_rate.5xx',
  'error_rate.timeout',
  'error_rate.reset',
  'error_rate.refused',
  'error_rate.other',
] as const;

// Both directions: an outcome class added to the load recorder and not here (or the reverse) fails to compile.
type ErrorRateClass = (typeof ERROR_RATE_KPIS)[number] extends `error_rate.${infer C}` ? C : never;
const _classesCovered = (c: Exclude<OutcomeClass, 'ok'>): ErrorRateClass => c;
const _classesKnown = (c: ErrorRateClass): Exclude<OutcomeClass, 'ok'> => c;
void _classesCovered;
void _classesKnown;

/** KPIs a hypothesis can assert on: the live ones, more latency percentiles, per-class error rates, recovery. */
export const HYPOTHESIS_KPIS = [
  'error_rate',
  ...ERROR_RATE_KPIS,
  'p50',
  'p90',
  'p95',
  'p99',
  'p99.9',
  'max',
  'throughput',
  'time_to_recover',
  'max_downtime',
] as const;

// every live KPI can be asserted on too (a condition's KPI means the same in the hypothesis)
const _liveAsserted = (k: (typeof LIVE_KPIS)[number]): (typeof HYPOTHESIS_KPIS)[number] => k;
void _liveAsserted;

/** One assertion of the hypothesis. */
export const assertionSchema = z.strictObject({
  name: z.string().optional(),
  kpi: z
    .enum(HYPOTHESIS_KPIS)
    .describe(
      'Load KPIs (per phase): error_rate, error_rate.<class>, p50, p90, p95, p99, p99.9, max, throughput; time_to_recover; max_downtime of a monitor.',
    ),
  phase: z
    .enum(['before', 'during', 'after'])
    .optional()
    .describe('Which phase the KPI is measured over (required for load KPIs).'),
  load: nameSchema.optional().describe('One load runner (default: all together).'),
  monitor: nameSchema.optional().describe('For max_downtime: the monitor.'),
  below: thresholdSchema.optional().describe('The KPI must be below this.'),
  above: thresholdSchema.optional().describe('The KPI must be above this.'),
  recovered_when: z
    .strictObject({
      error_rate: fractionSchema
        .optional()
        .describe('A second is healthy at or below this error rate (default: before-phase rate + 1%).'),
      p99: durationSchema
        .optional()
        .describe(
          '…and at or below this p99 (default: the larger of 2× the before-phase p99 and it + 50 ms).',
        ),
      for: positiveDurationSchema
        .default('5s')
        .describe('Recovered once this many consecutive seconds are healthy (default 5s).'),
    })
    .optional()
    .describe('For time_to_recover: what "back to steady state" means.'),
  absorb: z
    .union([z.boolean(), z.array(nameSchema).min(1)])
    .optional()
    .describe(
      'For time_to_recover: faults the system should absorb (true: every fault); their time to recover counts from their start, not their end.',
    ),
});

/** The experiment file. */
export const experimentSchema = z
  .strictObject({
    $schema: z.string().optional().describe('The JSON Schema URL, for editors.'),
    extends: z
      .string()
      .optional()
      .describe(
        'A file (relative to this one, or an absolute path; a regular file of at most 1 MiB) whose targets, monitors, parameters and other fields this one starts from.',
      ),
    title: z.string().min(1),
    description: z.string().optional(),
    // a negative seed is refused rather than folded onto its absolute value (`-5` would replay seed 5)
    seed: z
      .union([
        z.int().min(0, NEGATIVE_SEED),
        z
          .string()
          .min(1)
          .refine((s) => !/^\s*-\d+\s*$/.test(s), NEGATIVE_SEED),
      ])
      .optional()
      .describe('Seed for every random choice; --seed overrides it.'),
    parameters: z
      .record(nameSchema, parameterSchema)
      .default({})
      .describe('Named values used as $' + '{name}; --set name=value overrides the default.'),
    warmup: warmupSchema.default('0s'),
    duration: positiveDurationSchema.describe(
      'How long the method (load, faults, monitors) runs after warm-up.',
    ),
    hosts: z
      .record(hostNameSchema, hostSpecSchema)
      .default({})
      .describe('Hosts reached over SSH, by name (added to those of inventory).'),
    inventory: z
      .string()
      .min(1)
      .optional()
      .describe('An Ansible inventory (INI or YAML) of hosts, relative to the experiment file.'),
    known_hosts: z
      .string()
      .min(1)
      .optional()
      .describe('The known_hosts file host keys are checked against (default ~/.ssh/known_hosts).'),
    host_key: z
      .enum(['strict', 'accept-new'])
      .default('strict')
      .describe(
        'strict (default): refuse a host not in known_hosts; accept-new: trust a new host once and record its key. A changed key is refused either way.',
      ),
    targets: z.record(nameSchema, targetSchema).default({}),
    steady_state: steadyStateSchema.optional(),
    load: z.array(loadSchema).default([]),
    monitors: z.record(nameSchema, monitorSchema).default({}),
    faults: z.array(faultSchema).default([]),
    hypothesis: z.array(assertionSchema).default([]),
    abort_when: z
      .array(conditionSchema)
      .default([])
      .describe('Stop conditions: any one holding stops injection, rolls back, verdict aborted.'),
  })
  .describe('A faultline experiment.');

/** A validated experiment file (defaults applied, durations still as written). */
export type ExperimentSpec = z.output<typeof experimentSchema>;
/** One fault of a validated experiment. */
export type FaultSpec = ExperimentSpec['faults'][number];
/** One target of a validated experiment. */
export type TargetSpec = ExperimentSpec['targets'][string];
/** A condition (`when:` or `abort_when`). */
export type ConditionSpec = z.output<typeof conditionSchema>;

/**
 * The published schema's `$id`: a name, not an address (the schema ships in the package, at
 * node_modules/faultline/schema/experiment.schema.json, and is not served from anywhere).
 */
export const EXPERIMENT_SCHEMA_ID = 'urn:faultline:schema:experiment';

/**
 * The JSON Schema of the file (draft-7) for editors: the input side (what a user may write), as written — before
 * `extends:` merging and `${…}` substitution (see json-schema.ts).
 */
export function experimentJsonSchema(): Record<string, unknown> {
  const { $schema, ...generated } = z.toJSONSchema(experimentSchema, { target: 'draft-7', io: 'input' });
  return {
    $schema,
    $id: EXPERIMENT_SCHEMA_ID,
    title: 'faultline experiment',
    ...asWritten(generated),
  };
}
