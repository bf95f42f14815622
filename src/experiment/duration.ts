/**
 * Durations, rates and percentages as the experiment file writes them (`10s`, `500ms`, `2m`, `1%`, `200/s`).
 * The schema keeps the text (so errors quote what the user wrote); {@link ms} turns it into milliseconds once
 * validation has passed. The pattern is also published in the JSON Schema so editors flag typos.
 */
import { z } from 'zod';
import { parseDuration, parseRate } from '../load/parse.js';

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h)?\s*$/;
const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(us|ms|s|m|h)?\\s*$';
// The same with some digit other than 0 (a lookahead over the number's digits), for positive durations.
const POSITIVE_DURATION_PATTERN = '^\\s*(?=[\\d.]*[1-9])\\d+(\\.\\d+)?\\s*(us|ms|s|m|h)?\\s*$';

/** A non-negative duration: a number of milliseconds or text such as `10s`, `500ms`, `2m`, `1h`. */
export const durationSchema = z
  .union([z.number(), z.string()])
  .superRefine((v, ctx) => {
    if (typeof v === 'number') {
      if (!Number.isFinite(v))
        ctx.addIssue({ code: 'custom', message: `must be a finite duration, got ${v}` });
      else if (v < 0) ctx.addIssue({ code: 'custom', message: `must not be negative, got ${v}` });
      return;
    }
    if (/^\s*-/.test(v)) ctx.addIssue({ code: 'custom', message: `must not be negative, got '${v}'` });
    else if (!DURATION_RE.test(v))
      ctx.addIssue({ code: 'custom', message: `expected a duration such as 10s, 500ms or 2m, got '${v}'` });
  })
  .meta({
    description: 'A duration: milliseconds as a number, or text such as 10s, 500ms, 2m, 1h.',
    pattern: DURATION_PATTERN,
    minimum: 0,
    examples: ['10s', '500ms', '2m'],
  });

/** A duration that must be greater than zero (intervals, periods). */
export const positiveDurationSchema = durationSchema
  .superRefine((v, ctx) => {
    if (typeof v === 'number' ? v === 0 : DURATION_RE.test(v) && Number(DURATION_RE.exec(v)?.[1]) === 0)
      ctx.addIssue({ code: 'custom', message: 'must be greater than zero' });
  })
  .meta({ pattern: POSITIVE_DURATION_PATTERN, exclusiveMinimum: 0 });

/** Text or number as written in the file. */
export type Duration = z.output<typeof durationSchema>;

/** Milliseconds in a duration that passed {@link durationSchema}. */
export function ms(d: Duration, field = 'duration'): number {
  return parseDuration(d, field);
}

const PERCENT_RE = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;

/** A fraction written as `1%` or as a number in [0, 1]. */
export const fractionSchema = z
  .union([z.number(), z.string()])
  .superRefine((v, ctx) => {
    const f =
      typeof v === 'number' ? v : PERCENT_RE.test(v) ? Number(PERCENT_RE.exec(v)?.[1]) / 100 : Number.NaN;
    if (Number.isNaN(f))
      ctx.addIssue({ code: 'custom', message: `expected a percentage such as 1%, got '${v}'` });
    else if (f < 0 || f > 1)
      ctx.addIssue({ code: 'custom', message: `must be between 0% and 100%, got ${v}` });
  })
  .meta({ description: 'A fraction: 1% or 0.01.', examples: ['1%', 0.01] });

/** The fraction in a value that passed {@link fractionSchema}. */
export function fraction(v: number | string): number {
  return typeof v === 'number' ? v : Number(PERCENT_RE.exec(v)?.[1]) / 100;
}

/** Requests per second: `200/s`, `3000/m` or a number. */
export function rate(v: number | string, field = 'rate'): number {
  return parseRate(v, field);
}
