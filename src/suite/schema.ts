/**
 * The suite file format as one zod schema: the validator parses with it and schema/suite.schema.json is generated
 * from it, like the experiment's. Durations stay as written (`30m`) so errors can quote them.
 */
import { z } from 'zod';
import { cronParser } from '../deps/lazy.js';
import { durationSchema, positiveDurationSchema } from '../experiment/duration.js';
import { nameSchema } from '../experiment/schema.js';

/** Days a `window:` may name, in the order `Date.getUTCDay()` counts them. */
export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const HOURS_RE = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;

const seedSchema = z
  .union([
    z.int().min(0, 'a seed is a whole number >= 0 or a word'),
    z
      .string()
      .min(1)
      .refine((s) => !/^\s*-\d+\s*$/.test(s), 'a negative seed is refused'),
  ])
  .describe('Seed for every random choice of the suite (jitter, order, per-run seeds); --seed overrides it.');

/** One entry of `runs:`: an experiment file, overrides, and what it waits for. */
export const runSchema = z.strictObject({
  name: nameSchema.describe('The entry name, used by depends_on, --only and in the plan.'),
  experiment: z.string().min(1).describe('The experiment file, relative to the suite file.'),
  set: z
    .record(z.string().min(1), z.unknown())
    .default({})
    .describe(
      'Field overrides by path: faults.kill-a-replica.every, load.clients.rate, seed (a list entry by its name).',
    ),
  env: z.record(z.string(), z.string()).default({}).describe('Environment added for this entry.'),
  depends_on: z.array(nameSchema).default([]).describe('Entries that must finish before this one starts.'),
  if: z
    .enum(['passed', 'failed', 'always'])
    .default('passed')
    .describe('With depends_on: run when those passed (default), failed, or always.'),
  repeat: z.int().min(1).default(1).describe('Run this many times, one after another (default 1).'),
});

/** `window:` — when starts may happen (UTC). */
export const windowSchema = z.strictObject({
  hours: z
    .string()
    .regex(HOURS_RE, 'expected HH:MM-HH:MM (UTC), e.g. 01:00-05:00; a window may wrap past midnight')
    .optional(),
  days: z.array(z.enum(DAYS)).min(1).optional().describe('Days (UTC) starts may fall on.'),
});

/** `schedule:` — when the whole suite starts. */
export const scheduleSchema = z
  .strictObject({
    every: positiveDurationSchema.optional().describe('Start the suite at this period.'),
    cron: z
      .string()
      .refine((c) => {
        try {
          cronParser().CronExpressionParser.parse(c, { tz: 'UTC' });
          return true;
        } catch {
          return false;
        }
      }, 'not a cron expression (five fields: minute hour day month weekday)')
      .optional()
      .describe('Or: start at the times of this cron expression (UTC).'),
    jitter: durationSchema.default('0s').describe('Each start moves later by a seeded amount up to this.'),
    min_interval: durationSchema.default('0s').describe('Starts are at least this far apart.'),
    window: windowSchema.optional().describe('Starts outside these hours/days are skipped.'),
    until: z.iso.datetime({ offset: true }).optional().describe('No start after this time (ISO 8601).'),
    times: z.int().min(1).optional().describe('At most this many starts.'),
  })
  .refine((s) => (s.every === undefined) !== (s.cron === undefined), {
    message: 'give exactly one of every: or cron:',
  });

/** The suite file. */
export const suiteSchema = z
  .strictObject({
    $schema: z.string().optional().describe('The JSON Schema URL, for editors.'),
    title: z.string().min(1),
    description: z.string().optional(),
    seed: seedSchema.optional(),
    parallel: z.int().min(1).default(1).describe('How many entries may run at once (default 1).'),
    exclusive: z
      .array(nameSchema)
      .default([])
      .describe('Target names two running entries may never share (their experiments both use it).'),
    stop_on: z
      .enum(['first-failure', 'never'])
      .default('never')
      .describe('Stop starting entries after the first failure, or never (default).'),
    cleanup: z
      .enum(['retain', 'delete-passed'])
      .default('retain')
      .describe("Keep every entry's results (default) or delete those of passed entries."),
    schedule: scheduleSchema.optional().describe('When the suite starts; without it, once, now.'),
    runs: z.array(runSchema).min(1),
  })
  .describe('A faultline suite: experiments run in order, in parallel, on a schedule.');

export type SuiteSpec = z.output<typeof suiteSchema>;
export type RunSpec = SuiteSpec['runs'][number];
export type ScheduleSpec = z.output<typeof scheduleSchema>;
export type WindowSpec = z.output<typeof windowSchema>;

export const SUITE_SCHEMA_ID = 'urn:faultline:schema:suite';

/** The JSON Schema of the suite file (draft-7), the input side, for editors. */
export function suiteJsonSchema(): Record<string, unknown> {
  const { $schema, ...generated } = z.toJSONSchema(suiteSchema, { target: 'draft-7', io: 'input' });
  return { $schema, $id: SUITE_SCHEMA_ID, title: 'faultline suite', ...generated };
}

/** Parses `HH:MM-HH:MM` (validated) into minutes of the day, start inclusive, end exclusive. */
export function windowMinutes(hours: string): [number, number] {
  const m = HOURS_RE.exec(hours);
  if (!m) throw new Error(`bad window hours ${hours}`);
  return [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])];
}
